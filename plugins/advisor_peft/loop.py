"""Pieces of the training loop that hold no run state: the model to train (and giving it back), the
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
    """The model to train for ``config.method``: a deep copy of ``base`` for a full fine-tune;
    for an adapter, ``base`` itself with the adapter layers injected (``release`` strips them).

    Adapters train in place because their base weights are frozen: a copy of a 135M model
    costs 0.54 GB and touches every page of the loaded weights again, and was a third of the
    demo's peak memory (measured: 1.5 GB resident before the first step with the copy, 0.47
    without; peak over the first steps 2.3 vs 2.9 GB)."""
    if config.method == "full":
        model = copy.deepcopy(base)
        model.config.use_cache = False
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
    _saved_flags[id(base)] = (
        base.config.use_cache,
        {n: p.requires_grad for n, p in base.named_parameters()},
    )
    base.config.use_cache = False
    with quiet_libraries(loggers=("peft", "transformers")):  # deprecation notes to peft
        return get_peft_model(base, peft_config)


# What ``prepare_model`` changed on a base it trains in place, restored by ``release``.
_saved_flags: dict[int, tuple[Any, dict[str, bool]]] = {}


def release(model: Any) -> None:
    """Give a base trained in place (``prepare_model`` for an adapter) back as it was loaded:
    the adapter layers stripped (its weights were frozen, so they are untouched), its
    use_cache and requires_grad flags restored, in eval mode. A full fine-tune's copy has
    nothing to give back."""
    from peft import PeftModel

    if not isinstance(model, PeftModel):
        return
    base = model.unload()
    use_cache, flags = _saved_flags.pop(id(base), (base.config.use_cache, {}))
    base.config.use_cache = use_cache
    for name, p in base.named_parameters():
        p.requires_grad_(flags.get(name, p.requires_grad))
    base.eval()


def transformers_model(model: Any) -> Any:
    """The transformers model inside an adapter's wrapper (``model`` itself for a full one)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def use_attention(model: Any, name: str | None) -> None:
    """Switch ``model``'s attention implementation to ``name`` (None: leave it) where the
    architecture allows switching it after loading."""
    hf = transformers_model(model)
    current = getattr(hf.config, "_attn_implementation", None)
    if name and current != name and hf._can_set_attn_implementation():
        hf.set_attn_implementation(name)


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
