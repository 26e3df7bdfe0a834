"""The typed contracts between the core and its plugins (hookspec 2.0, see ``advisor.hookspecs``).

Components are pydantic models with a name (unique within its kind) and a description; their
callables do the heavy work and import torch/transformers/lm-eval lazily when called. The core
only ever calls what is declared here: ``LoadedModel``'s methods, a backend's ``train`` and
``attach``, a strategy's ``build_suite``, a runner's ``write_task`` and ``run``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, PlainValidator

from advisor.errors import UsageError
from advisor.train_config import TrainConfig


def _must_be_callable(value: Any) -> Any:
    if not callable(value):
        raise ValueError(f"expected a callable, got {type(value).__name__}")
    return value


# A callable field typed by a Protocol: checked to be callable (pydantic cannot build a schema
# for a Protocol), its signature documented by the Protocol for plugin authors and type checkers.
Fn = PlainValidator(_must_be_callable)


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


class ChoiceRequest(BaseModel):
    """One multiple-choice item: a context and the continuations to score after it.

    A continuation is scored exactly as given (include its leading space if it needs one)."""

    context: str
    choices: list[str] = Field(min_length=1)


@runtime_checkable
class TokenCounter(Protocol):
    """Anything that counts tokens the way a model does (a model, or its tokenizer alone)."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text, without special tokens."""
        ...


