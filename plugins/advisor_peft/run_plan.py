"""What a training run is planned on before its first step: the train/validation rows, their
encoding, the batch plan, the step budget and the watched metric. The same on every process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advisor.components import Example, TaskData, TrainConfig
from advisor.data import split
from advisor.errors import UsageError
from advisor_peft.collate import Encoded, encode, plan_batches
from advisor_peft.stopping import Budget, Metric, plan_budget


@dataclass
class Plan:
    train_items: list[Encoded]
    val_items: list[Encoded]
    val_examples: list[Example]  # the same rows, for the accuracy scorer
    pad_id: int
    per_epoch: int  # micro-batches per epoch and process
    budget: Budget
    metric: Metric

    @property
    def lengths(self) -> list[int]:
        return [i.length for i in self.train_items]


def watched_metric(config: TrainConfig, data: TaskData) -> Metric:
    """What the stopping rule watches: accuracy for classification unless told otherwise."""
    classifies = data.task_type == "classification" and bool(data.labels)
    if config.stop_on == "acc" and not classifies:
        raise UsageError("stop_on 'acc' needs a classification task with labels; use 'loss'")
    if config.stop_on == "loss" or not classifies:
        return "loss"
    return "acc"


def plan_run(
    base: Any, data: TaskData, config: TrainConfig, world: int, validation: TaskData | None
) -> Plan:
    """The run's plan; ``validation`` (the caller's split) replaces the carved one when given."""
    if len(data.examples) < 2:
        raise UsageError(f"{data.source or data.name}: need at least 2 examples to train")
    if validation is not None and validation.examples:
        train_data, val_examples = data, validation.examples
    elif config.validation_fraction > 0 and len(data.examples) >= 10:
        train_data, held_out = split(data, config.validation_fraction, seed=config.seed)
        val_examples = held_out.examples
    else:
        train_data, val_examples = data, []
    tok = base.tokenizer
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    # Validation rows are encoded with the training data's label set and template.
    chat = getattr(base, "chat", False)  # the model's chat template, as scoring applies it
    train_items = [encode(e, data, tok, config.max_length, chat=chat) for e in train_data.examples]
    val_items = [encode(e, data, tok, config.max_length, chat=chat) for e in val_examples]
    lengths = [i.length for i in train_items]
    per_epoch = len(plan_batches(lengths, config.batch_size, config.seed, 0)) // world
    if per_epoch == 0:
        raise UsageError(f"{len(train_items)} training examples are too few for {world} processes")
    budget = plan_budget(config, max(1, per_epoch // config.grad_accum))
    return Plan(
        train_items,
        val_items,
        list(val_examples),
        pad_id,
        per_epoch,
        budget,
        watched_metric(config, data),
    )
