"""Inline SVG charts on two numeric axes: a labelled scatter, a line with its confidence band on
a log axis, and lines over steps (the loss curves). Every axis carries its values.

Like ``advisor.report.svg`` (whose primitives they use) they take plain labels and numbers and
escape everything; labels are placed so that their estimated boxes never overlap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

from advisor.report.svg import Level, chart_open, level_lines, tag, text, text_width, titled

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
FONT = 11


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round values (1, 2 or 5 times a power of ten apart) covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(lo / step + 1e-9) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 12))
        v += step
    if ticks[-1] < hi - step * 1e-9:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def tick_label(v: float) -> str:
    return f"{v:.3g}" if v else "0"


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_box(x: float, y: float, label: str, anchor: str) -> Box:
    w = text_width(label, FONT)
    x0 = x - w if anchor == "end" else x - w / 2 if anchor == "middle" else x
    return (x0, y - FONT, x0 + w, y + 3)


def _axes(
    w: float,
    h: float,
    margins: tuple[float, float, float, float],
    xs: Sequence[tuple[float, str]],
    ys: Sequence[tuple[float, str]],
    captions: tuple[str, str],
) -> list[str]:
    """Frame, grid and tick values at the given pixel positions, and the two axis captions."""
    left, right, top, bottom = margins
    base = h - bottom
    parts = [
        tag("line", x1=left, x2=w - right, y1=base, y2=base, stroke="#999"),
        tag("line", x1=left, x2=left, y1=top, y2=base, stroke="#999"),
    ]
    for py, label in ys:
        parts.append(
            tag("line", x1=left, x2=w - right, y1=f"{py:.1f}", y2=f"{py:.1f}", stroke="#eee")
        )
        parts.append(text(label, x=left - 6, y=f"{py + 4:.1f}", font_size=FONT, text_anchor="end"))
    placed: list[Box] = []
    for px, label in xs:
        box = _label_box(px, base + 16, label, "middle")
        if any(_overlaps(box, b) for b in placed):
            continue  # too close to the previous value: its tick stays, its number goes
        placed.append(box)
        parts.append(
            tag("line", x1=f"{px:.1f}", x2=f"{px:.1f}", y1=base, y2=base + 4, stroke="#999")
        )
        parts.append(text(label, x=f"{px:.1f}", y=base + 16, font_size=FONT, text_anchor="middle"))
    parts.append(
        text(captions[0], x=(left + w - right) / 2, y=h - 6, font_size=FONT, text_anchor="middle")
    )
    parts.append(
        text(
            captions[1],
            x=12,
            y=f"{(top + base) / 2:.1f}",
            font_size=FONT,
            transform=f"rotate(-90 12 {(top + base) / 2:.1f})",
            text_anchor="middle",
        )
    )
    return parts


class Dot(NamedTuple):
    label: str
    x: float
    y: float  # in [0, 1]
    colour: str
    title: str


def _place_labels(
    dots: Sequence[tuple[float, float, str]], bounds: Box
) -> list[tuple[float, float, str]]:
    """(x, y, anchor) for each dot's label: right of it, else left, above or below, else
    further down, the first place whose box overlaps no label or dot placed before."""
    taken: list[Box] = [(px - 6, py - 6, px + 6, py + 6) for px, py, _ in dots]
    out = []
    for px, py, label in dots:
        options = [(px + 9, py + 4, "start"), (px - 9, py + 4, "end")]
        options += [(px, py - 10, "middle"), (px, py + 18, "middle")]
        options += [(px + 9, py + 4 + 13 * k, "start") for k in range(1, 8)]
        for x, y, anchor in options:
            box = _label_box(x, y, label, anchor)
            inside = (
                box[0] >= bounds[0]
                and box[2] <= bounds[2]
                and bounds[1] <= box[1]
                and box[3] <= bounds[3]
            )
            if inside and not any(_overlaps(box, b) for b in taken):
                break
        taken.append(box)
        out.append((x, y, anchor))
    return out


def scatter(
    dots: Sequence[Dot],
    *,
    aria_label: str,
    x_caption: str,
    y_caption: str,
    empty: str,
    levels: Sequence[Level] = (),
) -> str:
    """Labelled dots: x on a linear axis from 0 with its values, y in [0, 1]; ``levels``
    (e.g. chance) as dashed lines labelled in the right margin."""
    w, h = 600, 280
    margins = left, right, top, bottom = 64, 110, 16, 40
    head = chart_open(w, h, aria_label, font_family="sans-serif")
    if not dots:
        return head + text(empty, x=20, y=40) + "</svg>"
    xt = nice_ticks(0.0, max(d.x for d in dots) * 1.1 or 1.0)

    def x(c: float) -> float:
        return left + c / xt[-1] * (w - left - right)

    def y(v: float) -> float:
        return top + (1 - v) * (h - top - bottom)

    xs = [(x(t), tick_label(t)) for t in xt]
    ys = [(y(t), f"{t:g}") for t in (0, 0.25, 0.5, 0.75, 1)]
    parts = [head, *_axes(w, h, margins, xs, ys, (x_caption, y_caption))]
    parts += level_lines(levels, y, left, w - right)
    points = [(x(d.x), y(d.y), d.label) for d in dots]
    for d, (px, py, _) in zip(dots, points, strict=True):
        parts.append(titled("circle", d.title, cx=f"{px:.1f}", cy=f"{py:.1f}", r=6, fill=d.colour))
    spots = _place_labels(points, (left, 0, w, h - bottom))
    for d, (lx, ly, anchor) in zip(dots, spots, strict=True):
        parts.append(
            text(d.label, x=f"{lx:.1f}", y=f"{ly:.1f}", font_size=FONT, text_anchor=anchor)
        )
    parts.append("</svg>")
    return "".join(parts)


class LinePoint(NamedTuple):
    x: float  # > 0: the axis is logarithmic
    y: float
    ci: tuple[float, float] | None


SERIES, REFERENCE, MARKER = "#1f77b4", "#d62728", "#2ca02c"


def _band(
    points: Sequence[LinePoint], x: Callable[[float], float], y: Callable[[float], float]
) -> str:
    """The shaded area between the points' interval ends (points without one are skipped)."""
    with_ci = [p for p in points if p.ci]
    if len(with_ci) < 2:
        return ""
    upper = [f"{x(p.x):.1f},{y(p.ci[1]):.1f}" for p in with_ci if p.ci]
    lower = [f"{x(p.x):.1f},{y(p.ci[0]):.1f}" for p in reversed(with_ci) if p.ci]
    return tag("polygon", points=" ".join(upper + lower), fill=SERIES, fill_opacity="0.15")


