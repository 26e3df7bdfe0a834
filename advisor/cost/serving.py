"""Serving in the break-even: each arm's monthly cost as a curve over volume, and where the
curves cross.

- A prompt sent to an API pays the API's token prices, every shot's tokens included.
- A fine-tune its provider hosts pays the provider's fine-tuned-model token prices.
- A self-hosted model pays for GPU capacity: enough instances for the volume at the
  utilisation the latency target allows, at least one of them always on, unless the
  deployment scales to zero (then it pays for the GPU time its queries take).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from advisor.cost.compute import query_gpu_seconds
from advisor.cost.memory import inference_memory_gb
from advisor.cost.prices import GpuPrice
from advisor.profile import MAX_MONTHLY_QUERIES
from advisor.recommendation import CostCurve

HOURS_PER_MONTH = 730.0  # 8,760 hours a year / 12
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
# The average utilisation serving capacity is planned at without a latency target: headroom
# for daily peaks and bursts (a judgement, stated in the report's assumptions).
PLANNED_UTILISATION = 0.5
# The break-even search gives up after this many capacity steps below its bound, and gives
# the volume it reached as an upper bound (never reached by realistic curves: the crossing
# lies within a few steps of the bound).
MAX_STEPS = 100_000
# A break-even above the largest monthly volume a profile can state is never reached.
MAX_BREAK_EVEN = MAX_MONTHLY_QUERIES


@dataclass(frozen=True)
class Instance:
    """One serving replica of a model on the priced GPU type."""

    gpus: int  # GPUs that hold the bf16 weights and one request's KV cache
    seconds_per_query: float  # with the work split over its GPUs (tensor parallel)
    utilisation: float  # the average load it is planned at
    latency_met: bool | None  # None without a latency target

    def queries_per_month(self) -> float:
        return self.utilisation * SECONDS_PER_MONTH / self.seconds_per_query


def instance(
    params_b: float, tokens: tuple[int, int], gpu: GpuPrice, latency_ms: int | None
) -> Instance:
    """The replica for ``tokens`` = (prompt, output) per query. With a latency target L and a
    query's service time S, a queue (M/M/1) answers in S / (1 - load) on average, so the load
    may be at most 1 - S / L; a target below S cannot be met on this GPU."""
    gpus = max(1, math.ceil(inference_memory_gb(params_b, sum(tokens)) / gpu.memory_gb))
    seconds = query_gpu_seconds(params_b, *tokens, gpu) / gpus
    utilisation, met = PLANNED_UTILISATION, None
    if latency_ms is not None:
        target = latency_ms / 1000
        met = seconds < target
        if met:
            utilisation = min(utilisation, 1 - seconds / target)
    return Instance(gpus, seconds, utilisation, met)


def self_hosted_curve(
    method: str, fixed_usd: float, replica: Instance, gpu: GpuPrice, scales_to_zero: bool
) -> CostCurve:
    gpu_usd_per_second = replica.gpus * gpu.usd_per_hour / 3600
    if scales_to_zero:
        return CostCurve(
            method=method,
            serving="scales-to-zero",
            fixed_usd=fixed_usd,
            usd_per_query=replica.seconds_per_query * gpu_usd_per_second,
        )
    return CostCurve(
        method=method,
        serving="always-on",
        fixed_usd=fixed_usd,
        instance_usd=gpu_usd_per_second * SECONDS_PER_MONTH,
        queries_per_instance=replica.queries_per_month(),
        min_instances=1,
    )


def api_curve(method: str, fixed_usd: float, usd_per_query: float) -> CostCurve:
    return CostCurve(method=method, serving="api", fixed_usd=fixed_usd, usd_per_query=usd_per_query)


def _slope(c: CostCurve) -> float:
    """Dollars per extra query in the long run."""
    steps = c.instance_usd / c.queries_per_instance if c.queries_per_instance else 0.0
    return c.usd_per_query + steps


def break_even(prompt: CostCurve, tuned: CostCurve) -> int | None:
    """The least monthly volume from which the fine-tune costs no more than the prompt at
    every higher volume; None when its cost grows at least as fast as the prompt's, or the
    volume would lie beyond MAX_BREAK_EVEN (a saving of a fraction of a cent per billion
    queries: no real volume pays the training back)."""
    slope_p, slope_t = _slope(prompt), _slope(tuned)
    if slope_t >= slope_p:
        return None
    # Above the bound `hi` the fine-tune is cheaper whatever the instance steps: it costs at most
    # fixed + (min + 1) instances + slope·v, the prompt's at least fixed + slope·v.
    top_usd = tuned.fixed_usd + tuned.instance_usd * (tuned.min_instances + 1) - prompt.fixed_usd
    bound = top_usd / (slope_p - slope_t)
    if not bound <= MAX_BREAK_EVEN:  # beyond any volume a profile can state (or not finite)
        return None
    hi = max(0, math.ceil(bound))
    # Instance counts are constant on each run of volumes (lower edge, hi]: the cost
    # difference is linear there, so its last dearer volume is found from the ends. Runs are
    # searched downwards from the bound; the crossing lies within a few steps of it.
    for _ in range(MAX_STEPS):
        lo = _edge_below(hi, (prompt, tuned))
        last = _last_dearer(prompt, tuned, lo + 1 if hi else 0, hi)
        if last is not None:
            return last + 1
        if hi == 0:
            return 0
        hi = lo
    return hi + 1  # an upper bound: nothing above it was dearer


def _edge_below(v: int, curves: tuple[CostCurve, ...]) -> int:
    """The highest volume below ``v`` after which some curve needs one more instance (0 at
    the bottom)."""
    best = 0
    for c in curves:
        if not c.queries_per_instance or v <= 0:
            continue
        k = math.ceil(v / c.queries_per_instance) - 1  # the last step below v
        while k > 0 and math.floor(k * c.queries_per_instance) >= v:
            k -= 1
        if k > 0:
            best = max(best, math.floor(k * c.queries_per_instance))
    return best


def _last_dearer(prompt: CostCurve, tuned: CostCurve, lo: int, hi: int) -> int | None:
    """The largest volume in [lo, hi] where the fine-tune costs more (linear in between)."""

    def dearer(v: int) -> bool:
        t, p = tuned.monthly_usd(v), prompt.monthly_usd(v)
        return t - p > 1e-9 * max(1.0, abs(p))  # beyond float rounding

    if dearer(hi):
        return hi
    if lo >= hi or not dearer(lo):
        return None
    gap = tuned.monthly_usd(lo) - prompt.monthly_usd(lo)
    slope = (tuned.monthly_usd(hi) - prompt.monthly_usd(hi) - gap) / (hi - lo)
    # min() before ceil(): a slope that rounding made tiny must not overflow the step.
    step = min(gap / -slope, hi - lo) if slope < 0 else hi - lo
    v = min(hi, lo + math.ceil(step))
    while v > lo and not dearer(v):  # float rounding: step back to the last dearer one
        v -= 1
    while v < hi and dearer(v + 1):
        v += 1
    return v
