"""The benchmark's charts as inline SVG: scores with confidence intervals, cost against score,
and the learning curve (also written alone as curve.svg)."""

from __future__ import annotations

import math
from html import escape

from advisor.bench.curve import CurveResult
from advisor.bench.schema import StrategyResult

COLOURS = {"prompt": "#4C78A8", "fine-tune": "#F58518", "baseline": "#54A24B"}


def score_chart(strategies: list[StrategyResult], metric: str) -> str:
    """Scores with 95% CI error bars."""
    w, h, left, bottom, top = 560, 260, 50, 40, 20
    n = max(len(strategies), 1)
    slot = (w - left - 10) / n
    y = lambda v: top + (1 - v) * (h - top - bottom)  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="scores">'
    ]
    for t in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            f'<line x1="{left}" x2="{w - 10}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y(t) + 4:.1f}" font-size="11" text-anchor="end">{t:g}</text>'
        )
    for i, s in enumerate(strategies):
        v = s.metrics.get(metric, 0.0)
        lo, hi = s.ci95.get(metric, (v, v))
        x = left + i * slot + slot * 0.2
        bw = slot * 0.6
        cx = x + bw / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bw:.1f}" height="{y(0) - y(v):.1f}" '
            f'fill="{COLOURS.get(s.kind, "#888")}"><title>{escape(s.name)}: {v:.3f}</title></rect>'
        )
        parts.append(
            f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(hi):.1f}" y2="{y(lo):.1f}" stroke="#222"/>'
        )
        for e in (lo, hi):
            parts.append(
                f'<line x1="{cx - 6:.1f}" x2="{cx + 6:.1f}" y1="{y(e):.1f}" y2="{y(e):.1f}" stroke="#222"/>'
            )
        parts.append(
            f'<text x="{cx:.1f}" y="{h - bottom + 16}" font-size="11" text-anchor="middle">{escape(s.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def cost_score_chart(strategies: list[StrategyResult], metric: str) -> str:
    """Cost per 1,000 queries (x) against score (y)."""
    pts = [(s, s.usd_per_1k_queries) for s in strategies if s.usd_per_1k_queries is not None]
    w, h, left, bottom, top, right = 560, 260, 60, 40, 20, 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="cost vs score">'
    ]
    if not pts:
        parts.append('<text x="20" y="40">no cost figures</text></svg>')
        return "".join(parts)
    xmax = max(c for _, c in pts) * 1.15 or 1.0
    x = lambda c: left + c / xmax * (w - left - right)  # noqa: E731
    y = lambda v: top + (1 - v) * (h - top - bottom)  # noqa: E731
    parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y(0)}" y2="{y(0)}" stroke="#999"/>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{y(0)}" stroke="#999"/>')
    parts.append(
        f'<text x="{w / 2}" y="{h - 6}" font-size="11" text-anchor="middle">USD per 1,000 queries (max {xmax:.2g})</text>'
    )
    parts.append(
        f'<text x="12" y="{h / 2}" font-size="11" transform="rotate(-90 12 {h / 2})" text-anchor="middle">{escape(metric)}</text>'
    )
    for s, c in pts:
        v = s.metrics.get(metric, 0.0)
        parts.append(
            f'<circle cx="{x(c):.1f}" cy="{y(v):.1f}" r="6" fill="{COLOURS.get(s.kind, "#888")}">'
            f"<title>{escape(s.name)}: {v:.3f} at {c:.3g} USD</title></circle>"
        )
        parts.append(
            f'<text x="{x(c) + 9:.1f}" y="{y(v) + 4:.1f}" font-size="11">{escape(s.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def curve_svg(r: CurveResult, width: int = 520, height: int = 300) -> str:
    """A self-contained SVG: fine-tune score vs training size (log x) and the prompt line."""
    left, right, top, bottom = 50, 20, 20, 40
    sizes = [p.size for p in r.points]
    lo_x, hi_x = math.log(min(sizes)), math.log(max(sizes))
    hi_x = hi_x if hi_x > lo_x else lo_x + 1
    values = [r.prompt_score] + [
        v for p in r.points for v in ((p.ci95 or (p.score, p.score)) + (p.score,))
    ]
    y0, y1 = min(0.0, min(values)), max(1.0, max(values))

    def x(n: float) -> float:
        return left + (math.log(n) - lo_x) / (hi_x - lo_x) * (width - left - right)

    def y(v: float) -> float:
        return top + (1 - (v - y0) / (y1 - y0)) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="learning curve" font-family="sans-serif" font-size="11">',
        f'<line x1="{left}" y1="{y(y0):.1f}" x2="{width - right}" y2="{y(y0):.1f}" stroke="#444"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y(y0):.1f}" stroke="#444"/>',
    ]
    for v in (y0, (y0 + y1) / 2, y1):
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.2f}</text>')
    for n in sizes:
        parts.append(
            f'<text x="{x(n):.1f}" y="{height - bottom + 16}" text-anchor="middle">{n}</text>'
        )
    parts.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle">'
        f"training examples (log scale)</text>"
    )
    py = y(r.prompt_score)
    parts.append(
        f'<line x1="{left}" y1="{py:.1f}" x2="{width - right}" y2="{py:.1f}" stroke="#d62728" stroke-dasharray="6 4"/>'
    )
    parts.append(
        f'<text x="{width - right}" y="{py - 5:.1f}" text-anchor="end" fill="#d62728">'
        f"{escape(r.prompt_strategy)} {r.prompt_score:.2f}</text>"
    )
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x(p.size):.1f},{y(p.score):.1f}" for i, p in enumerate(r.points)
    )
    parts.append(f'<path d="{path}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
    for p in r.points:
        if p.ci95:
            parts.append(
                f'<line x1="{x(p.size):.1f}" y1="{y(p.ci95[0]):.1f}" x2="{x(p.size):.1f}" '
                f'y2="{y(p.ci95[1]):.1f}" stroke="#1f77b4" stroke-opacity="0.5"/>'
            )
        parts.append(f'<circle cx="{x(p.size):.1f}" cy="{y(p.score):.1f}" r="3.5" fill="#1f77b4"/>')
    parts.append(
        f'<text x="{left + 6}" y="{top + 10}" fill="#1f77b4">{escape(r.method)} ({escape(r.metric)})</text>'
    )
    if r.crossover_size is not None and r.status == "crosses":
        cx = x(r.crossover_size)
        parts.append(
            f'<line x1="{cx:.1f}" y1="{top}" x2="{cx:.1f}" y2="{y(y0):.1f}" stroke="#2ca02c" stroke-dasharray="2 3"/>'
        )
        parts.append(
            f'<text x="{cx + 4:.1f}" y="{top + 24}" fill="#2ca02c">crossover ~{r.crossover_size:.0f}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
