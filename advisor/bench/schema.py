"""The pydantic models of a benchmark run: options in, ``results.json`` out.

Every part of the results is typed here or in a pure module this one imports (overfitting and
forgetting reports); nothing here imports the orchestration, so runners and renderers can
import the schema without pulling in the pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.bench.classification import LabelBaselines, Misclassified
from advisor.bench.endpoints import Endpoint
from advisor.bench.forgetting import ForgettingReport
from advisor.bench.overfitting import OverfittingReport
from advisor.components import ExampleResult, TrainResult
from advisor.methods import DEFAULT_ARMS

RESULTS_VERSION = 2
DEFAULT_STRATEGIES: tuple[str, ...] = DEFAULT_ARMS


class RunResources(BaseModel):
    """What a run cost the machine, as ``/usr/bin/time -v`` would report it."""

    wall_seconds: float = Field(ge=0)
    cpu_seconds: float = Field(ge=0, description="User + system, children included.")
    peak_rss_gb: float = Field(ge=0, description="Maximum resident set size.")


class BenchmarkOptions(BaseModel):
    """Everything `advisor benchmark` takes; the Python API builds the same object.

    Numbers are finite and bounded (the CLI's options take their ranges from these fields)."""

    model_config = ConfigDict(allow_inf_nan=False)

    data: Path | None = Field(
        None, description="Training file (or one file to split). None: demo data."
    )
    test: Path | None = Field(None, description="Test file; without it `data` is split.")
    documents: Path | None = Field(
        None, description="Documents the rag strategy retrieves from (JSONL: text, id)."
    )
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
    epochs: float | None = Field(
        None, gt=0, le=10_000, description="A fixed fine-tune budget; None: train to convergence."
    )
    max_steps: int | None = Field(None, ge=1, le=10**9, description="Fine-tune step ceiling.")
    max_minutes: float | None = Field(None, gt=0, le=1e6, description="Fine-tune time ceiling.")
    min_steps: int | None = Field(None, ge=1, le=10**9, description="Fine-tune step floor.")
    patience: int | None = Field(
        None, ge=1, le=1_000_000, description="Evaluations without gain before a fine-tune stops."
    )
    batch_size: int = Field(8, ge=1, le=65_536, description="lm-eval batch size.")
    test_fraction: float = Field(0.2, gt=0, lt=1)
    profile: Path | None = None
    profile_values: dict[str, Any] = Field(default_factory=dict)
    alpha: float = Field(0.05, gt=0, lt=1, description="Significance level of the paired test.")
    runner: str = "lmeval"
    threads: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="CPU threads of the model (LoadedModel.set_threads); None: its default.",
    )
    progress: bool = True
    chat_template: bool = Field(
        False, description="Wrap prompts in the model's chat template (training and scoring)."
    )
    forgetting: bool = Field(
        True, description="Score general ability before and after each fine-tune."
    )
    curve: bool = Field(False, description="Also run the learning curve after the strategies.")
    curve_sizes: list[int | None] | None = Field(
        None,
        description="Training-set sizes of the curve (None in the list = all); None: 16,64,256,all.",
    )
    prompt_configs: int | None = Field(
        None, ge=1, le=1000, description="Most prompt configurations the search tries; None: all."
    )
    combined: bool = Field(
        True, description="Score each fine-tune with the tuned prompt too (<backend>+prompt)."
    )
    curve_seeds: int = Field(
        3, ge=1, le=100, description="Seeds (subsets and trainings) of each small curve size."
    )
    endpoints: list[Endpoint] = Field(
        default_factory=list,
        description="Model sources that are servers; a strategy `name@endpoint` is scored there.",
    )
    prices: Path | None = Field(
        None, description="Price table (YAML/JSON, like advisor/data/prices.yaml); None: shipped."
    )


__all__ = ["ExampleResult"]  # defined in advisor.components (runners build them); re-exported


class PromptConfig(BaseModel):
    """One prompt configuration the search can choose: a template strategy, its
    demonstrations and how they are picked (``selection`` is moot with 0 shots)."""

    model_config = ConfigDict(frozen=True)

    strategy: str
    shots: int = Field(ge=0)
    selection: Literal["random", "nearest"] = "random"

    @property
    def label(self) -> str:
        return f"{self.strategy} k={self.shots}" + (f" {self.selection}" if self.shots else "")


