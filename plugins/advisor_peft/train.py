"""The training loop shared by the lora, ia3 and full backends: a small hand-written torch loop.

- an adapter trains on the base model itself (its frozen weights in bf16 for the run where
  autocast is bf16, ``advisor_peft.frozen``; matmul attention for short CPU batches,
  ``device.training_attention``); ``train`` gives the base back as loaded (``loop.release``),
  also after an error or a Ctrl-C; a full fine-tune trains a deep copy;
- trains to convergence by default: evaluates the watched metric on the validation split
  (accuracy for classification, else loss; ``advisor_peft.validation``, ``.stopping``) at
  least 8 times, keeps the best weights, stops on a plateau past the floor, at a perfect
  validation accuracy (no later weights could replace the kept ones: fewer evaluations then)
  or at the ceiling (steps or minutes), and says whether it converged; a fixed ``epochs``
  budget is judged from the same curve;
- warmup then a constant rate when converging, warmup + linear/cosine decay for a fixed budget;
  weight decay, gradient accumulation;
- checkpoints every ``save_every`` steps; ``resume`` replays from the newest intact one (falling
  back past a damaged one) and ends with the same weights as an uninterrupted run (dropout noise
  is seeded per step and rank);
- Ctrl-C finishes the current step, writes a checkpoint and re-raises KeyboardInterrupt;
- under ``accelerate launch`` / ``torchrun`` (WORLD_SIZE > 1) it runs data-parallel via accelerate;
- output is built in ``DIR.partial`` and renamed to ``DIR`` only when complete
  (``advisor.train_output``: what may be replaced or resumed, checked before any work).
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from advisor.components import LoadedModel, TaskData, TrainConfig, TrainResult
from advisor.train_output import (
    CONFIG_FILE,
    METRICS_FILE,
    check_output,
    check_publishable,
    partial_dir,
    publish,
)
from advisor_peft import checkpoint as ckpt
from advisor_peft.collate import answer_loss, collate, plan_batches
from advisor_peft.device import (
    autocast,
    device,
    return_free_memory,
    train_dtype,
    training_attention,
)
from advisor_peft.frozen import lower, restore
from advisor_peft.loop import (
    Interrupt,
    distributed,
    lr_lambda,
    prepare_model,
    progress_bar,
    release,
    to_device,
    trainable,
    transformers_model,
    use_attention,
)
from advisor_peft.run_plan import plan_run
from advisor_peft.stopping import improved, judge, saturated, should_stop
from advisor_peft.validation import validation_accuracy, validation_loss


def train(
    base: LoadedModel, data: TaskData, config: TrainConfig, output_dir: Path, **options: Any
) -> TrainResult:
    """Fine-tune ``base`` on ``data``; see the module docstring. ``options`` are train_model's
    keywords (resume, progress, validation, overwrite; interrupt_at simulates a Ctrl-C)."""
    result, model = train_model(base, data, config, output_dir, **options)
    if model is not None:
        release(model)
    del model
    return_free_memory()  # the activations' memory, for the scoring that follows
    return result


def train_model(
    base: LoadedModel,
    data: TaskData,
    config: TrainConfig,
    output_dir: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    validation: TaskData | None = None,
    overwrite: bool = False,
    interrupt_at: int | None = None,
) -> tuple[TrainResult, Any]:
    """``train`` that also returns the trained model, in memory: for an adapter, the base
    itself with the adapter layers on, until the caller gives it back with ``loop.release``
    (on an error it is given back here); None instead of the model when ``resume`` finds the
    run already finished. ``validation``: the rows to judge and stop on (else
    ``config.validation_fraction`` of ``data``)."""
    output_dir = Path(output_dir)
    done = check_output(output_dir, config, resume=resume, overwrite=overwrite)
    if done is not None:
        return done, None
    return_free_memory()  # the scoring before this left its buffers resident
    run = _Run(base, data, config, output_dir, validation)
    try:
        run.start(resume)
        run.loop(progress, interrupt_at)
        return run.finish()
    except BaseException:  # Ctrl-C included: the shared base must not keep the adapter
        run.hand_back()
        release(run.unwrapped())
        raise


def _fresh_state() -> dict[str, Any]:
    """The counters a checkpoint saves besides weights, optimizer, schedule and RNG."""
    return {
        "epoch": 0,
        "batch": 0,  # position inside the epoch's batch plan (per process)
        "train_loss": [],
        "validation_loss": [],
        "validation_metric": [],  # the watched metric (accuracy or loss) per evaluation
        "best_score": None,
        "best_step": None,
        "bad_evals": 0,
        "stop": None,  # why the loop ended: plateau, minutes or steps (stopping.Stop)
        "tokens": 0,
        "examples": 0,
        "seconds": 0.0,
    }


class _Run:
    """One training run: its plan, model, optimizer and schedule, and the counters it saves."""

    def __init__(
        self,
        base: Any,
        data: TaskData,
        config: TrainConfig,
        output_dir: Path,
        validation: TaskData | None = None,
    ) -> None:
        import torch

        self.base, self.data, self.config = base, data, config
        self.output_dir = output_dir
        self.work = partial_dir(output_dir)
        self.checkpoints = self.work / "checkpoints"
        self.acc = distributed()
        self.rank = self.acc.process_index if self.acc else 0
        self.world = self.acc.num_processes if self.acc else 1
        self.main = self.rank == 0
        self.device = self.acc.device if self.acc else device()
        self.plan = plan_run(base, data, config, self.world, validation)
        self.state = _fresh_state()
        self.best: dict[str, Any] | None = None
        self.step = 0
        self.started = 0.0
        # Adapter initialisation depends on the seed only.
        torch.manual_seed(config.seed)
        # An adapter's frozen weights in the training dtype for the run (advisor_peft.frozen).
        adapter = config.method != "full"
        dtype = train_dtype(self.device) if adapter else None
        self.lowered = lower(base.model, dtype, getattr(base, "path", None))
        self.model = prepare_model(base.model, config).to(self.device)
        self.attention = getattr(base.model.config, "_attn_implementation", None)
        self.params = trainable(self.model)
        decay = [p for p in self.params.values() if p.ndim >= 2]
        no_decay = [p for p in self.params.values() if p.ndim < 2]
        self.optimizer = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": config.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=config.learning_rate,
        )
        # Converging, the stopping step is unknown: a decay tied to the ceiling would make the
        # weights depend on a limit the run never reaches and starve the late evaluations, so
        # warm up over the floor's first steps, then hold the rate (the best weights are kept).
        budget = self.plan.budget
        schedule, span = (
            (config.model_copy(update={"scheduler": "constant"}), budget.floor)
            if budget.converge
            else (config, budget.ceiling)
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lr_lambda(schedule, span)
        )

    # ---- start: resume from the newest intact checkpoint, or a fresh work folder

    def start(self, resume: bool) -> None:
        if not (resume and self._restore()) and self.main:
            if self.work.exists():
                shutil.rmtree(self.work)
            self.work.mkdir(parents=True)
            config = self.config.model_dump(mode="json")
            (self.work / CONFIG_FILE).write_text(json.dumps(config, indent=1))
        if self.acc:
            self.acc.wait_for_everyone()
            self.model, self.optimizer = self.acc.prepare(self.model, self.optimizer)

    def _restore(self) -> bool:
        import torch

        doc = ckpt.latest_intact(self.checkpoints, self._warn)
        if doc is None:
            return False
        with torch.no_grad():
            for name, p in self.params.items():
                p.copy_(doc["weights"][name])
        self.optimizer.load_state_dict(doc["optimizer"])
        self.scheduler.load_state_dict({**doc["scheduler"], "lr_lambdas": [None]})
        ckpt.set_rng_state(doc["rng_tensors"], doc["rng"])
        self.best = doc["best_weights"]
        self.step = doc["step"]
        self.state.update({k: doc[k] for k in self.state})
        return True

    def _warn(self, message: str) -> None:
        if self.main:
            print(f"advisor train: {message}", file=sys.stderr)

    def _save(self) -> None:
        if self.main:
            ckpt.save_checkpoint(
                self.checkpoints,
                self.step,
                dict(self.params),
                self.optimizer,
                self.scheduler,
                self.state,
                ckpt.rng_state(),
                self.best,
            )
        if self.acc:
            self.acc.wait_for_everyone()

    # ---- the step loop

    def _micro_batches(self) -> Iterator[dict[str, Any]]:
        """The remaining batches of this process, from the saved (epoch, batch) position."""
        cfg, plan, state = self.config, self.plan, self.state
        while True:
            order = plan_batches(plan.lengths, cfg.batch_size, cfg.seed, state["epoch"])
            mine = order[: plan.per_epoch * self.world][self.rank :: self.world]
            while state["batch"] < plan.per_epoch:
                idx = mine[state["batch"]]
                state["batch"] += 1
                yield collate([plan.train_items[i] for i in idx], plan.pad_id)
            state["epoch"] += 1
            state["batch"] = 0

    def loop(self, progress: bool, interrupt_at: int | None) -> None:
        cfg, budget, state = self.config, self.plan.budget, self.state
        total = budget.ceiling
        bar = progress_bar(progress and self.main, total, cfg.method)
        self.model.train()
        stream = self._micro_batches()
        interrupt = Interrupt()
        self.started = time.perf_counter() - state["seconds"]
        with interrupt.installed(), bar:
            task = bar.add_task("train", total=total, completed=self.step, loss=math.nan, tps=0.0)
            while self.step < total and state["stop"] is None:
                step_loss = self._step(stream)
                elapsed = time.perf_counter() - self.started
                state["seconds"] = elapsed
                # The processes' clocks differ: they stop together on any one's.
                late = budget.max_seconds is not None and self._any(elapsed >= budget.max_seconds)
                due = self.step % budget.eval_every == 0 or self.step == total or late
                if self.plan.val_items and due:
                    self._evaluate()
                if late and state["stop"] is None:
                    state["stop"] = "minutes"
                tps = state["tokens"] / max(elapsed, 1e-9)
                bar.update(task, completed=self.step, loss=step_loss, tps=tps)
                if interrupt_at is not None and self.step == interrupt_at:
                    interrupt.hit = True
                interrupt.hit = self._any(interrupt.hit)
                periodic = cfg.save_every and self.step % cfg.save_every == 0 and self.step < total
                if interrupt.hit or periodic:
                    self._save()
                if interrupt.hit:
                    raise KeyboardInterrupt

    def _any(self, flag: bool) -> bool:
        """Whether any process raised ``flag``: they stop together, or the others would wait."""
        if not self.acc:
            return flag
        import torch

        hit = self.acc.reduce(torch.tensor(float(flag), device=self.device), "sum")
        return bool(hit > 0)

    def _step(self, stream: Iterator[dict[str, Any]]) -> float:
        """One optimizer step over ``grad_accum`` micro-batches; returns its training loss."""
        import torch

        cfg, acc, state = self.config, self.acc, self.state
        # Dropout noise depends only on (seed, step, rank): resuming replays it exactly.
        torch.manual_seed(cfg.seed * 1_000_003 + self.step * 101 + self.rank)
        step_loss = 0.0
        for _ in range(cfg.grad_accum):
            batch = to_device(next(stream), self.device)
            self._attention_for(batch["input_ids"].shape)
            with autocast(self.device):
                loss = answer_loss(self.model, batch) / cfg.grad_accum
            if acc:
                acc.backward(loss)
            else:
                loss.backward()
            step_loss += float(loss.detach())
            state["tokens"] += batch["tokens"] * self.world
            state["examples"] += batch["input_ids"].shape[0] * self.world
        if cfg.max_grad_norm:
            if acc:
                acc.clip_grad_norm_(self.model.parameters(), cfg.max_grad_norm)
            else:
                torch.nn.utils.clip_grad_norm_(list(self.params.values()), cfg.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        if acc:
            step_loss = float(acc.reduce(torch.tensor(step_loss, device=self.device), "mean"))
        state["train_loss"].append([self.step, round(step_loss, 6)])
        return step_loss

    # ---- validation and the stopping rule

    def _evaluate(self) -> None:
        """Validation loss (always: overfitting reads it) and the watched metric, from one
        scoring pass when the metric is accuracy; keep the best weights; stop on a plateau past
        the floor or at a perfect score."""
        state, metric = self.state, self.plan.metric
        if metric == "acc":
            rows = self.plan.val_examples
            value, val = validation_accuracy(
                self.unwrapped(), self.base, self.data, rows, self.device
            )
        else:
            value = val = validation_loss(
                self.model,
                self.plan.val_items,
                batch_size=self.config.batch_size,
                pad_id=self.plan.pad_id,
                where=self.device,
                acc=self.acc,
                shard=(self.rank, self.world),
            )
        state["validation_loss"].append([self.step, round(val, 6)])
        state["validation_metric"].append([self.step, round(value, 6)])
        if improved(metric, value, state["best_score"]):
            state.update(best_score=value, best_step=self.step, bad_evals=0)
            self.best = {n: p.detach().clone() for n, p in self.params.items()}
            if self.plan.budget.converge and saturated(metric, value):
                state["stop"] = "saturated"
        else:
            state["bad_evals"] += 1
            if should_stop(state["bad_evals"], self.step, self.plan.budget, self.config.patience):
                state["stop"] = "plateau"

    def _attention_for(self, shape: tuple[int, int]) -> None:
        """The attention implementation for a batch of ``shape`` (device.training_attention)."""
        config = transformers_model(self.unwrapped()).config
        heads, layers = config.num_attention_heads, config.num_hidden_layers
        want = training_attention(self.device, *shape, heads, layers)
        use_attention(self.unwrapped(), want or self.attention)

    def hand_back(self) -> None:
        """What the run changed on the base for speed, undone: the frozen weights as loaded
        (for whoever scores the model next) and its own attention implementation."""
        restore(self.lowered)
        use_attention(self.unwrapped(), self.attention)

    def unwrapped(self) -> Any:
        """The model being trained, without the data-parallel wrapper."""
        return self.acc.unwrap_model(self.model) if self.acc else self.model

    # ---- finish: restore the best weights, write the output, rename atomically

    def finish(self) -> tuple[TrainResult, Any]:
        import torch

        if self.best is not None:
            with torch.no_grad():
                for name, p in self.params.items():
                    p.copy_(self.best[name])
        self.hand_back()
        seconds = time.perf_counter() - self.started
        state = self.state
        stop = state["stop"] or "steps"
        converged, reason = judge(
            stop,
            self.plan.budget,
            step=self.step,
            best_step=state["best_step"],
            bad_evals=state["bad_evals"],
            evaluations=len(state["validation_metric"]),
        )
        evaluated = bool(state["validation_metric"])
        result = TrainResult(
            output_dir=self.output_dir,
            method=self.config.method,
            steps=self.step,
            train_loss=[tuple(x) for x in state["train_loss"]],
            validation_loss=[tuple(x) for x in state["validation_loss"]],
            best_step=state["best_step"],
            stopped_early=stop in ("plateau", "saturated"),
            seconds=round(seconds, 3),
            examples_per_second=round(state["examples"] / max(seconds, 1e-9), 3),
            tokens_per_second=round(state["tokens"] / max(seconds, 1e-9), 3),
            epochs=round(self.step * self.config.grad_accum / self.plan.per_epoch, 3),
            converged=converged,
            stop_reason=reason,
            metric=self.plan.metric if evaluated else None,
            validation_metric=[tuple(x) for x in state["validation_metric"]],
            best_score=state["best_score"],
        )
        if self.main:
            self._write_output(result)
        model = self.model
        if self.acc:
            self.acc.wait_for_everyone()
            model = self.acc.unwrap_model(model)
        model.eval()
        return result, model

    def _write_output(self, result: TrainResult) -> None:
        check_publishable(self.work, self.output_dir)  # before the checkpoints go
        final = self.unwrapped()
        if self.config.method == "full":
            from advisor_peft.models import save_model_folder

            save_model_folder(final, self.base.tokenizer, self.work)
        else:
            final.save_pretrained(self.work)
        doc = result.model_dump(mode="json")
        doc.update(
            train_examples=len(self.plan.train_items),
            validation_examples=len(self.plan.val_items),
            processes=self.world,
            base_model=self.base.name,
            data=self.data.source or self.data.name,
        )
        # Written last: its presence marks the folder finished (advisor.train_output).
        (self.work / METRICS_FILE).write_text(json.dumps(doc, indent=1))
        shutil.rmtree(self.checkpoints, ignore_errors=True)
        publish(self.work, self.output_dir)
