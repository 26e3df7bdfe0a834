"""The ``lora``, ``ia3`` and ``full`` training backends: one shared loop, different defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.components import LoadedModel, TaskData, TrainConfig, TrainingBackend, TrainResult

# Per-method defaults layered over TrainConfig's: adapters tolerate (and need) larger steps.
# LoRA dropout 0, peft's own default: the run keeps its best weights by validation accuracy,
# which already guards against overfitting, and dropout copies every adapted layer's input
# (measured on the demo's longest batch: 0.4 GB more resident and steps 20% slower at 0.05;
# the demo's LoRA scored 0.98 with 0.05 and 0.98 with 0, one run each).
DEFAULTS: dict[str, dict[str, Any]] = {
    "lora": {"learning_rate": 2e-4, "lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.0},
    "ia3": {"learning_rate": 3e-3},
    "full": {"learning_rate": 2e-5, "weight_decay": 0.01},
}

DESCRIPTIONS = {
    "lora": "LoRA adapters on all linear layers (peft); small, fast, the default",
    "ia3": "IA3 scaling vectors on keys, values and feed-forward (peft); fewest trainable weights",
    "full": "full fine-tune of every weight; most memory, writes a complete model folder",
}


def memory_gb(method: str, params_b: float) -> float:
    """GB to train a ``params_b`` model; the cost model's figure when it is available."""
    try:
        from advisor.cost import training_memory_gb

        return float(training_memory_gb(method, params_b))
    except (ImportError, AttributeError, ValueError, KeyError):
        # Bytes per parameter: bf16 weights (+ grads + AdamW state for full) plus activations.
        per_param = {"full": 18.0, "lora": 2.4, "ia3": 2.2}[method]
        return round(params_b * per_param * 1.2 + 0.5, 2)


def config_for(method: str, **overrides: Any) -> TrainConfig:
    """TrainConfig with this method's defaults, then explicit ``overrides`` (None = not given)."""
    values = {**DEFAULTS.get(method, {}), **{k: v for k, v in overrides.items() if v is not None}}
    return TrainConfig(**{**values, "method": method})


def _attach(base: LoadedModel, artifact: Path) -> Any:
    from advisor_peft.attach import attach

    return attach(base, artifact)


def _make(method: str) -> TrainingBackend:
    def run(
        base: LoadedModel,
        data: TaskData,
        config: TrainConfig | None,
        output_dir: Path,
        **kwargs: Any,
    ) -> TrainResult:
        from advisor_peft.train import train

        cfg = config or config_for(method)
        if cfg.method != method:
            cfg = cfg.model_copy(update={"method": method})
        return train(base, data, cfg, Path(output_dir), **kwargs)

    return TrainingBackend(
        name=method,
        description=DESCRIPTIONS[method],
        method=method,
        defaults=DEFAULTS[method],
        memory_gb=lambda params_b: memory_gb(method, params_b),
        train=run,
        attach=_attach,
    )


def backends() -> list[TrainingBackend]:
    return [_make(m) for m in ("lora", "ia3", "full")]