class PromptCandidate(BaseModel):
    """A configuration scored on the validation split only (never on the test set)."""

    config: PromptConfig
    validation_score: float
    metrics: dict[str, float] = Field(default_factory=dict)
    prompt_tokens: float = Field(description="Mean prompt length in tokens on the validation rows.")
    seconds: float
    chosen: bool = False
    rows: int | None = Field(
        None, description="Validation rows the score is on (fewer: screened out in round one)."
    )
    screen_score: float | None = Field(
        None, description="A finalist's score in the screening round, on the first rows."
    )


class ArmBudget(BaseModel):
    """What an arm was tuned with, so both sides' budgets can be read side by side."""

    validation_rows: int = Field(0, description="Rows of the validation split it was tuned on.")
    configurations: int = Field(1, description="Configurations tried (1: trained as configured).")
    seconds: float = Field(0.0, description="Compute spent tuning (search or training).")
    tokens: float = Field(0.0, description="Tokens processed while tuning.")
    steps: int | None = Field(None, description="Optimizer steps (fine-tunes).")


class StrategyResult(BaseModel):
    name: str
    kind: Literal["prompt", "fine-tune", "baseline", "combined"]
    task: str | None = Field(None, description="lm-eval task it was scored on.")
    model: str | None = Field(None, description="Model it ran on (None: the run's model).")
    latency_ms: dict[str, float] | None = Field(
        None, description="Measured per-request latency (p50, p95) of a served model."
    )
    usage: dict[str, float] | None = Field(
        None, description="Measured per query: prompt_tokens, completion_tokens; and retries."
    )
    unparsed: dict[int, str] | None = Field(
        None, description="doc_id -> a generated answer naming no label (counted wrong)."
    )
    metrics: dict[str, float]
    ci95: dict[str, tuple[float, float]] = Field(default_factory=dict)
    n: int
    seconds: float
    eval_seconds: float = 0.0
    prompt_tokens: float | None = Field(None, description="Mean prompt length in tokens.")
    usd_per_1k_queries: float | None = None
    train: TrainResult | None = Field(None, description="How a fine-tune was trained.")
    artifact: str | None = Field(None, description="Adapter or model folder of a fine-tune.")
    overfitting: OverfittingReport | None = Field(
        None, description="Train/validation loss gap of a fine-tune."
    )
    general_ability: list[bool] | None = Field(
        None, description="Per item of the general-ability check, after this fine-tune."
    )
    general_text_loss: float | None = Field(
        None, description="NLL per character of the shipped general text, after this fine-tune."
    )
    examples: list[ExampleResult] = Field(default_factory=list)
    misclassified: list[Misclassified] = Field(
        default_factory=list, description="Classification: the first wrong test examples."
    )
    config: PromptConfig | None = Field(
        None, description="The prompt configuration it was scored with (tuned and combined arms)."
    )
    validation_score: float | None = Field(
        None, description="Its primary metric on the validation split (the tuned arm)."
    )
    budget: ArmBudget | None = None
    reference: bool = Field(
        False, description="Scored for reference only (the fine-tunes' format), not a contender."
    )


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
    validation_examples: int = Field(
        0, description="Rows carved from the training data to tune both arms on (0: none)."
    )
    labels: list[str] | None = None
    train_source: str | None = None
    test_source: str | None = None


class MeasuredChallenge(BaseModel):
    """One of the seed's challenges with what this run measured, replacing `recommend`'s rating."""

    name: str
    measured: str
    level: str | None = Field(None, description="The measurement's own grading, if any.")
    rated: str | None = Field(None, description="What `advisor recommend` guessed (its rating).")


class CurveRun(BaseModel):
    """One fine-tune of a learning-curve point: one seed's nested subset, trained with the
    run's stopping rule and scored on the test set."""

    seed: int
    score: float
    scores: list[float] = Field(
        default_factory=list, description="The primary metric per test example, by doc_id."
    )
    steps: int | None = None
    epochs: float | None = None
    converged: bool | None = None
    stop_reason: str | None = None
    stopped_early: bool = False
    overfitting: str | None = Field(None, description="OverfittingReport level of this run")
    train_seconds: float | None = None
    eval_seconds: float | None = None


