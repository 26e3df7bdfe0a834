"""The Recommendation: one object that every renderer (text, JSON, Markdown, HTML) draws.

``advisor recommend --json-schema`` prints the JSON schema of this model.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, Field

from advisor.profile import Profile

Verdict = Literal["prompt", "fine-tune", "prompt-then-fine-tune"]
Leaning = Literal["fine-tune", "prompt", "neutral"]
Rating = Literal["low", "medium", "high"]

# The seed article's vocabulary; the renderers and tests rely on these exact names.
ASPECTS: tuple[str, ...] = (
    "Definition",
    "Scope",
    "Training Data",
    "Model Updates",
    "Expertise",
    "Adaptability",
    "Performance Trade-off",
    "Resource Requirements",
    "Use Cases",
    "Cost",
)
CHALLENGES: tuple[str, ...] = (
    "Overfitting",
    "Catastrophic forgetting",
    "High computational resources",
    "Data Scarcity",
    "Domain Shift",
    "Ethical Considerations",
    "Hyperparameter Selection and Tuning",
)
FINE_TUNING_STEPS: tuple[str, ...] = (
    "Select the pre-trained model",
    "Define the target task and goals",
    "Prepare task-specific data",
    "Configure fine-tuning parameters",
    "Train and refine iteratively",
    "Evaluate and validate",
    "Iterate and deploy",
)
THREE_CS: tuple[str, ...] = ("Clarity", "Context", "Constraints")


class Source(BaseModel):
    """Where a rule's claim comes from, and the figure it rests on."""

    title: str
    kind: Literal["paper", "vendor-guide", "benchmark", "book", "measurement"]
    url: str | None = None
    year: int | None = None
    figure: str = Field(description="The number or finding the rule rests on.")


class Reason(BaseModel):
    """One rule's contribution to this recommendation."""

    rule_id: str
    statement: str
    source: Source
    fields: list[str]
    weight: float = Field(
        description="Signed points: positive favours fine-tuning, negative prompting."
    )
    origin: str = Field("advisor_evidence", description="Plugin that supplied the rule.")


class Aspect(BaseModel):
    """One row of the seed's 10-aspect comparison, judged for this task."""

    name: str
    fine_tuning: str
    prompt_engineering: str
    favours: Leaning
    judgement: str


class Challenge(BaseModel):
    """One of the seed's 7 fine-tuning challenges, rated for this task."""

    name: str
    rating: Rating
    why: str
    mitigation: str
    measured: str | None = Field(
        None, description="A measured value that replaces the guess, if any."
    )


class PlanStep(BaseModel):
    number: int
    name: str
    detail: str
    params: dict[str, Any] = Field(default_factory=dict)


class ChecklistItem(BaseModel):
    """One of the 3Cs (Clarity, Context, Constraints) with what to do for this task."""

    name: str
    advice: list[str]


class Plan(BaseModel):
    """The 7 fine-tuning steps with hyperparameters, or the 3C checklist with a prompt skeleton."""

    kind: Literal["fine-tune", "prompt"]
    steps: list[PlanStep] = Field(default_factory=list)
    checklist: list[ChecklistItem] = Field(default_factory=list)
    prompt_skeleton: str | None = None
    hyperparameters: dict[str, Any] = Field(default_factory=dict)


class MethodCost(BaseModel):
    """Resources for one adaptation method (or prompting strategy)."""

    method: str
    memory_gb: float | None = Field(None, description="Peak memory to train (None for prompting).")
    fits_gpu: bool | None = Field(
        None, description="Whether it fits the profile's GPU; None without one."
    )
    train_flops: float | None = None
    train_gpu_hours: float | None = None
    train_usd: float | None = None
    usd_per_1k_queries: float
    monthly_usd: float


Serving = Literal["api", "always-on", "scales-to-zero"]


class CostCurve(BaseModel):
    """One arm's monthly cost as a function of monthly volume: what the break-even solves and
    the report's chart draws. API tokens and scale-to-zero GPUs cost per query; always-on GPUs
    cost per instance, and an instance serves ``queries_per_instance`` a month."""

    method: str
    serving: Serving
    fixed_usd: float = Field(0.0, ge=0, description="Per month whatever the volume (training).")
    usd_per_query: float = Field(0.0, ge=0)
    instance_usd: float = Field(0.0, ge=0, description="One serving instance for a month.")
    queries_per_instance: float | None = Field(None, gt=0)
    min_instances: int = Field(0, ge=0)

    def instances(self, queries: float) -> int:
        if self.queries_per_instance is None:
            return 0
        return max(self.min_instances, math.ceil(queries / self.queries_per_instance))

    def monthly_usd(self, queries: float) -> float:
        return (
            self.fixed_usd
            + self.usd_per_query * queries
            + self.instance_usd * self.instances(queries)
        )


class CostReport(BaseModel):
    methods: list[MethodCost]
    break_even_monthly_queries: int | None = Field(
        None,
        description="Monthly volume from which the fine-tune is cheaper than the prompt it is"
        " weighed against (the recommended prompt, else few-shot): where the curves cross.",
    )
    curves: list[CostCurve] = Field(
        default_factory=list,
        description="The break-even's two arms: the prompt first, then the fine-tune.",
    )
    scales_to_zero: bool = Field(
        False, description="Self-hosted serving is paid per use, not by always-on instances."
    )
    price_table: str = Field(description="Name, date and source of the price table used.")
    assumptions: list[str] = Field(default_factory=list)


class Recommendation(BaseModel):
    verdict: Verdict
    method: str
    confidence: float = Field(ge=0, le=1, description="P(the verdict is right), calibrated.")
    confidence_note: str = Field(
        "", description="Where the confidence comes from, in one line (shown by every renderer)."
    )
    score: float = Field(description="Sum of rule weights; positive favours fine-tuning.")
    summary: str
    profile: Profile
    reasons: list[Reason]
    constraints: list[str] = Field(
        default_factory=list, description="Hard constraints that removed methods before scoring."
    )
    excluded_methods: list[str] = Field(default_factory=list)
    alternatives: list[str] = Field(default_factory=list)
    aspects: list[Aspect]
    challenges: list[Challenge]
    plan: Plan
    cost: CostReport
    benchmark_command: str
    profile_sources: dict[str, str] = Field(
        default_factory=dict,
        description="Where each profile field came from: flag, file, data, default.",
    )
    version: str
