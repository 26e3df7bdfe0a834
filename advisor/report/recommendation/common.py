"""Data the renderers share: the cost table's columns and cells, formatted once for all formats."""

from __future__ import annotations

from advisor.recommendation import MethodCost

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
