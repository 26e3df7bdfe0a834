"""The adaptation methods, defined once in ``data/methods.yaml`` and extended by plugins.

Every part of advisor that names a method reads it from here: the engine (which methods it
may recommend), the cost model (memory, FLOPs, extra prompt tokens), the evidence rules
(which methods train locally), the plan and the benchmark (which arm tests a method, and the
surrogate where it cannot run). A plugin adds a method through the ``advisor_methods`` hook;
``with_plugins(plugins)`` merges those with the built-in ones.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor.errors import UsageError
from advisor.profile import Goal

METHODS_FILE = Path(__file__).parent / "data" / "methods.yaml"

Kind = Literal["prompt", "fine-tune", "api-fine-tune"]


class _Strict(BaseModel):
    # Frozen: the loaded methods are cached and shared between callers.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Benchmark(_Strict):
    """How ``advisor benchmark`` measures a method."""

    arm: str | None = Field(
        None, description="The prompt strategy or training backend that is the method itself."
    )
    surrogate: str | None = Field(None, description="What runs instead where the arm cannot.")
    reason: str = Field("", description="Why the surrogate stands in for the method.")
    default: bool = Field(False, description="Run by `advisor benchmark` without --strategies.")

    @model_validator(mode="after")
    def _runnable(self) -> Benchmark:
        if self.arm is None and self.surrogate is None:
            raise ValueError("a benchmark needs an 'arm', a 'surrogate' or both")
        if self.surrogate is not None and not self.reason:
            raise ValueError("a 'surrogate' needs the 'reason' it stands in")
        return self

    def runs_as(self, available: Collection[str] | None = None) -> str:
        """The arm when it is among ``available`` (default: assume it is not), else the
        surrogate; the arm itself when there is no surrogate."""
        if self.arm is not None and (self.surrogate is None or self.arm in (available or ())):
            return self.arm
        return self.surrogate or ""


class PromptTokens(_Strict):
    """How a prompt method's tokens differ from the zero-shot prompt's (for the cost model)."""

    shots: int = Field(0, ge=0, description="Demonstrations shown in the prompt.")
    extra_prompt_tokens: int = Field(0, ge=0)
    extra_output_tokens: int = Field(0, ge=0)
    cost_note: str = Field(
        "", description="The cost report's assumption line; {field} names fields above."
    )

    def note(self) -> str:
        return self.cost_note.format(**self.model_dump())


class Trainable(_Strict):
    """Parameters that receive gradients: a share of the model, or adapter parameters per
    layer in units of the model's width d (times the rank r for low-rank adapters)."""

    fraction: float | None = Field(None, gt=0, le=1)
    per_layer_width: float | None = Field(None, gt=0)
    per_layer_width_rank: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> Trainable:
        given = [self.fraction, self.per_layer_width, self.per_layer_width_rank]
        if sum(v is not None for v in given) != 1:
            raise ValueError("give exactly one of fraction, per_layer_width, per_layer_width_rank")
        return self


class Memory(_Strict):
    """Bytes a method holds while training (the cost model adds activations and overhead)."""

    weight_bytes_per_param: float = Field(gt=0, description="Every parameter, as stored.")
    state_bytes_per_trainable: float = Field(
        ge=0, description="Gradients, master copy and optimiser moments per trainable parameter."
    )
    trainable: Trainable


