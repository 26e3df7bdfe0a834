"""The objects plugins hand to the core through hooks (see ``advisor.hookspecs``).

Each is a pydantic model with a name (unique within its kind) and a description; the
callables do the heavy work and import torch/transformers/lm-eval lazily when called.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Component(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str
    origin: str = Field(
        "unknown", description="Plugin that provided it (set by the plugin manager)."
    )


# ---------------------------------------------------------------- data


class Example(BaseModel):
    """One input/output pair. Classification rows map text->input and label->output."""

    input: str
    output: str
    line: int | None = Field(None, description="1-based line (or CSV row) in the source file.")


class TaskData(BaseModel):
    """A dataset ready for strategies and backends."""

    name: str
    task_type: Literal["classification", "generation"]
    examples: list[Example]
    labels: list[str] | None = Field(None, description="Sorted label set, for classification.")
    source: str | None = None


# ---------------------------------------------------------------- models


class LoadedModel(BaseModel):
    """A model and its tokenizer in memory, loaded once per run and shared by strategies."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    model: Any
    tokenizer: Any
    path: Path | None = Field(
        None, description="Folder with config, tokenizer and safetensors weights."
    )


class ModelSource(Component):
    """Where a model comes from. ``load()`` returns a LoadedModel; nothing is downloaded."""

    location: str = Field(description="File or folder it loads from (or will be cached to).")
    params_b: float | None = None
    available: bool = True
    cached: bool | None = Field(
        None, description="Converted copy present (sources that convert once)."
    )
    load: Callable[[], LoadedModel] = Field(exclude=True)


# ---------------------------------------------------------------- training


class TrainConfig(BaseModel):
    """Hyperparameters of the seed's 'configure fine-tuning parameters' step."""

    model_config = ConfigDict(extra="forbid")

    method: str = "lora"
    epochs: float = 3.0
    max_steps: int | None = None
    learning_rate: float = 2e-4
    batch_size: int = 8
    grad_accum: int = 1
    weight_decay: float = 0.0
    max_grad_norm: float | None = Field(
        1.0, description="Clip the gradient norm; None = no clipping."
    )
    warmup_ratio: float = 0.06
    scheduler: Literal["linear", "cosine", "constant"] = "linear"
    validation_fraction: float = 0.1
    eval_every: int = 20
    patience: int = 3
    max_length: int = 256
    seed: int = 0
    save_every: int = 20
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: list[str] | str = "all-linear"


class TrainResult(BaseModel):
    output_dir: Path
    method: str
    steps: int
    train_loss: list[tuple[int, float]] = Field(default_factory=list)
    validation_loss: list[tuple[int, float]] = Field(default_factory=list)
    best_step: int | None = None
    stopped_early: bool = False
    seconds: float = 0.0
    examples_per_second: float = 0.0
    tokens_per_second: float = 0.0


class TrainingBackend(Component):
    """A way to fine-tune. ``train(base, data, config, output_dir, resume=False)`` -> TrainResult.

    ``base`` is a LoadedModel and must come back unchanged (the benchmark shares it).
    """

    method: str
    defaults: dict[str, Any] = Field(default_factory=dict)
    memory_gb: Callable[[float], float] = Field(
        exclude=True, description="params_b -> GB to train."
    )
    train: Callable[..., TrainResult] = Field(exclude=True)


# ---------------------------------------------------------------- prompting and scoring


class PromptStrategy(Component):
    """A way to prompt. ``build_task(data_train, data_test, options)`` -> lm-eval task config
    (a dict that is written as YAML and runs with ``lm_eval --include_path``)."""

    kind: Literal["prompt", "baseline"] = "prompt"
    task_types: list[str] = Field(default_factory=lambda: ["classification", "generation"])
    build_task: Callable[..., dict[str, Any]] = Field(exclude=True)
    # A "baseline" needs no language model: the benchmark calls fit_predict(train, test) and
    # scores the returned predictions (one label/output per test example, in order) itself.
    # The returned list may carry a ``metrics`` dict attribute (e.g. cost_per_1k_queries_usd).
    fit_predict: Callable[[TaskData, TaskData], list[str]] | None = Field(None, exclude=True)


class BenchmarkRunner(Component):
    """Scores a strategy on a dataset; the built-in one drives lm-eval."""

    run: Callable[..., Any] = Field(exclude=True)