class CurvePoint(BaseModel):
    """One training-set size of the learning curve (the mean over its seeds' runs)."""

    size: int
    score: float
    ci95: tuple[float, float] | None = Field(
        None, description="Bootstrap band over test examples and seeds."
    )
    difference: float | None = Field(None, description="fine-tune minus prompt, same test examples")
    p_value: float | None = Field(None, description="paired bootstrap against the prompt")
    train_seconds: float | None = None
    eval_seconds: float | None = None
    steps: int | None = Field(None, description="Training steps (mean over the seeds).")
    epochs: float | None = Field(None, description="Epochs trained (mean over the seeds).")
    converged: bool | None = Field(None, description="Every seed's run converged (None: unknown).")
    stopped_early: bool = False
    overfitting: str | None = Field(None, description="OverfittingReport level of this fine-tune")
    reused: str | None = Field(
        None, description="Strategy whose fine-tune on all the data gave this point"
    )
    runs: list[CurveRun] = Field(default_factory=list, description="One per seed.")


class CurveResult(BaseModel):
    """The learning curve against the prompt arm (see ``advisor.bench.curve``)."""

    method: str
    metric: str
    test_examples: int
    prompt_strategy: str
    prompt_score: float
    prompt_ci95: tuple[float, float] | None = None
    points: list[CurvePoint]
    status: Literal["crosses", "above_from_start", "never"]
    crossover_size: float | None = None
    crossover_range: tuple[float | None, float | None] | None = Field(
        None, description="From the 95% intervals: (earliest, latest); None = not within the data"
    )
    still_rising: bool = False
    extrapolated_size: int | None = None
    more_data: bool = Field(
        False, description="The last step still improves significantly: more data would help."
    )
    gain_per_doubling: float | None = Field(
        None, description="Points gained per doubling of the data (log-linear fit, last 3 sizes)."
    )
    gain_range: tuple[float, float] | None = Field(
        None, description="95% bootstrap range of gain_per_doubling."
    )
    baselines: LabelBaselines | None = Field(
        None, description="Classification: chance and majority class, drawn on the chart."
    )
    seconds: float = 0.0
    summary: str = ""


class Advice(BaseModel):
    """What `advisor recommend` said for this data's profile (its top reasons only)."""

    verdict: str
    method: str | None = None
    confidence: float | None = None
    score: float | None = None
    summary: str = ""
    reasons: list[str] = Field(default_factory=list)
    confidence_note: str = ""
    command: str = Field(
        "", description="The `advisor recommend` command that gives this advice for this profile."
    )


class AdviceUnavailable(BaseModel):
    """`advisor recommend` failed on this profile: the verdict says so instead of guessing."""

    error: str


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
    recommendation: Advice | AdviceUnavailable | None = None
    cost_notes: list[str] = Field(default_factory=list)
    general_ability_before: list[bool] | None = Field(
        None, description="Base model, per item of the general-ability check."
    )
    general_text_loss_before: float | None = Field(
        None, description="Base model, NLL per character of the shipped general text."
    )
    forgetting: ForgettingReport | None = Field(
        None, description="General ability after each fine-tune against before."
    )
    curve_points: list[CurvePoint] = Field(
        default_factory=list, description="Learning-curve sizes finished so far (for --resume)."
    )
    curve: CurveResult | None = None
    prompt_search: list[PromptCandidate] = Field(
        default_factory=list, description="Every configuration the search scored on validation."
    )
    challenges: list[MeasuredChallenge] = Field(default_factory=list)
    label_baselines: LabelBaselines | None = Field(
        None, description="Classification: the chance and majority-class scores."
    )
    seconds: dict[str, float] = Field(default_factory=dict)
    resources: RunResources | None = Field(
        None, description="Wall, CPU and peak memory of the whole run (advisor.bench.resources)."
    )
    complete: bool = False

    def get(self, name: str) -> StrategyResult | None:
        return next((s for s in self.strategies if s.name == name), None)
