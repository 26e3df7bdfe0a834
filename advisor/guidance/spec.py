"""The schema of advisor/data/guidance.yaml and its loader.

Pydantic checks each entry's shape; the checks below then check the file as a whole: the
seed's names each once and in order, every name a condition or text reads is a known fact,
every case list ends in a default. Errors name the entry, e.g.
``aspects[Scope].judge[0].favours: ...`` or ``aspect 'Scope': unknown fact 'labels' ...``.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, RootModel, ValidationError, model_validator

from advisor.guidance.conditions import (
    Case,
    Condition,
    Facts,
    Ref,
    Strict,
    first_match,
    render,
    template_names,
)
from advisor.guidance.fact_names import FACT_NAMES, FACT_VALUES
from advisor.guidance.methods_view import KNOWN_METHODS
from advisor.profile import TaskType
from advisor.recommendation import (
    ASPECTS,
    CHALLENGES,
    FINE_TUNING_STEPS,
    THREE_CS,
    Leaning,
    Rating,
)
from advisor.train_config import TrainConfig

GUIDANCE_FILE = Path(__file__).parents[1] / "data" / "guidance.yaml"


class GuidanceFileError(ValueError):
    """The guidance file is malformed; the message names the file and the entry."""


# ---------------------------------------------------------------- texts


class PhraseTable(Strict):
    """A text per value of an enumerated fact: {by: task_type, values: {classification: ...}}."""

    by: str
    values: dict[str, str]

    def say(self, facts: Facts) -> str:
        return render(self.values[facts[self.by]], facts)


class PhraseCases(RootModel[list[Case]]):
    """A text chosen by cases, the first that applies."""

    def say(self, facts: Facts) -> str:
        return render(first_match(self.root, facts).text or "", facts)


class Entry(Case):
    """A checklist or skeleton entry: kept when ``when`` holds; a bare string always is."""

    text: str

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data


class AspectCase(Case):
    favours: Leaning


class AspectSpec(Strict):
    name: str
    fine_tuning: str
    prompt_engineering: str
    judge: list[AspectCase]


class ChallengeCase(Case):
    rating: Rating


class Mitigations(Strict):
    high: str
    medium: str
    low: str


class ChallengeSpec(Strict):
    name: str
    why: str | None = None  # the text of a case that has none
    rate: list[ChallengeCase]
    mitigation: Mitigations
    provider_mitigation: str | None = None


class StepVariant(Strict):
    detail: str
    params: dict[str, str | list[str]] = {}
    hyperparameters_but: list[str] | None = None


class StepSpec(StepVariant):
    name: str
    provider: StepVariant | None = None


class ChecklistSpec(Strict):
    name: str
    advice: list[Entry]


# ---------------------------------------------------------------- ladders


def _total_ladder(steps: list[tuple[float, Any]]) -> list[tuple[float, Any]]:
    bounds = [bound for bound, _ in steps]
    if not steps or any(a >= b for a, b in zip(bounds, bounds[1:], strict=False)):
        raise ValueError(f"a ladder needs rising upper bounds, got {bounds}")
    if bounds[-1] != math.inf:
        raise ValueError("the last bound of a ladder must be .inf, so that every size has a value")
    return steps


FloatLadder = Annotated[list[tuple[float, float]], AfterValidator(_total_ladder)]
IntLadder = Annotated[list[tuple[float, int]], AfterValidator(_total_ladder)]
StrLadder = Annotated[list[tuple[float, str]], AfterValidator(_total_ladder)]


def on_ladder(ladder: list[tuple[float, Any]], value: float) -> Any:
    """The value of the first step whose upper bound ``value`` is below."""
    return next((result for bound, result in ladder if value < bound), ladder[-1][1])


class ExampleLadders(Strict):
    epochs: FloatLadder
    validation_fraction: FloatLadder
    weight_decay: FloatLadder
    warmup_ratio: FloatLadder
    scheduler: StrLadder
    lora_r: IntLadder
    lora_dropout: FloatLadder


class HyperparameterSpec(Strict):
    default_params_b: float
    cpu_trainable_params_b: float
    learning_rate: dict[str, float]
    default_learning_rate: float
    by_labeled_examples: ExampleLadders
    batch_size_by_gpu_gb: IntLadder
    effective_batch: int
    tight_memory_share: float
    tight_memory_batch: int
    evals_per_epoch: int
    min_eval_every: int
    patience: int
    lora_alpha_per_rank: int
    target_modules: str
    seed: int
    max_length: dict[TaskType, int]

    @model_validator(mode="after")
    def _complete(self) -> HyperparameterSpec:
        for task in TaskType:
            if task not in self.max_length:
                raise ValueError(f"max_length: no value for {task.value}")
        for method in self.learning_rate:
            if method not in KNOWN_METHODS:
                raise ValueError(f"learning_rate: unknown method {method!r}")
        return self


# ---------------------------------------------------------------- the file


class GuidanceSpec(Strict):
    conditions: dict[str, Condition] = {}
    phrases: dict[str, PhraseTable | PhraseCases] = {}
    aspects: list[AspectSpec]
    challenges: list[ChallengeSpec]
    hyperparameters: HyperparameterSpec
    fine_tuning_steps: list[StepSpec]
    three_cs: list[ChecklistSpec]
    prompt_skeleton: list[Entry]

    @model_validator(mode="after")
    def _consistent(self) -> GuidanceSpec:
        _check_seed(self)
        _check_references(self)
        return self


# ---------------------------------------------------------------- checks of the whole file


def _check_seed(spec: GuidanceSpec) -> None:
    _seed_names("aspect", [a.name for a in spec.aspects], ASPECTS)
    _seed_names("challenge", [c.name for c in spec.challenges], CHALLENGES)
    _seed_names("fine-tuning step", [s.name for s in spec.fine_tuning_steps], FINE_TUNING_STEPS)
    _seed_names("3C", [c.name for c in spec.three_cs], THREE_CS)


def _seed_names(kind: str, names: list[str], seed: tuple[str, ...]) -> None:
    """Each of the seed's names exactly once, in the seed's order, and nothing else."""
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"{kind} {name!r} appears {names.count(name)} times")
        if name not in seed:
            raise ValueError(f"{kind} {name!r} is not one of the seed's: {', '.join(seed)}")
    for name in seed:
        if name not in names:
            raise ValueError(f"{kind} {name!r} is missing")
    if names != list(seed):
        raise ValueError(f"{kind}s must follow the seed's order: {', '.join(seed)}")


def _check_references(spec: GuidanceSpec) -> None:
    """Every name a condition or text uses is a fact, a named condition or a phrase."""
    named = set(spec.conditions) | set(spec.phrases)
    clash = sorted((named & FACT_NAMES) | (set(spec.conditions) & set(spec.phrases)))
    if clash:
        raise ValueError(f"{clash[0]!r} is defined twice (a fact, a condition or a phrase)")
    flags = FACT_NAMES | set(spec.conditions)
    texts = flags | set(spec.phrases)
    for name, condition in spec.conditions.items():
        _check_condition(f"condition {name!r}", condition, FACT_NAMES)
    for name, phrase in spec.phrases.items():
        if isinstance(phrase, PhraseTable):
            _check_table(f"phrase {name!r}", phrase, flags)
        else:
            _check_cases(f"phrase {name!r}", phrase.root, None, flags, flags)
    for aspect in spec.aspects:
        _check_cases(f"aspect {aspect.name!r}", aspect.judge, None, flags, texts)
    for challenge in spec.challenges:
        where = f"challenge {challenge.name!r}"
        _check_cases(where, challenge.rate, challenge.why, flags, texts)
        for text in (*challenge.mitigation.model_dump().values(), challenge.provider_mitigation):
            _check_text(where, text, texts)
    for step in spec.fine_tuning_steps:
        for variant in (step, step.provider):
            _check_step(f"fine-tuning step {step.name!r}", variant, texts)
    for item in spec.three_cs:
        _check_entries(f"3C {item.name!r}", item.advice, flags, texts)
    _check_entries("prompt_skeleton", spec.prompt_skeleton, flags, texts)


def _check_cases(
    where: str, cases: list[Any], default: str | None, flags: set[str], texts: set[str]
) -> None:
    if not cases or cases[-1].when is not None:
        raise ValueError(f"{where}: the last case must have no 'when', it is the default")
    for number, case in enumerate(cases, start=1):
        if case.text is None and default is None:
            raise ValueError(f"{where}: case {number} has no text")
    _check_entries(where, cases, flags, texts, default)


def _check_entries(
    where: str, cases: list[Any], flags: set[str], texts: set[str], default: str | None = None
) -> None:
    for case in cases:
        if case.when is not None:
            _check_condition(where, case.when, flags)
        _check_text(where, case.text or default, texts)


def _check_step(where: str, step: StepVariant | None, texts: set[str]) -> None:
    if step is None:
        return
    _check_text(where, step.detail, texts)
    for key, fact in step.params.items():
        if isinstance(fact, str) and fact not in texts:
            raise ValueError(f"{where}: parameter {key!r} names an unknown fact {fact!r}")
    for key in step.hyperparameters_but or ():
        if key not in TrainConfig.model_fields:
            raise ValueError(f"{where}: {key!r} is not a hyperparameter")


def _check_table(where: str, table: PhraseTable, texts: set[str]) -> None:
    allowed = FACT_VALUES.get(table.by)
    if allowed is None:
        raise ValueError(f"{where}: {table.by!r} is not an enumerated fact")
    for value in sorted(allowed ^ set(table.values)):
        problem = "no text for" if value in allowed else "an unknown value"
        raise ValueError(f"{where}: {problem} {table.by}={value!r}")
    for text in table.values.values():
        _check_text(where, text, texts)


def _check_condition(where: str, condition: Condition, known: set[str]) -> None:
    for clause in condition.walk():
        ref = clause.value.fact if isinstance(clause.value, Ref) else None
        for name in (clause.field, ref):
            if name is not None and name not in known:
                raise ValueError(f"{where}: unknown fact {name!r} in a condition")
        allowed = FACT_VALUES.get(clause.field)
        if allowed is None:
            continue
        if clause.op not in ("eq", "ne", "in"):
            raise ValueError(f"{where}: {clause.field} is compared with {clause.op}; use eq or in")
        values = clause.value if isinstance(clause.value, list) else [clause.value]
        for value in values:
            if value is not None and value not in allowed:
                raise ValueError(
                    f"{where}: {clause.field} is never {value!r} (one of: {', '.join(sorted(allowed))})"
                )


def _check_text(where: str, text: str | None, known: set[str]) -> None:
    if text is None:
        return
    try:
        names = template_names(text)
    except ValueError as err:
        raise ValueError(f"{where}: {err} in {text!r}") from None
    for name in sorted(names - known):
        raise ValueError(f"{where}: unknown fact {name!r} in {text!r}")


def load_guidance(path: Path = GUIDANCE_FILE) -> GuidanceSpec:
    """Read and validate a guidance file; GuidanceFileError names the broken entry."""
    import yaml

    # The C parser when libyaml is there: five times faster, and this runs on every recommend.
    safe_loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeyLoader(safe_loader):
        # A repeated key would silently replace an entry; refuse it instead.
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
            repeated = next((k for k in keys if keys.count(k) > 1), None)
            if repeated is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {repeated!r} appears twice", node.start_mark
                )
            return super().construct_mapping(node, deep)

    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader)
    except yaml.YAMLError as err:
        raise GuidanceFileError(f"{path}: {err}") from None
    try:
        return GuidanceSpec.model_validate(raw)
    except ValidationError as err:
        problems = [_where(e["loc"], raw) + _message(e["msg"]) for e in err.errors()]
        raise GuidanceFileError(f"{path}: " + "; ".join(problems)) from None


def _where(loc: tuple[Any, ...], raw: Any) -> str:
    """A pydantic location with list indices replaced by entry names: aspects[Scope].judge[0]."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            node = node[key]
            name = node.get("name") if isinstance(node, dict) else None
            parts.append(f"[{name or key}]")
            continue
        node = node.get(key) if isinstance(node, dict) else None
        parts.append(f".{key}" if parts else str(key))
    return "".join(parts) + ": " if parts else ""


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


@functools.cache
def guidance_spec() -> GuidanceSpec:
    """The built-in guidance, read once per process."""
    return load_guidance()
