"""The training loop shared by the lora, ia3 and full backends: a small hand-written torch loop.

- works on a deep copy of the base model (the caller's model is never touched);
- validation split, early stopping on validation loss with patience, restoring the best weights;
- warmup + linear/cosine schedule, weight decay, gradient accumulation, max steps or epochs;
- checkpoints every ``save_every`` steps; ``resume`` replays from the newest complete one and ends
  with the same weights as an uninterrupted run (dropout noise is seeded per step and rank);
- Ctrl-C finishes the current step, writes a checkpoint and re-raises KeyboardInterrupt;
- under ``accelerate launch`` / ``torchrun`` (WORLD_SIZE > 1) it runs data-parallel via accelerate;
- output is built in ``DIR.partial`` and renamed to ``DIR`` only when complete.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from advisor.components import LoadedModel, TaskData, TrainConfig, TrainResult
from advisor.data import split
from advisor.errors import UsageError
from advisor_peft import checkpoint as ckpt
from advisor_peft.collate import answer_loss, collate, encode, eval_batches, plan_batches

CONFIG_FILE = "train_config.json"
METRICS_FILE = "metrics.json"
# Fields that may differ between an interrupted run and its resumption.
RESUME_TOLERANT = {"save_every"}


def partial_dir(output_dir: Path) -> Path:
    return output_dir.with_name(output_dir.name + ".partial")


class _Interrupt:
    """Defers Ctrl-C to the next step boundary so the checkpoint is consistent; a second press
    interrupts at once."""

    def __init__(self) -> None:
        self.hit = False
        self._old: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.hit:
            raise KeyboardInterrupt
        self.hit = True

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Interrupt]:
        try:
            self._old = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave signals alone
            self._old = None
        try:
            yield self
        finally:
            if self._old is not None:
                signal.signal(signal.SIGINT, self._old)


def _lr_lambda(config: TrainConfig, total: int):
    warmup = int(round(config.warmup_ratio * total))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        if config.scheduler == "constant":
            return 1.0
        progress = (step - warmup) / max(1, total - warmup)
        if config.scheduler == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
        return max(0.0, 1.0 - progress)

    return factor


def prepare_model(base: Any, config: TrainConfig) -> Any:
    """A trainable copy of ``base`` for ``config.method``."""
    model = copy.deepcopy(base)
    model.config.use_cache = False
    if config.method == "full":
        for p in model.parameters():
            p.requires_grad_(True)
        return model
    from peft import IA3Config, LoraConfig, get_peft_model

    if config.method == "lora":
        peft_config = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=config.target_modules,
            task_type="CAUSAL_LM",
        )
    elif config.method == "ia3":
        # peft's per-architecture defaults (keys, values, feed-forward down projection).
        peft_config = IA3Config(task_type="CAUSAL_LM")
    else:
        raise UsageError(f"unknown training method '{config.method}'; use lora, ia3 or full")
    return get_peft_model(model, peft_config)


def _trainable(model: Any) -> dict[str, Any]:
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def _check_resume_config(saved: dict[str, Any], config: TrainConfig) -> None:
    now = config.model_dump(mode="json")
    diff = [k for k in now if k not in RESUME_TOLERANT and saved.get(k) != now[k]]
    if diff:
        k = diff[0]
        raise UsageError(
            f"cannot resume: {k} was {saved.get(k)!r} in the interrupted run, now {now[k]!r}; "
            "use the same options, or drop --resume to start over"
        )


def _distributed() -> Any:
    """An Accelerator when launched with several processes, else None (plain single process)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    from accelerate import Accelerator

    return Accelerator(cpu=not torch.cuda.is_available())


def train(
    base: LoadedModel, data: TaskData, config: TrainConfig, output_dir: Path, **options: Any
) -> TrainResult:
    """Fine-tune ``base`` on ``data``; see the module docstring. ``options`` are train_model's
    keywords (resume, progress, overwrite; interrupt_at simulates a Ctrl-C, for tests)."""
    return train_model(base, data, config, output_dir, **options)[0]