class Method(_Strict):
    """One adaptation method: what it is, how it is benchmarked, what it costs."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    kind: Kind
    description: str
    origin: str = Field("unknown", description="'advisor', or the plugin that provided it.")
    goal: Goal | None = Field(None, description="The profile goal it serves; None: any.")
    baseline: bool = Field(False, description="Always priced: the prompts the break-even compares.")
    benchmark: Benchmark
    prompt: PromptTokens | None = None
    memory: Memory | None = None
    train_flops_per_param_token: float | None = Field(None, gt=0)
    hyperparameters: dict[str, bool | int | float | str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> Method:
        local = self.kind == "fine-tune"
        if local and (self.memory is None or self.train_flops_per_param_token is None):
            raise ValueError("a fine-tune needs 'memory' and 'train_flops_per_param_token'")
        if not local and (self.memory or self.train_flops_per_param_token):
            raise ValueError(f"a {self.kind} method trains nothing locally: no memory or FLOPs")
        if self.prompt is not None and self.kind != "prompt":
            raise ValueError("only a prompt method has 'prompt' tokens")
        if self.memory and self.memory.trainable.per_layer_width_rank and self.rank is None:
            raise ValueError("a low-rank adapter needs an integer 'lora_r' hyperparameter")
        return self

    @property
    def trains_locally(self) -> bool:
        return self.kind == "fine-tune"

    @property
    def adapter(self) -> bool:
        """Trains added parameters over frozen base weights."""
        return self.memory is not None and self.memory.trainable.fraction is None

    @property
    def rank(self) -> int | None:
        r = self.hyperparameters.get("lora_r")
        return r if isinstance(r, int) and not isinstance(r, bool) else None

    @property
    def tokens(self) -> PromptTokens:
        return self.prompt or PromptTokens()


class MethodFile(_Strict):
    methods: list[Method] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> MethodFile:
        seen: set[str] = set()
        for m in self.methods:
            if m.name in seen:
                raise ValueError(f"method '{m.name}' is defined twice")
            seen.add(m.name)
        return self


@functools.lru_cache(maxsize=4)
def load_methods(path: str | Path | None = None) -> tuple[Method, ...]:
    """The methods of a file (default: the built-in ``data/methods.yaml``), validated."""
    from advisor.files import load_data_file

    parsed = load_data_file(Path(path) if path else METHODS_FILE, MethodFile, "methods")
    return tuple(
        m if m.origin != "unknown" else m.model_copy(update={"origin": "advisor"})
        for m in parsed.methods
    )


def with_plugins(plugins: Any) -> tuple[Method, ...]:
    """The built-in methods, then those the plugins of ``plugins`` (an ``advisor.plugins.Plugins``)
    provide. A built-in name cannot be redefined: the plugin's copy is dropped and reported."""
    builtin = load_methods()
    known = {m.name for m in builtin}
    extra = []
    for method in plugins.methods():
        if method.name in known:
            info = plugins.info.get(method.origin)
            message = f"advisor_methods: method '{method.name}' is built in; ignored"
            if info is not None and message not in info.errors:
                info.errors.append(message)
            continue
        extra.append(method)
    return (*builtin, *extra)


def get_method(name: str, methods: Iterable[Method] | None = None) -> Method:
    """The method called ``name``; the error lists the known ones."""
    pool = tuple(load_methods() if methods is None else methods)
    for m in pool:
        if m.name == name:
            return m
    raise UsageError(f"unknown method '{name}'; known: {', '.join(m.name for m in pool)}")


def training_method(name: str, methods: Iterable[Method] | None = None) -> Method:
    """The local fine-tune called ``name``; the error lists the known ones."""
    pool = [m for m in (load_methods() if methods is None else methods) if m.trains_locally]
    for m in pool:
        if m.name == name:
            return m
    raise UsageError(f"unknown training method '{name}'; known: {', '.join(m.name for m in pool)}")


def names(*kinds: str, methods: Iterable[Method] | None = None) -> tuple[str, ...]:
    """Names of the methods of these kinds (every kind when none is given), in file order."""
    known = get_args(Kind)
    for kind in kinds:
        if kind not in known:
            raise UsageError(f"unknown method kind '{kind}'; known: {', '.join(known)}")
    pool = load_methods() if methods is None else methods
    return tuple(m.name for m in pool if not kinds or m.kind in kinds)


# ---------------------------------------------------------------- derived, built-in methods

PROMPT_METHODS: tuple[str, ...] = names("prompt")
# Methods that train weights on the user's hardware, and those of them that are adapters.
TRAIN_METHODS: tuple[str, ...] = names("fine-tune")
ADAPTER_METHODS: tuple[str, ...] = tuple(m.name for m in load_methods() if m.adapter)
# Every way to fine-tune: locally, or through a provider's tuning service.
TUNING_METHODS: tuple[str, ...] = names("fine-tune", "api-fine-tune")
API_FINE_TUNE: str = names("api-fine-tune")[0]
# The baseline prompts: the plain one (a fine-tuned model is trained, scored and served with its
# format) and the one with demonstrations (the prompt a fine-tune must beat per query to pay
# back its training: the cost model's break-even).
PLAIN_PROMPT: str = next(m.name for m in load_methods() if m.baseline and not m.tokens.shots)
FEW_SHOT: str = next(m.name for m in load_methods() if m.baseline and m.tokens.shots)
# The training backend that benchmarks each fine-tuning method with the built-in plugins on
# any machine (the surrogate where there is one).
BENCHMARK_BACKEND: dict[str, str] = {
    m.name: m.benchmark.runs_as() for m in load_methods() if m.kind != "prompt"
}
# The arms `advisor benchmark` runs when no strategies are named.
DEFAULT_ARMS: tuple[str, ...] = tuple(
    m.benchmark.runs_as() for m in load_methods() if m.benchmark.default
)
LEARNING_RATE: dict[str, float] = {
    m.name: float(m.hyperparameters["learning_rate"])
    for m in load_methods()
    if "learning_rate" in m.hyperparameters
}
