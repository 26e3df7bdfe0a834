"""The task profile: what the advice is computed from.

Field names are a public interface: CLI flags (``--labeled-examples``), profile files
(YAML/TOML/JSON), the Python API and ``--json`` output all use them.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.errors import UsageError, excerpt, printable
from advisor.files import parse_config, read_text


class TaskType(str, Enum):
    classification = "classification"
    extraction = "extraction"
    generation = "generation"
    summarization = "summarization"
    qa = "qa"
    code = "code"
    chat = "chat"
    other = "other"


class Goal(str, Enum):
    behaviour = "behaviour"
    knowledge = "knowledge"
    both = "both"


class Expertise(str, Enum):
    none = "none"
    basic = "basic"
    ml_engineer = "ml_engineer"
    ml_researcher = "ml_researcher"


class ModelAccess(str, Enum):
    open_weights = "open_weights"
    api_only = "api_only"


class RequirementsChange(str, Enum):
    rarely = "rarely"
    monthly = "monthly"
    weekly = "weekly"


class DomainShift(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"


class OutputFormat(str, Enum):
    free = "free"
    structured = "structured"


# Ordered levels, for rules that compare ("at least ml_engineer").
EXPERTISE_LEVEL = {
    Expertise.none: 0,
    Expertise.basic: 1,
    Expertise.ml_engineer: 2,
    Expertise.ml_researcher: 3,
}
CHANGE_LEVEL = {
    RequirementsChange.rarely: 0,
    RequirementsChange.monthly: 1,
    RequirementsChange.weekly: 2,
}
SHIFT_LEVEL = {DomainShift.low: 0, DomainShift.medium: 1, DomainShift.high: 2}


MAX_MONTHLY_QUERIES = 10**15


class Profile(BaseModel):
    """Everything the advisor needs to know about a task. Unknown fields are errors.

    Numbers are finite and bounded: the maxima lie far beyond any real task (10 trillion
    parameters, a trillion examples) and keep every estimate built on them finite.
    """

    model_config = ConfigDict(
        extra="forbid", use_enum_values=False, validate_assignment=True, allow_inf_nan=False
    )

    task_type: TaskType = Field(TaskType.classification, description="Kind of task.")
    goal: Goal = Field(
        Goal.behaviour,
        description="Teach a skill/format/style (behaviour) or inject facts (knowledge).",
    )
    labeled_examples: int = Field(500, ge=0, le=10**12, description="Input/output pairs available.")
    num_labels: int | None = Field(
        None, ge=2, le=100_000, description="Number of classes, for classification."
    )
    budget_usd: float = Field(
        100.0, ge=0, le=10**12, description="One-off compute budget for adaptation, USD."
    )
    gpu_memory_gb: float = Field(
        0.0, ge=0, le=100_000, description="Memory of the largest GPU at hand; 0 = no GPU."
    )
    gpu_count: int = Field(0, ge=0, le=1_000_000, description="Number of GPUs at hand.")
    expertise: Expertise = Field(Expertise.basic, description="ML expertise of the team.")
    model_params_b: float | None = Field(
        None, gt=0, le=10_000, description="Size of the model to adapt, billions of parameters."
    )
    model_access: ModelAccess = Field(
        ModelAccess.open_weights, description="Open weights, or only reachable through an API."
    )
    monthly_queries: int = Field(
        10_000, ge=0, le=MAX_MONTHLY_QUERIES, description="Expected production volume per month."
    )
    latency_ms: int | None = Field(
        None, gt=0, le=86_400_000, description="Per-request latency target, ms."
    )
    data_can_leave: bool = Field(True, description="May training data go to a third-party API.")
    requirements_change: RequirementsChange = Field(
        RequirementsChange.monthly, description="How often the task definition moves."
    )
    domain_shift: DomainShift = Field(
        DomainShift.medium, description="Distance of the task's text from general web text."
    )
    output_format: OutputFormat = Field(
        OutputFormat.free, description="Strict schema/format required?"
    )
    deadline_days: int | None = Field(None, ge=0, le=36_500, description="Days until it must work.")

    @property
    def has_gpu(self) -> bool:
        return self.gpu_memory_gb > 0 and self.gpu_count > 0


FIELD_NAMES: tuple[str, ...] = tuple(Profile.model_fields)


def field_range(name: str) -> str:
    """The allowed range of a numeric field, as messages and help show it: '0 to 100,000'."""
    low = high = None
    low_open = False
    for constraint in Profile.model_fields[name].metadata:
        for attr, open_ in (("ge", False), ("gt", True)):
            if getattr(constraint, attr, None) is not None:
                low, low_open = getattr(constraint, attr), open_
        if getattr(constraint, "le", None) is not None:
            high = constraint.le
    if low is None and high is None:
        return ""
    shown_high = f"{high:,}" if high is not None else "any"
    return f"{'above ' if low_open else ''}{low:,} to {shown_high}"


def format_validation_error(err: ValidationError) -> str:
    """One clause per problem, naming the field, what is allowed and (briefly) what was given."""
    lines = []
    for e in err.errors():
        field = ".".join(printable(str(p)) for p in e["loc"]) or "profile"
        if e["type"] == "extra_forbidden":
            lines.append(f"unknown field {excerpt(field)}; known fields: {', '.join(FIELD_NAMES)}")
            continue
        msg = e["msg"]
        info = Profile.model_fields.get(field)
        allowed = _allowed_values(info.annotation) if info else None
        if allowed:
            msg = f"{msg} (allowed: {', '.join(allowed)})"
        elif info and field_range(field):
            msg = f"{msg} (allowed: {field_range(field)})"
        lines.append(f"invalid value for '{field}': {msg} (got {excerpt(e.get('input'))})")
    return "; ".join(lines)


def _allowed_values(annotation: Any) -> list[str] | None:
    for arg in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(arg, type) and issubclass(arg, Enum):
            return [m.value for m in arg]
    return None


def build_profile(values: dict[str, Any]) -> Profile:
    """Validate a mapping into a Profile, raising UsageError with a readable message."""
    try:
        return Profile.model_validate(values)
    except ValidationError as err:
        raise UsageError(format_validation_error(err)) from None


PROFILE_SUFFIXES = (".yaml", ".yml", ".toml", ".json")


def read_profile_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML, TOML or JSON profile into a plain dict (not yet validated)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in PROFILE_SUFFIXES:
        raise UsageError(f"profile file {p} must end in .yaml, .yml, .toml or .json")
    raw = read_text(p, "profile file")
    try:
        data = parse_config(raw, suffix)
    except ValueError as err:
        raise UsageError(f"malformed profile file {p}: {err}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UsageError(f"profile file {p} must hold a mapping of field names to values")
    return data


def load_profile(path: str | Path | None = None, **overrides: Any) -> Profile:
    """A profile from an optional file, with explicit values (e.g. CLI flags) winning."""
    values: dict[str, Any] = read_profile_file(path) if path else {}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return build_profile(values)