def train_model(
    base: LoadedModel,
    data: TaskData,
    config: TrainConfig,
    output_dir: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    overwrite: bool = False,
    interrupt_at: int | None = None,
) -> tuple[TrainResult, Any]:
    """``train`` that also returns the trained model (peft-wrapped for adapters), in memory."""
    import torch

    output_dir = Path(output_dir)
    work = partial_dir(output_dir)
    if output_dir.exists():
        if resume and (output_dir / METRICS_FILE).is_file():
            doc = json.loads((output_dir / METRICS_FILE).read_text())
            return TrainResult.model_validate(doc), None
        if not overwrite and any(output_dir.iterdir()):
            raise UsageError(f"output folder {output_dir} already exists; choose another --output")

    acc = _distributed()
    rank = acc.process_index if acc else 0
    world = acc.num_processes if acc else 1
    main = rank == 0
    device = acc.device if acc else torch.device("cuda" if torch.cuda.is_available() else "cpu")

    # ---- data: the same split, encoding and batch plan on every process
    if len(data.examples) < 2:
        raise UsageError(f"{data.source or data.name}: need at least 2 examples to train")
    if config.validation_fraction > 0 and len(data.examples) >= 10:
        train_data, val_data = split(data, config.validation_fraction, seed=config.seed)
    else:
        train_data, val_data = data, None
    tok = base.tokenizer
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    train_items = [encode(e, data, tok, config.max_length) for e in train_data.examples]
    val_items = (
        [encode(e, data, tok, config.max_length) for e in val_data.examples] if val_data else []
    )
    lengths = [i.length for i in train_items]
    per_epoch = len(plan_batches(lengths, config.batch_size, config.seed, 0)) // world
    if per_epoch == 0:
        raise UsageError(f"{len(train_items)} training examples are too few for {world} processes")
    steps_per_epoch = max(1, per_epoch // config.grad_accum)
    total = config.max_steps or max(1, math.ceil(config.epochs * steps_per_epoch))

    # ---- model, optimizer, schedule (adapter initialisation depends on the seed only)
    torch.manual_seed(config.seed)
    model = prepare_model(base.model, config).to(device)
    params = _trainable(model)
    decay = [p for p in params.values() if p.ndim >= 2]
    no_decay = [p for p in params.values() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=config.learning_rate,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(config, total))

    state: dict[str, Any] = {
        "epoch": 0,
        "batch": 0,  # position inside the epoch's batch plan (per process)
        "train_loss": [],
        "validation_loss": [],
        "best_loss": None,
        "best_step": None,
        "bad_evals": 0,
        "stopped_early": False,
        "tokens": 0,
        "examples": 0,
        "seconds": 0.0,
    }
    best: dict[str, Any] | None = None
    step = 0
    checkpoints = work / "checkpoints"
    if resume and ckpt.list_checkpoints(checkpoints):
        saved = json.loads((work / CONFIG_FILE).read_text())
        _check_resume_config(saved, config)
        doc = ckpt.load_checkpoint(ckpt.list_checkpoints(checkpoints)[-1])
        with torch.no_grad():
            for name, p in params.items():
                p.copy_(doc["weights"][name])
        ckpt.optimizer_from_files(optimizer, ckpt.list_checkpoints(checkpoints)[-1])
        scheduler.load_state_dict({**doc["scheduler"], "lr_lambdas": [None]})
        ckpt.set_rng_state(doc["rng_tensors"], doc["rng"])
        best = doc["best_weights"]
        step = doc["step"]
        state.update({k: doc[k] for k in state})
    elif main:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        (work / CONFIG_FILE).write_text(json.dumps(config.model_dump(mode="json"), indent=1))
    if acc:
        acc.wait_for_everyone()
        model, optimizer = acc.prepare(model, optimizer)

    def save(at_step: int) -> None:
        if main:
            ckpt.save_checkpoint(
                checkpoints,
                at_step,
                {n: p for n, p in params.items()},
                optimizer,
                scheduler,
                state,
                ckpt.rng_state(),
                best,
            )
        if acc:
            acc.wait_for_everyone()

    def validate() -> float:
        model.eval()
        total_loss = torch.zeros(2, device=device)
        mine = eval_batches([i.length for i in val_items], config.batch_size)[rank::world]
        with torch.no_grad():
            for idx in mine:
                batch = _to(collate([val_items[i] for i in idx], pad_id), device)
                total_loss[0] += answer_loss(model, batch, reduction="sum")
                total_loss[1] += batch["target_tokens"]
        if acc:
            total_loss = acc.reduce(total_loss, reduction="sum")
        model.train()
        return float(total_loss[0] / total_loss[1].clamp(min=1))

    def micro_batches() -> Iterator[dict[str, Any]]:
        """The remaining batches of this process, from the saved (epoch, batch) position."""
        while True:
            plan = plan_batches(lengths, config.batch_size, config.seed, state["epoch"])
            mine = plan[: per_epoch * world][rank::world]
            while state["batch"] < per_epoch:
                idx = mine[state["batch"]]
                state["batch"] += 1
                yield collate([train_items[i] for i in idx], pad_id)
            state["epoch"] += 1
            state["batch"] = 0

    bar = _progress(progress and main, total, config.method)
    model.train()
    stream = micro_batches()
    interrupt = _Interrupt()
    start = time.perf_counter() - state["seconds"]
    with interrupt.installed(), bar:
        task = bar.add_task("train", total=total, completed=step, loss=float("nan"), tps=0.0)
        while step < total and not state["stopped_early"]:
            # Dropout noise depends only on (seed, step, rank): resuming replays it exactly.
            torch.manual_seed(config.seed * 1_000_003 + step * 101 + rank)
            step_loss = 0.0
            for _ in range(config.grad_accum):
                batch = _to(next(stream), device)
                loss = answer_loss(model, batch) / config.grad_accum
                if acc:
                    acc.backward(loss)
                else:
                    loss.backward()
                step_loss += float(loss.detach())
                state["tokens"] += batch["tokens"] * world
                state["examples"] += batch["input_ids"].shape[0] * world
            if config.max_grad_norm:
                if acc:
                    acc.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                else:
                    torch.nn.utils.clip_grad_norm_(list(params.values()), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            if acc:
                step_loss = float(acc.reduce(torch.tensor(step_loss, device=device), "mean"))
            state["train_loss"].append([step, round(step_loss, 6)])
            elapsed = time.perf_counter() - start
            state["seconds"] = elapsed
            if val_items and (step % config.eval_every == 0 or step == total):
                val = validate()
                state["validation_loss"].append([step, round(val, 6)])
                if state["best_loss"] is None or val < state["best_loss"] - 1e-6:
                    state.update(best_loss=val, best_step=step, bad_evals=0)
                    best = {n: p.detach().clone() for n, p in params.items()}
                else:
                    state["bad_evals"] += 1
                    if state["bad_evals"] >= config.patience:
                        state["stopped_early"] = True
            bar.update(
                task, completed=step, loss=step_loss, tps=state["tokens"] / max(elapsed, 1e-9)
            )
            if interrupt_at is not None and step == interrupt_at:
                interrupt.hit = True
            if acc:  # stop together: one process alone would leave the others waiting
                hit = acc.reduce(torch.tensor(float(interrupt.hit), device=device), "sum")
                interrupt.hit = bool(hit > 0)
            if interrupt.hit or (
                config.save_every and step % config.save_every == 0 and step < total
            ):
                save(step)
            if interrupt.hit:
                raise KeyboardInterrupt

    # ---- finish: restore the best weights, write the output, rename atomically
    if best is not None:
        with torch.no_grad():
            for name, p in params.items():
                p.copy_(best[name])
    seconds = time.perf_counter() - start
    result = TrainResult(
        output_dir=output_dir,
        method=config.method,
        steps=step,
        train_loss=[tuple(x) for x in state["train_loss"]],
        validation_loss=[tuple(x) for x in state["validation_loss"]],
        best_step=state["best_step"],
        stopped_early=state["stopped_early"],
        seconds=round(seconds, 3),
        examples_per_second=round(state["examples"] / max(seconds, 1e-9), 3),
        tokens_per_second=round(state["tokens"] / max(seconds, 1e-9), 3),
    )
    if main:
        final = acc.unwrap_model(model) if acc else model
        if config.method == "full":
            from advisor_peft.models import save_model_folder

            save_model_folder(final, tok, work)
        else:
            final.save_pretrained(work)
        doc = result.model_dump(mode="json")
        doc.update(
            train_examples=len(train_items),
            validation_examples=len(val_items),
            processes=world,
            base_model=base.name,
            data=data.source or data.name,
        )
        (work / METRICS_FILE).write_text(json.dumps(doc, indent=1))
        shutil.rmtree(checkpoints, ignore_errors=True)
        if output_dir.exists():
            shutil.rmtree(output_dir)
        os.replace(work, output_dir)
    if acc:
        acc.wait_for_everyone()
        model = acc.unwrap_model(model)
    model.eval()
    return result, model


def _to(batch: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device) if hasattr(v, "to") else v for k, v in batch.items()}


def _progress(enabled: bool, total: int, method: str) -> Any:
    """The shared progress display (advisor.progress), with the loss and speed of training."""
    from advisor.progress import progress_bar

    return progress_bar(
        enabled=enabled,
        fields=(
            f"[bold]{method}[/]",
            "loss {task.fields[loss]:.4f}",
            "{task.fields[tps]:.0f} tok/s",
        ),
    )