def log_line_chart(
    points: Sequence[LinePoint],
    *,
    aria_label: str,
    series: str,
    x_caption: str,
    reference: tuple[float, str],
    y_caption: str = "",
    reference_ci: tuple[float, float] | None = None,
    marker: tuple[float, str] | None = None,
    levels: Sequence[Level] = (),
    width: int = 560,
    height: int = 300,
) -> str:
    """A line with its shaded interval band over a log x axis (each point's x labelled), a
    dashed horizontal ``reference`` (value, label) with its own band ``reference_ci``, an
    optional vertical ``marker`` (x, label), and ``levels`` (e.g. chance) as dotted lines
    named in a second legend row."""
    margins = left, right, top, bottom = 58, 20, 34, 40
    xs = [p.x for p in points]
    lo_x, hi_x = math.log(min(xs)), math.log(max(xs))
    hi_x = hi_x if hi_x > lo_x else lo_x + 1
    values = [reference[0], *(reference_ci or ()), *(lv.value for lv in levels)]
    values += [v for p in points for v in ((p.ci or (p.y, p.y)) + (p.y,))]
    y0, y1 = min(0.0, min(values)), max(1.0, max(values))

    def x(n: float) -> float:
        return left + (math.log(n) - lo_x) / (hi_x - lo_x) * (width - left - right)

    def y(v: float) -> float:
        return top + (1 - (v - y0) / (y1 - y0)) * (height - top - bottom)

    ticks = [(x(n), f"{n:g}") for n in xs]
    y_ticks = [(y(v), f"{v:.2f}") for v in (y0, (y0 + y1) / 2, y1)]
    head = chart_open(width, height, aria_label, font_family="sans-serif")
    parts = [head, *_axes(width, height, margins, ticks, y_ticks, (x_caption, y_caption))]
    parts += _reference_lines(reference[0], reference_ci, y, left, width - right)
    for lv in levels:
        at = f"{y(lv.value):.1f}"
        dots = dict(x1=left, x2=width - right, y1=at, y2=at, stroke_dasharray="2 4")
        parts.append(tag("line", **dots, stroke=lv.colour))
    parts.append(_band(points, x, y))
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x(p.x):.1f},{y(p.y):.1f}" for i, p in enumerate(points)
    )
    parts.append(tag("path", d=path, fill="none", stroke=SERIES, stroke_width=2))
    for p in points:
        parts.append(
            titled(
                "circle",
                f"{p.x:g}: {p.y:.3f}",
                cx=f"{x(p.x):.1f}",
                cy=f"{y(p.y):.1f}",
                r="3.5",
                fill=SERIES,
            )
        )
    if marker is not None:
        mx = f"{x(marker[0]):.1f}"
        dots = dict(x1=mx, y1=top, x2=mx, y2=height - bottom, stroke_dasharray="2 3")
        parts.append(tag("line", **dots, stroke=MARKER))
    # The legend sits above the plot, one entry after another: nothing inside can cover it.
    legend = [(series, SERIES), (reference[1], REFERENCE)]
    if marker is not None:
        legend.append((marker[1], MARKER))
    parts += _legend(legend, left, 14)
    parts += _legend([(lv.label, lv.colour) for lv in levels], left, 28)
    parts.append("</svg>")
    return "".join(parts)


