"""The benchmark's charts as inline SVG: scores with confidence intervals, cost against score,
and the learning curve (also written alone as curve.svg)."""

from __future__ import annotations

from advisor.bench.schema import CurveResult, StrategyResult
from advisor.report import svg

COLOURS = {"prompt": "#4C78A8", "fine-tune": "#F58518", "baseline": "#54A24B"}


def _colour(s: StrategyResult) -> str:
    return COLOURS.get(s.kind, "#888")


def score_chart(strategies: list[StrategyResult], metric: str) -> str:
    """Scores with 95% CI error bars."""
    bars = []
    for s in strategies:
        v = s.metrics.get(metric, 0.0)
        lo, hi = s.ci95.get(metric, (v, v))
        bars.append(svg.CiBar(s.name, v, lo, hi, _colour(s)))
    return svg.ci_bars(bars, aria_label="scores")


def cost_score_chart(strategies: list[StrategyResult], metric: str) -> str:
    """Cost per 1,000 queries (x) against score (y)."""
    dots = []
    for s in strategies:
        if (cost := s.usd_per_1k_queries) is not None:
            v = s.metrics.get(metric, 0.0)
            title = f"{s.name}: {v:.3f} at {cost:.3g} USD"
            dots.append(svg.Dot(s.name, cost, v, _colour(s), title))
    return svg.scatter(
        dots,
        aria_label="cost vs score",
        x_caption="USD per 1,000 queries",
        y_caption=metric,
        empty="no cost figures",
    )


def curve_svg(r: CurveResult, width: int = 520, height: int = 300) -> str:
    """A self-contained SVG: fine-tune score vs training size (log x) and the prompt line."""
    marker = None
    if r.crossover_size is not None and r.status == "crosses":
        marker = (r.crossover_size, f"crossover ~{r.crossover_size:.0f}")
    return svg.log_line_chart(
        [svg.LinePoint(p.size, p.score, p.ci95) for p in r.points],
        aria_label="learning curve",
        series=f"{r.method} ({r.metric})",
        x_caption="training examples (log scale)",
        reference=(r.prompt_score, f"{r.prompt_strategy} {r.prompt_score:.2f}"),
        marker=marker,
        width=width,
        height=height,
    )
