"""The parts every estimate shares: the result models and the job an estimate works on."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from advisor.cost.inputs import CostInputs
from advisor.cost.memory import MemoryEstimate
from advisor.cost.prices import PriceTable
from advisor.cost.serving import break_even
from advisor.methods import FEW_SHOT, Method
from advisor.profile import Profile
from advisor.recommendation import CostCurve, CostReport, MethodCost, Serving


class QueryCost(BaseModel):
    """What one arm's queries cost at the profile's volume (serving only, no training)."""

    strategy: str
    serving: Serving
    prompt_tokens: int
    output_tokens: int
    usd_per_query: float = Field(description="On average at the profile's monthly volume.")
    usd_per_1k_queries: float
    monthly_usd: float = Field(description="Serving cost at the profile's monthly volume.")


class PriceTableInfo(BaseModel):
    """Which price snapshot an estimate used."""

    name: str
    date: datetime.date
    sources: list[str]


class CostEstimate(BaseModel):
    """Everything `advisor cost` shows; ``report`` is the part a Recommendation carries."""

    model_params_b: float
    model_access: Literal["open_weights", "api_only"]
    gpu: str | None = Field(description="Price-table GPU used for dollars (open weights).")
    gpu_name: str | None
    gpu_memory_gb: float
    gpu_count: int
    api: str | None = Field(
        description="Price-table API model used: the api_only model, or the prompts' API."
    )
    inputs: CostInputs
    training_tokens: float
    memory: list[MemoryEstimate]
    gpus_needed: dict[str, int | None] = Field(
        description="GPUs of the profile's size (else of the priced type) each method needs."
    )
    inference_memory_gb: dict[str, float]
    queries: list[QueryCost]
    break_even_method: str | None
    prices: PriceTableInfo
    report: CostReport


@dataclass
class Job:
    """The quantities every part of one estimate shares."""

    profile: Profile
    inputs: CostInputs
    prices: PriceTable
    methods: tuple[Method, ...]
    method: str | None
    params_b: float
    output_tokens: int
    tokens: float
    assumptions: list[str]

    def price_info(self) -> PriceTableInfo:
        return PriceTableInfo(
            name=self.prices.name, date=self.prices.date, sources=self.prices.sources
        )

    def result(
        self,
        rows: list[MethodCost],
        curves: list[CostCurve],
        break_even_method: str | None,
        **fields: Any,
    ) -> CostEstimate:
        """The CostEstimate with the fields every path fills the same way; ``fields`` add the
        rest. ``curves``: the prompt's and the fine-tune's, whose crossing is the break-even."""
        return CostEstimate(
            model_params_b=self.params_b,
            gpu_memory_gb=self.profile.gpu_memory_gb,
            gpu_count=self.profile.gpu_count,
            inputs=self.inputs,
            training_tokens=self.tokens,
            break_even_method=break_even_method,
            prices=self.price_info(),
            report=CostReport(
                methods=rows,
                break_even_monthly_queries=break_even(*curves) if len(curves) == 2 else None,
                curves=curves,
                scales_to_zero=self.inputs.scales_to_zero,
                price_table=self.prices.label(),
                assumptions=self.assumptions,
            ),
            **fields,
        )

    @property
    def compared_prompt(self) -> str:
        """The prompt the break-even weighs the fine-tune against: the recommended method when
        it is a prompt (what the user would run instead), else the few-shot prompt."""
        return self.method if self.method in self.prompts() else FEW_SHOT

    @property
    def few_shot_prompt(self) -> int:
        return self.prompts()[FEW_SHOT][0]

    def priced_prompts(self) -> list[Method]:
        """The baseline prompts, and the recommended method if it is another prompt."""
        return [
            m for m in self.methods if m.kind == "prompt" and (m.baseline or m.name == self.method)
        ]

    def prompts(self) -> dict[str, tuple[int, int]]:
        """(prompt, output) tokens per priced prompt: the zero-shot prompt's, plus the
        method's demonstrations and extra tokens."""
        out = {}
        for m in self.priced_prompts():
            t = m.tokens
            shots = self.inputs.shots * self.inputs.avg_tokens if t.shots else 0
            out[m.name] = (
                self.inputs.prompt_tokens + shots + t.extra_prompt_tokens,
                self.output_tokens + t.extra_output_tokens,
            )
        return out

    def training_methods(self) -> list[Method]:
        """Local fine-tunes in the cost table's order: full-weight ones first, then adapters."""
        return sorted((m for m in self.methods if m.trains_locally), key=lambda m: m.adapter)


def serving_usd(curve: CostCurve, monthly: int) -> tuple[float, float]:
    """(per query, per month) of serving at ``monthly`` queries: per query is the month's
    serving cost shared over its queries, or the cost of one more query when there are none."""
    serving = curve.monthly_usd(monthly) - curve.fixed_usd
    per_query = serving / monthly if monthly else curve.monthly_usd(1) - curve.monthly_usd(0)
    return per_query, serving


def query(strategy: str, tokens: tuple[int, int], curve: CostCurve, monthly: int) -> QueryCost:
    per_query, serving = serving_usd(curve, monthly)
    return QueryCost(
        strategy=strategy,
        serving=curve.serving,
        prompt_tokens=tokens[0],
        output_tokens=tokens[1],
        usd_per_query=per_query,
        usd_per_1k_queries=per_query * 1000,
        monthly_usd=serving,
    )


def cost_row(curve: CostCurve, monthly: int, **training: Any) -> MethodCost:
    """A cost-table row read off the arm's curve at the profile's volume."""
    per_query, _ = serving_usd(curve, monthly)
    return MethodCost(
        method=curve.method,
        usd_per_1k_queries=per_query * 1000,
        monthly_usd=curve.monthly_usd(monthly),
        **training,
    )