def _reference_lines(
    value: float,
    ci: tuple[float, float] | None,
    y: Callable[[float], float],
    x0: float,
    x1: float,
) -> list[str]:
    """A dashed horizontal line at ``value`` across the plot, over its shaded band ``ci``."""
    out = []
    if ci:
        y_hi, y_lo = y(ci[1]), y(ci[0])
        band = dict(x=x0, y=f"{y_hi:.1f}", width=x1 - x0, height=f"{y_lo - y_hi:.1f}")
        out.append(tag("rect", **band, fill=REFERENCE, fill_opacity="0.08"))
    ref = f"{y(value):.1f}"
    out.append(tag("line", x1=x0, y1=ref, x2=x1, y2=ref, stroke=REFERENCE, stroke_dasharray="6 4"))
    return out


def _legend(entries: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    parts = []
    for label, colour in entries:
        parts.append(tag("rect", x=f"{x:.1f}", y=y - 9, width=10, height=10, fill=colour))
        parts.append(text(label, x=f"{x + 14:.1f}", y=y, font_size=FONT, fill=colour))
        x += 14 + text_width(label, FONT) + 16
    return parts


class Series(NamedTuple):
    label: str
    points: Sequence[tuple[float, float]]  # (step, value)
    colour: str


def line_chart(
    series: Sequence[Series],
    *,
    aria_label: str,
    x_caption: str,
    y_caption: str,
    marker: tuple[float, str] | None = None,
    width: int = 440,
    height: int = 240,
) -> str:
    """Lines over a linear x axis (e.g. loss per training step), values on both axes, a
    legend above and an optional vertical ``marker`` (x, label, e.g. the best step)."""
    margins = left, right, top, bottom = 54, 16, 30, 40
    pts = [p for s in series for p in s.points]
    head = chart_open(width, height, aria_label, font_family="sans-serif")
    if not pts:
        return head + text("no values recorded", x=20, y=40, font_size=FONT) + "</svg>"
    xt = nice_ticks(min(p[0] for p in pts), max(p[0] for p in pts))
    yt = nice_ticks(min(0.0, min(p[1] for p in pts)), max(p[1] for p in pts))

    def x(v: float) -> float:
        return left + (v - xt[0]) / (xt[-1] - xt[0]) * (width - left - right)

    def y(v: float) -> float:
        return top + (1 - (v - yt[0]) / (yt[-1] - yt[0])) * (height - top - bottom)

    xs = [(x(t), tick_label(t)) for t in xt]
    ys = [(y(t), tick_label(t)) for t in yt]
    parts = [head, *_axes(width, height, margins, xs, ys, (x_caption, y_caption))]
    for s in series:
        if not s.points:
            continue
        d = " ".join(
            f"{'M' if i == 0 else 'L'}{x(a):.1f},{y(b):.1f}" for i, (a, b) in enumerate(s.points)
        )
        parts.append(tag("path", d=d, fill="none", stroke=s.colour, stroke_width=2))
        if len(s.points) == 1:
            a, b = s.points[0]
            parts.append(tag("circle", cx=f"{x(a):.1f}", cy=f"{y(b):.1f}", r=3, fill=s.colour))
    legend = [(s.label, s.colour) for s in series]
    if marker is not None:
        mx = f"{x(marker[0]):.1f}"
        dots = dict(x1=mx, y1=top, x2=mx, y2=height - bottom, stroke_dasharray="2 3")
        parts.append(tag("line", **dots, stroke=MARKER))
        legend.append((marker[1], MARKER))
    parts += _legend(legend, left, 14)
    parts.append("</svg>")
    return "".join(parts)
