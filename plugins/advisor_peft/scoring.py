"""Classification accuracy the way lm-eval's multiple-choice scoring does it: the label whose tokens
get the highest log-likelihood after the shared prompt wins. Used by the throughput benchmark."""

from __future__ import annotations

from typing import Any

from advisor.components import Example, TaskData
from advisor_peft.collate import IGNORE, collate, encode, eval_batches


def label_loglikelihoods(
    model: Any, tokenizer: Any, data: TaskData, examples: list[Example], batch_size: int = 32
) -> list[list[float]]:
    """For each example, the summed log-probability of every label in ``data.labels``."""
    import torch

    labels = data.labels or []
    items = [
        encode(e.model_copy(update={"output": label}), data, tokenizer, 512)
        for e in examples
        for label in labels
    ]
    scores = [0.0] * len(items)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for idx in eval_batches([i.length for i in items], batch_size):
            batch = collate([items[i] for i in idx], pad)
            targets = batch["targets"]
            logits = model(
                input_ids=batch["input_ids"],
                attention_mask=batch["attention_mask"],
                position_ids=batch["position_ids"],
                logits_to_keep=targets.shape[1] + 1,
                use_cache=False,
            ).logits[:, :-1, :]
            logp = torch.log_softmax(logits.float(), dim=-1)
            keep = targets != IGNORE
            picked = logp.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
            sums = (picked * keep).sum(dim=1)
            for row, i in enumerate(idx):
                scores[i] = float(sums[row])
    model.train(was_training)
    n = len(labels)
    return [scores[k * n : (k + 1) * n] for k in range(len(examples))]


def accuracy(model: Any, tokenizer: Any, data: TaskData, examples: list[Example]) -> float:
    labels = data.labels or []
    if not labels or not examples:
        raise ValueError("accuracy needs a classification task with labels and examples")
    rows = label_loglikelihoods(model, tokenizer, data, examples)
    hits = sum(
        labels[max(range(len(r)), key=r.__getitem__)] == e.output
        for r, e in zip(rows, examples, strict=True)
    )
    return hits / len(examples)
