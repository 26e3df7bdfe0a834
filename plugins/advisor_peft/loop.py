"""Pieces of the training loop that hold no run state: the trainable copy of the model, the
learning-rate schedule, the data-parallel setup, deferred Ctrl-C and the progress display."""

from __future__ import annotations

import contextlib
import copy
import math
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

from advisor.components import TrainConfig
from advisor.errors import UsageError
from advisor.progress import quiet_libraries


class Interrupt:
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
    def installed(self) -> Iterator[Interrupt]:
        try:
            self._old = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave signals alone
            self._old = None
        try:
            yield self
        finally:
            if self._old is not None:
                signal.signal(signal.SIGINT, self._old)


def lr_lambda(config: TrainConfig, total: int) -> Callable[[int], float]:
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
    with quiet_libraries(loggers=("peft", "transformers")):  # deprecation notes to peft
        return get_peft_model(model, peft_config)


def trainable(model: Any) -> dict[str, Any]:
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def distributed() -> Any:
    """An Accelerator when launched with several processes, else None (plain single process)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    from accelerate import Accelerator

    return Accelerator(cpu=not torch.cuda.is_available())


def to_device(batch: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device) if hasattr(v, "to") else v for k, v in batch.items()}


def progress_bar(enabled: bool, total: int, method: str) -> Any:
    """The shared progress display (advisor.progress), with the loss and speed of training."""
    from advisor.progress import progress_bar as shared_bar

    return shared_bar(
        enabled=enabled,
        fields=(
            f"[bold]{method}[/]",
            "loss {task.fields[loss]:.4f}",
            "{task.fields[tps]:.0f} tok/s",
        ),
    )
