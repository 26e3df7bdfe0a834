"""``TrainConfig``: the hyperparameters of the seed's "configure fine-tuning parameters" step.

Its own module (re-exported by ``advisor.components``) because the advice checks its plan
against these field names on every ``recommend``, which must not build every contract.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TrainConfig(BaseModel):
    """Hyperparameters of the seed's 'configure fine-tuning parameters' step.

    Every number is finite and bounded (the maxima are far beyond any sensible run; they exist
    so that a typo such as a 30-digit seed fails here, before a model is loaded)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    method: str = "lora"
    epochs: float | None = Field(
        None,
        gt=0,
        le=10_000,
        description="A fixed number of passes; None = train to convergence (the stopping rule).",
    )
    max_steps: int | None = Field(
        None, ge=1, le=100_000_000, description="Step ceiling (with epochs: the exact budget)."
    )
    max_epochs: float = Field(
        20.0, gt=0, le=10_000, description="Ceiling in passes when training to convergence."
    )
    min_steps: int | None = Field(
        None, ge=1, le=100_000_000, description="Floor: never stop earlier; None = automatic."
    )
    max_minutes: float | None = Field(None, gt=0, le=1e6, description="Time ceiling.")
    learning_rate: float = Field(2e-4, gt=0, le=10)
    batch_size: int = Field(8, ge=1, le=65_536)
    grad_accum: int = Field(1, ge=1, le=65_536)
    weight_decay: float = Field(0.0, ge=0, le=10)
    max_grad_norm: float | None = Field(
        1.0, ge=0, le=1e6, description="Clip the gradient norm; None (or 0) = no clipping."
    )
    warmup_ratio: float = Field(0.06, ge=0, le=1)
    scheduler: Literal["linear", "cosine", "constant"] = Field(
        "linear",
        description="Decay after warmup, for a fixed budget; converging holds the rate constant.",
    )
    validation_fraction: float = Field(0.1, ge=0, le=0.5)
    eval_every: int | None = Field(
        None, ge=1, le=100_000_000, description="Steps between evaluations; None = automatic."
    )
    patience: int = Field(
        4, ge=1, le=1_000_000, description="Evaluations without gain before stopping."
    )
    stop_on: Literal["auto", "loss", "acc"] = Field(
        "auto", description="Watched metric; auto = accuracy for classification, else loss."
    )
    max_length: int = Field(256, ge=1, le=1_048_576)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    save_every: int = Field(20, ge=0, le=100_000_000, description="0 = no periodic checkpoints.")
    lora_r: int = Field(16, ge=1, le=65_536)
    lora_alpha: int = Field(32, ge=1, le=1_000_000)
    lora_dropout: float = Field(0.0, ge=0, lt=1)  # peft's default; see backends.DEFAULTS
    target_modules: list[str] | str = "all-linear"