class LoadedModel(ABC):
    """A model in memory, loaded once per run and shared by every strategy.

    Modelled on lm-eval's ``LM``: the core asks a model for token counts, choice
    log-likelihoods and per-character loss, and never touches torch. A model plugin subclasses
    it (the built-in ``advisor_peft.hf.HFModel`` wraps a transformers model and tokenizer); a
    runner or backend of the same plugin family may use the subclass's own attributes.
    """

    name: str
    path: Path | None = None

    @property
    def params_b(self) -> float | None:
        """Size in billions of parameters, when known."""
        return None

    @abstractmethod
    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text, without special tokens."""

    @abstractmethod
    def score_choices(
        self, requests: Sequence[ChoiceRequest], *, batch_size: int = 16
    ) -> list[list[float]]:
        """Per request, the summed log-probability (natural log) of each choice after its
        context, in the order given."""

    @abstractmethod
    def nll_per_char(self, texts: Sequence[str]) -> float:
        """Mean negative log-likelihood per character over ``texts`` (natural log)."""

    def set_threads(self, threads: int) -> None:  # noqa: B027 - optional, a no-op by default
        """Use ``threads`` CPU threads from now on (models that run elsewhere ignore it)."""

    def use_chat_template(self) -> None:
        """From now on, wrap every prompt in the model's chat template (the prompt as the
        user's turn, the answer as the assistant's), in training and in scoring alike."""
        raise UsageError(f"{self.name}: this model cannot apply a chat template")

    @property
    def context_window(self) -> int | None:
        """Tokens a prompt and its answer may span together, when known."""
        return None


class ModelSource(Component):
    """Where a model comes from. ``load()`` returns a LoadedModel; nothing is downloaded.

    ``tokenizer()``, when given, returns a TokenCounter without loading the weights (data
    profiling counts tokens with it)."""

    location: str = Field(description="File or folder it loads from (or will be cached to).")
    params_b: float | None = None
    available: bool = True
    cached: bool | None = Field(
        None, description="Converted copy present (sources that convert once)."
    )
    load: Callable[[], LoadedModel] = Field(exclude=True)
    tokenizer: Callable[[], TokenCounter] | None = Field(None, exclude=True)


# ---------------------------------------------------------------- training


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
    epochs: float = Field(0.0, description="Passes over the training split actually trained.")
    converged: bool = False
    stop_reason: str = Field("", description='One line: "plateau: no gain for 4 evaluations".')
    metric: Literal["acc", "loss"] | None = Field(
        None, description="What the stopping rule watched on the validation split."
    )
    validation_metric: list[tuple[int, float]] = Field(
        default_factory=list, description="The watched curve: (step, value) per evaluation."
    )
    best_score: float | None = Field(None, description="The watched metric at best_step.")


class TrainFunction(Protocol):
    def __call__(
        self,
        base: LoadedModel,
        data: TaskData,
        config: TrainConfig | None,
        output_dir: Path,
        *,
        resume: bool = False,
        progress: bool = True,
        validation: TaskData | None = None,
        **options: Any,  # backend-specific (the peft backends take ``overwrite``)
    ) -> TrainResult: ...


AttachFunction = Callable[[LoadedModel, Path], AbstractContextManager[LoadedModel]]


class TrainingBackend(Component):
    """A way to fine-tune.

    ``train(base, data, config, output_dir, resume=False, progress=True, validation=None)``
    -> TrainResult; ``base`` must come back unchanged (the benchmark shares it). With
    ``validation`` the run judges and stops on those rows instead of carving its own split.
    ``attach(base, artifact)`` is a context manager yielding the fine-tuned model (base plus
    the adapter or model folder ``train`` wrote) for scoring; on exit the base is as before.
    """

    method: str
    defaults: dict[str, Any] = Field(default_factory=dict)
    memory_gb: Callable[[float], float] = Field(
        exclude=True, description="params_b -> GB to train."
    )
    train: Annotated[TrainFunction, Fn] = Field(exclude=True)
    attach: Annotated[AttachFunction, Fn] = Field(exclude=True)


# ---------------------------------------------------------------- prompting and scoring


class PromptDoc(BaseModel):
    """One test example with its finished prompt."""

    id: int
    line: int | None = Field(None, description="Line of the example in its source file.")
    input: str
    prompt: str
    target: str = Field(description="The label (classification) or the expected output.")


class GenerationSpec(BaseModel):
    """How a generation suite decodes: greedy until a stop string or ``max_tokens``."""

    until: list[str] = Field(default_factory=lambda: ["\n"])
    max_tokens: int = Field(ge=1)


class PromptSuite(BaseModel):
    """A strategy's prompts for the test set, runner-neutral: the lm-eval plugin writes it as
    an lm-eval task, another runner may score it directly.

    Classification suites have ``choices`` (the label set, scored as continuations after a
    space); generation suites have ``generation`` and are scored by exact match and token F1.
    """

    name: str = Field(description="Task name: lower-case letters, digits and underscores.")
    strategy: str
    description: str
    task_type: Literal["classification", "generation"]
    docs: list[PromptDoc]
    choices: list[str] | None = None
    generation: GenerationSpec | None = None


class SuiteOptions(BaseModel):
    """What the benchmark tells a strategy when it builds its suite."""

    name: str = Field(description="The suite (task) name to use.")
    shots: int = Field(5, ge=0, description="Demonstrations shown (strategies that show any).")
    selection: Literal["random", "nearest"] = Field(
        "random",
        description="random: one seeded pick, stratified by label; nearest: per input, its most "
        "similar training inputs (TF-IDF cosine).",
    )
    seed: int = 0
    documents: list[dict[str, Any]] | None = Field(
        None, description="Passages to retrieve from (rag): each with 'text' and maybe 'id'."
    )


class PromptStrategy(Component):
    """A way to prompt. ``build_suite(train, test, options)`` -> PromptSuite."""

    kind: Literal["prompt", "baseline"] = "prompt"
    task_types: list[str] = Field(default_factory=lambda: ["classification", "generation"])
    build_suite: Callable[[TaskData, TaskData, SuiteOptions], PromptSuite] | None = Field(
        None, exclude=True
    )
    # A "baseline" needs no language model: the benchmark calls fit_predict(train, test) and
    # scores the returned predictions (one label/output per test example, in order) itself.
    # The returned list may carry a ``metrics`` dict attribute (e.g. cost_per_1k_queries_usd).
    fit_predict: Callable[[TaskData, TaskData], list[str]] | None = Field(None, exclude=True)


class ExampleResult(BaseModel):
    """One test example scored under one strategy."""

    doc_id: int
    target: str
    prediction: str
    scores: dict[str, float]


class RunOutput(BaseModel):
    """What a runner returns for one suite."""

    metrics: dict[str, float]
    examples: list[ExampleResult]
    seconds: float
    # A runner that calls a server measures what it paid (None: not measured).
    latency_ms: dict[str, float] | None = Field(None, description="Per request: p50, p95.")
    usage: dict[str, float] | None = Field(
        None, description="Per query: prompt_tokens, completion_tokens; in all: retries."
    )
    unparsed: dict[int, str] | None = Field(
        None, description="Classification by generation: doc_id -> an answer naming no label."
    )


Progress = Callable[[int, int], None]  # (done, total)


class RunFunction(Protocol):
    def __call__(
        self,
        model: LoadedModel,
        suite: PromptSuite,
        task_dir: Path,
        *,
        batch_size: int = 8,
        on_progress: Progress | None = None,
    ) -> RunOutput: ...


class BenchmarkRunner(Component):
    """Scores a prompt suite on a model; the built-in one drives lm-eval.

    ``write_task(suite, task_dir)`` writes whatever the runner needs to score the suite later
    (the built-in writes a plain lm-eval task) and returns its task name;
    ``run(model, suite, task_dir, batch_size=8, on_progress=None)`` -> RunOutput.
    """

    write_task: Callable[[PromptSuite, Path], str] = Field(exclude=True)
    run: Annotated[RunFunction, Fn] = Field(exclude=True)
