"""The knobs of an estimate that the Profile does not hold, with their defaults."""

from __future__ import annotations

import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.errors import UsageError, excerpt
from advisor.methods import FEW_SHOT, get_method
from advisor.profile import TaskType

DEFAULT_MODEL_PARAMS_B = 7.0
# A context of ten million tokens is beyond any model's.
MAX_TOKENS = 10_000_000

# Output tokens by task type when the caller gives none: a label is a few tokens, text is more.
DEFAULT_OUTPUT_TOKENS = {
    TaskType.classification: 5,
    TaskType.extraction: 60,
    TaskType.qa: 60,
    TaskType.code: 200,
    TaskType.generation: 200,
    TaskType.summarization: 150,
    TaskType.chat: 200,
    TaskType.other: 100,
}


def _default_shots() -> int:
    return get_method(FEW_SHOT).tokens.shots


class CostInputs(BaseModel):
    """Knobs of the estimate that the Profile does not hold."""

    # Finite and bounded, like the Profile's numbers: far beyond any real prompt or schedule.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    avg_tokens: int = Field(
        256, gt=0, le=MAX_TOKENS, description="Tokens per training example (input + output)."
    )
    epochs: float = Field(3.0, gt=0, le=10_000, description="Passes over the training data.")
    shots: int = Field(
        default_factory=_default_shots,
        ge=0,
        le=100_000,
        description="Demonstrations in a few-shot prompt (default: the few-shot method's).",
    )
    prompt_tokens: int = Field(
        200,
        gt=0,
        le=MAX_TOKENS,
        description="Tokens of a zero-shot prompt (instruction + input); a fine-tune's too.",
    )
    output_tokens: int | None = Field(
        None, gt=0, le=MAX_TOKENS, description="Generated tokens per query."
    )
    horizon_months: int = Field(
        12, gt=0, le=1200, description="Months over which training is amortised."
    )
    gpu: str | None = Field(None, description="GPU type from the price table.")
    api: str | None = Field(
        None,
        description="API model from the price table: the model of api_only profiles, and what"
        " prompts are priced at when the data may leave.",
    )
    scales_to_zero: bool = Field(
        False,
        description="The self-hosted deployment scales to zero when idle, so it pays per use"
        " (default: at least one always-on GPU instance).",
    )
    today: datetime.date | None = Field(
        None, description="The day provider offerings are judged on (default: today)."
    )


def build_inputs(values: dict[str, Any]) -> CostInputs:
    try:
        return CostInputs.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as err:
        e = err.errors()[0]
        field = ".".join(str(p) for p in e["loc"])
        raise UsageError(
            f"invalid value for '{field}': {e['msg']} (got {excerpt(e.get('input'))})"
        ) from None
