"""The pydantic models of a benchmark run: options in, ``results.json`` out."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.bench.curve import CurvePoint, CurveResult
from advisor.bench.overfitting import OverfittingReport
from advisor.methods import DEFAULT_ARMS

RESULTS_VERSION = 1
DEFAULT_STRATEGIES: tuple[str, ...] = DEFAULT_ARMS


class BenchmarkOptions(BaseModel):
    """Everything `advisor benchmark` takes; the Python API builds the same object.

    Numbers are finite and bounded (the CLI's options take their ranges from these fields)."""

    model_config = ConfigDict(allow_inf_nan=False)

    data: Path | None = Field(
        None, description="Training file (or one file to split). None: demo data."
    )
    test: Path | None = Field(None, description="Test file; without it `data` is split.")
    model: str | None = Field(
        None, description="Model source name or local folder; None: embedded."
    )
    strategies: list[str] = Field(default_factory=lambda: list(DEFAULT_STRATEGIES))
    limit: int | None = Field(
        100, ge=1, le=10_000_000, description="Test examples used (seeded choice)."
    )
    train_limit: int | None = Field(
        None, ge=1, le=10**9, description="Training examples used (seeded choice)."
    )
    seed: int = Field(0, ge=0, le=2**32 - 1, description="numpy's seeds are 32-bit.")
    output: Path = Path("runs/benchmark")
    resume: bool = False
    shots: int = Field(5, ge=0, le=1000)
    epochs: float | None = Field(None, gt=0, le=10_000)
    max_steps: int | None = Field(None, ge=1, le=10**9)
    batch_size: int = Field(8, ge=1, le=65_536, description="lm-eval batch size.")
    test_fraction: float = Field(0.2, gt=0, lt=1)
    profile: Path | None = None
    profile_values: dict[str, Any] = Field(default_factory=dict)
    alpha: float = Field(0.05, gt=0, lt=1, description="Significance level of the paired test.")
    runner: str = "lmeval"
    threads: int | None = Field(
        None, ge=1, le=1024, description="torch CPU threads; None: torch's default."
    )
    progress: bool = True
    forgetting: bool = Field(
        True, description="Score general ability before and after each fine-tune."
    )
    curve: bool = Field(False, description="Also run the learning curve after the strategies.")
    curve_sizes: list[int | None] | None = Field(
        None,
        description="Training-set sizes of the curve (None in the list = all); None: 16,64,256,all.",
    )


class ExampleResult(BaseModel):
    """One test example scored under one strategy (lm-eval log_samples)."""

    doc_id: int
    target: str
    prediction: str
    scores: dict[str, float]


class StrategyResult(BaseModel):
    name: str
    kind: Literal["prompt", "fine-tune", "baseline"]
    task: str | None = Field(None, description="lm-eval task it was scored on.")
    metrics: dict[str, float]
    ci95: dict[str, tuple[float, float]] = Field(default_factory=dict)
    n: int
    seconds: float
    eval_seconds: float = 0.0
    prompt_tokens: float | None = Field(None, description="Mean prompt length in tokens.")
    usd_per_1k_queries: float | None = None
    train: dict[str, Any] | None = Field(None, description="TrainResult of a fine-tune.")
    artifact: str | None = Field(None, description="Adapter or model folder of a fine-tune.")
    overfitting: OverfittingReport | None = Field(
        None, description="Train/validation loss gap of a fine-tune."
    )
    general_ability: list[bool] | None = Field(
        None, description="Per item of the general-ability check, after this fine-tune."
    )
    examples: list[ExampleResult] = Field(default_factory=list)


class Comparison(BaseModel):
    """Best prompt strategy against best fine-tune on the same examples."""

    metric: str
    prompt: str
    fine_tune: str
    prompt_score: float
    fine_tune_score: float
    difference: float = Field(description="fine-tune minus prompt")
    ci95: tuple[float, float]
    p_value: float
    test: str
    discordant: tuple[int, int] | None = Field(
        None, description="(fine-tune right & prompt wrong, prompt right & fine-tune wrong)"
    )
    n: int
    extra: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Bootstrap comparisons on the other metrics."
    )


class Verdict(BaseModel):
    outcome: Literal["confirmed", "contradicted", "inconclusive"]
    advice: str | None = Field(None, description="Verdict of `advisor recommend` for this profile.")
    advice_method: str | None = None
    advice_confidence: float | None = None
    measured_winner: Literal["prompt", "fine-tune", "tie"] | None = None
    explanation: str


class DataSummary(BaseModel):
    name: str
    task_type: str
    train_examples: int
    test_examples: int
    labels: list[str] | None = None
    train_source: str | None = None
    test_source: str | None = None


class MeasuredChallenge(BaseModel):
    """One of the seed's challenges with what this run measured, replacing `recommend`'s rating."""

    name: str
    measured: str
    level: str | None = Field(None, description="The measurement's own grading, if any.")
    rated: str | None = Field(None, description="What `advisor recommend` guessed (its rating).")


class BenchmarkResults(BaseModel):
    version: int = RESULTS_VERSION
    options: BenchmarkOptions
    model: str
    model_params_b: float | None = None
    data: DataSummary
    primary_metric: str
    task_dir: str
    strategies: list[StrategyResult] = Field(default_factory=list)
    comparison: Comparison | None = None
    verdict: Verdict | None = None
    profile: dict[str, Any] | None = None
    recommendation: dict[str, Any] | None = None
    cost_notes: list[str] = Field(default_factory=list)
    general_ability_before: list[bool] | None = Field(
        None, description="Base model, per item of the general-ability check."
    )
    forgetting: dict[str, Any] | None = Field(
        None, description="advisor.bench.forgetting.ForgettingReport"
    )
    curve_points: list[CurvePoint] = Field(
        default_factory=list, description="Learning-curve sizes finished so far (for --resume)."
    )
    curve: CurveResult | None = None
    challenges: list[MeasuredChallenge] = Field(default_factory=list)
    seconds: dict[str, float] = Field(default_factory=dict)
    complete: bool = False

    def get(self, name: str) -> StrategyResult | None:
        return next((s for s in self.strategies if s.name == name), None)
