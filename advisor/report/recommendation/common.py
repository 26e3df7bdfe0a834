"""Data the renderers share: the cost table's columns and cells, formatted once for all formats."""

from __future__ import annotations

from advisor.recommendation import CostCurve, CostReport, MethodCost

COST_COLUMNS: tuple[str, ...] = (
    "method",
    "train GB",
    "fits GPU",
    "GPU-hours",
    "train $",
    "$ / 1k queries",
    "$ / month",
)


def num(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec``; "-" when it is unknown."""
    return "-" if value is None else format(value, spec)


def cost_cells(m: MethodCost) -> tuple[str, ...]:
    """One cost-table row as plain text, in COST_COLUMNS order; each renderer escapes it."""
    return (
        m.method,
        num(m.memory_gb, ",.1f"),
        {True: "yes", False: "no", None: "-"}[m.fits_gpu],
        num(m.train_gpu_hours, ",.2f"),
        num(m.train_usd, ",.2f"),
        num(m.usd_per_1k_queries, ",.4f"),
        num(m.monthly_usd, ",.2f"),
    )


# How an arm is served, as the break-even sentence says it.
SERVED = {
    "api": "API tokens",
    "always-on": "always-on GPU",
    "scales-to-zero": "GPU time per use",
}


def _arm(c: CostCurve) -> str:
    return f"{c.method} ({SERVED[c.serving]})"


def break_even_sentence(cost: CostReport, monthly: int) -> str | None:
    """The break-even in words, from the same value the table and the chart use; None when
    there is none to state."""
    be = cost.break_even_monthly_queries
    if len(cost.curves) != 2:  # a report built without curves (by hand, or by a plugin)
        if be is None:
            return None
        return f"Break-even: from {be:,} queries a month the fine-tune costs less than the prompt."
    prompt, tuned = cost.curves
    if be is None:
        return (
            f"Break-even: none. {_arm(tuned)} never costs less than {_arm(prompt)}: its cost"
            " grows at least as fast with volume."
        )
    cheaper = tuned if monthly >= be else prompt
    return (
        f"Break-even: from {be:,} queries a month, {_arm(tuned)} costs less than"
        f" {_arm(prompt)}; at this profile's {monthly:,} a month, {cheaper.method} is cheaper"
        f" (${cheaper.monthly_usd(monthly):,.2f} a month against"
        f" ${(prompt if cheaper is tuned else tuned).monthly_usd(monthly):,.2f})."
    )
