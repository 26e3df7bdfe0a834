"""Lines on log-log axes: the recommendation's cost curves against monthly volume.

Built from the primitives of ``advisor.report.svg`` (escaped text and attributes, no scripts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from advisor.report.svg import chart_open, tag, text, titled, truncate


class Series(NamedTuple):
    label: str
    colour: str
    points: Sequence[tuple[float, float]]  # (x, y), both > 0: the axes are logarithmic


class Marker(NamedTuple):
    x: float
    label: str
    colour: str


def _decades(lo: float, hi: float) -> list[float]:
    return [10.0**k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)]


def _tick(v: float, money: bool) -> str:
    """1, 10, 1k, 1M; with a dollar sign for money."""
    for unit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= unit:
            text = f"{v / unit:g}{suffix}"
            break
    else:
        text = f"{v:g}"
    return f"${text}" if money else text


def log_log_lines(
    series: Sequence[Series],
    *,
    aria_label: str,
    x_caption: str,
    y_caption: str,
    markers: Sequence[Marker] = (),
    width: int = 640,
    height: int = 320,
) -> str:
    """Lines on log-log axes with a legend and dashed vertical ``markers``; ``series`` not
    empty. Decade ticks on both axes, y as money."""
    left, right, top, bottom = 64, 20, 28, 44
    xs = [x for s in series for x, _ in s.points] + [m.x for m in markers]
    ys = [y for s in series for _, y in s.points]
    x_ticks, y_ticks = _decades(min(xs), max(xs)), _decades(min(ys), max(ys))
    lx, hx = math.log10(x_ticks[0]), math.log10(x_ticks[-1])
    ly, hy = math.log10(y_ticks[0]), math.log10(y_ticks[-1])
    hx, hy = max(hx, lx + 1), max(hy, ly + 1)

    def x(v: float) -> float:
        return left + (math.log10(v) - lx) / (hx - lx) * (width - left - right)

    def y(v: float) -> float:
        return top + (1 - (math.log10(v) - ly) / (hy - ly)) * (height - top - bottom)

    base = height - bottom
    parts = [
        chart_open(width, height, aria_label),
        tag("line", x1=left, y1=base, x2=width - right, y2=base, stroke="#444"),
        tag("line", x1=left, y1=top, x2=left, y2=base, stroke="#444"),
    ]
    for t in x_ticks:
        # Below the y labels: the lowest one ends just above the x axis, at the same corner.
        parts.append(text(_tick(t, False), x=f"{x(t):.1f}", y=base + 20, text_anchor="middle"))
    for t in y_ticks:
        yt = f"{y(t):.1f}"
        parts.append(tag("line", x1=left, y1=yt, x2=width - right, y2=yt, stroke="#eee"))
        parts.append(text(_tick(t, True), x=left - 6, y=f"{y(t) + 4:.1f}", text_anchor="end"))
    parts.append(text(x_caption, x=(left + width - right) / 2, y=height - 6, text_anchor="middle"))
    parts.append(
        text(
            y_caption,
            x=14,
            y=height / 2,
            transform=f"rotate(-90 14 {height / 2})",
            text_anchor="middle",
        )
    )
    for i, s in enumerate(series):
        path = " ".join(
            f"{'M' if j == 0 else 'L'}{x(px):.1f},{y(py):.1f}"
            for j, (px, py) in enumerate(s.points)
        )
        parts.append(titled("path", s.label, d=path, fill="none", stroke=s.colour, stroke_width=2))
        parts.append(tag("rect", x=left + 8 + 230 * i, y=6, width=12, height=10, fill=s.colour))
        parts.append(text(truncate(s.label, 34), x=left + 24 + 230 * i, y=15))
    for i, m in enumerate(markers):
        mx = f"{x(m.x):.1f}"
        parts.append(
            tag("line", x1=mx, y1=top, x2=mx, y2=base, stroke=m.colour, stroke_dasharray="4 3")
        )
        # Labels right of the line, or left of it in the chart's right half.
        right_half = x(m.x) > (left + width - right) / 2
        parts.append(
            text(
                m.label,
                x=f"{x(m.x) + (-4 if right_half else 4):.1f}",
                y=top + 14 + 14 * i,
                fill=m.colour,
                text_anchor="end" if right_half else "start",
            )
        )
    parts.append("</svg>")
    return "".join(parts)
