"""Inline SVG charts for every HTML report: diverging bars, paired bars, bars with confidence
intervals, a scatter and a line chart on a log axis.

Charts take plain labels and numbers (the renderers map their models onto them) and escape
every label, tooltip and attribute, so user data never becomes markup. No scripts and no fonts
or styles from outside: the pages stay self-contained.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

from advisor.report.tables import esc

XMLNS = "http://www.w3.org/2000/svg"


def _attrs(attrs: dict[str, object]) -> str:
    """Attributes in the given order; ``text_anchor`` is written text-anchor; values escaped."""
    return "".join(f' {key.replace("_", "-")}="{esc(value)}"' for key, value in attrs.items())


def tag(name: str, body: str | None = None, /, **attrs: object) -> str:
    """One element. The body is not escaped (it may hold elements): use ``text`` for words."""
    written = _attrs(attrs)
    return f"<{name}{written}/>" if body is None else f"<{name}{written}>{body}</{name}>"


def text(content: object, /, **attrs: object) -> str:
    """A text element whose content is escaped."""
    return tag("text", esc(content), **attrs)


def titled(name: str, title: str, /, **attrs: object) -> str:
    """A shape with a tooltip (the SVG <title> child, escaped)."""
    return tag(name, tag("title", esc(title)), **attrs)


def svg_open(**attrs: object) -> str:
    return f"<svg{_attrs(attrs)}>"


def truncate(label: str, n: int) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


class Bar(NamedTuple):
    label: str
    value: float
    title: str


def diverging_bars(
    bars: Sequence[Bar],
    *,
    aria_label: str,
    captions: tuple[str, str],
    colours: tuple[str, str],
    label_chars: int = 38,
) -> str:
    """Horizontal bars from a middle axis: negative values left (``colours[0]``, under
    ``captions[0]``), positive right; each bar ends in its signed value. ``bars`` not empty."""
    label_w, bar_w, row_h = 260, 560, 22
    width, height = label_w + bar_w + 60, row_h * len(bars) + 40
    top = max(abs(b.value) for b in bars) or 1.0
    mid = label_w + bar_w / 2
    box = f"0 0 {width} {height}"
    parts = [
        svg_open(
            role="img", aria_label=aria_label, width=width, height=height, viewBox=box, xmlns=XMLNS
        ),
        text(captions[0], x=mid - 8, y=14, text_anchor="end"),
        text(captions[1], x=mid + 8, y=14),
    ]
    for i, b in enumerate(bars):
        y = 24 + i * row_h
        length = abs(b.value) / top * (bar_w / 2 - 10)
        right = b.value >= 0
        x = mid if right else mid - length
        parts += [
            text(truncate(b.label, label_chars), x=label_w - 6, y=y + 14, text_anchor="end"),
            titled(
                "rect",
                b.title,
                x=f"{x:.1f}",
                y=y + 3,
                width=f"{max(length, 1):.1f}",
                height=row_h - 6,
                fill=colours[1] if right else colours[0],
            ),
            text(
                f"{b.value:+.2f}",
                x=f"{(x + length + 4) if right else (x - 4):.1f}",
                y=y + 14,
                text_anchor="start" if right else "end",
            ),
        ]
    parts.append(
        tag("line", x1=mid, y1=20, x2=mid, y2=height - 10, stroke="#333", stroke_width=1) + "</svg>"
    )
    return "".join(parts)


class Amount(NamedTuple):
    value: float
    text: str  # printed at the bar's end
    title: str


class PairedRow(NamedTuple):
    label: str
    first: Amount
    second: Amount | None


def paired_bars(
    rows: Sequence[PairedRow],
    *,
    aria_label: str,
    legend: tuple[str, str],
    colours: tuple[str, str],
    label_chars: int = 20,
) -> str:
    """Up to two horizontal bars per row on one scale, with a legend; ``rows`` not empty."""
    label_w, bar_w, row_h = 140, 600, 30
    width, height = label_w + bar_w + 160, row_h * len(rows) + 40
    top = max(max(r.first.value, r.second.value if r.second else 0.0) for r in rows) or 1.0
    box = f"0 0 {width} {height}"
    parts = [
        svg_open(
            role="img", aria_label=aria_label, width=width, height=height, viewBox=box, xmlns=XMLNS
        )
    ]
    for i, (caption, colour) in enumerate(zip(legend, colours, strict=True)):
        parts.append(tag("rect", x=label_w + 170 * i, y=4, width=12, height=10, fill=colour))
        parts.append(text(caption, x=label_w + 170 * i + 16, y=14))
    for i, r in enumerate(rows):
        y = 24 + i * row_h
        parts.append(
            text(truncate(r.label, label_chars), x=label_w - 6, y=y + 17, text_anchor="end")
        )
        for j, (amount, colour) in enumerate(zip((r.first, r.second), colours, strict=True)):
            if amount is None:
                continue
            length = amount.value / top * bar_w
            parts.append(
                titled(
                    "rect",
                    amount.title,
                    x=label_w,
                    y=y + 2 + 12 * j,
                    width=f"{max(length, 1):.1f}",
                    height=11,
                    fill=colour,
                )
            )
            parts.append(text(amount.text, x=f"{label_w + length + 4:.1f}", y=y + 12 + 12 * j))
    parts.append("</svg>")
    return "".join(parts)


class CiBar(NamedTuple):
    label: str
    value: float
    low: float
    high: float
    colour: str


def ci_bars(bars: Sequence[CiBar], *, aria_label: str) -> str:
    """Vertical bars of values in [0, 1] with confidence-interval whiskers."""
    w, h, left, bottom, top = 560, 260, 50, 40, 20
    slot = (w - left - 10) / max(len(bars), 1)

    def y(v: float) -> float:
        return top + (1 - v) * (h - top - bottom)

    parts = [svg_open(xmlns=XMLNS, width=w, height=h, role="img", aria_label=aria_label)]
    for t in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            tag("line", x1=left, x2=w - 10, y1=f"{y(t):.1f}", y2=f"{y(t):.1f}", stroke="#ddd")
        )
        parts.append(
            text(f"{t:g}", x=left - 6, y=f"{y(t) + 4:.1f}", font_size=11, text_anchor="end")
        )
    for i, b in enumerate(bars):
        x = left + i * slot + slot * 0.2
        bw = slot * 0.6
        cx = x + bw / 2
        parts.append(
            titled(
                "rect",
                f"{b.label}: {b.value:.3f}",
                x=f"{x:.1f}",
                y=f"{y(b.value):.1f}",
                width=f"{bw:.1f}",
                height=f"{y(0) - y(b.value):.1f}",
                fill=b.colour,
            )
        )
        whisker = dict(x1=f"{cx:.1f}", x2=f"{cx:.1f}", y1=f"{y(b.high):.1f}", y2=f"{y(b.low):.1f}")
        parts.append(tag("line", **whisker, stroke="#222"))
        for e in (b.low, b.high):
            cap = dict(x1=f"{cx - 6:.1f}", x2=f"{cx + 6:.1f}", y1=f"{y(e):.1f}", y2=f"{y(e):.1f}")
            parts.append(tag("line", **cap, stroke="#222"))
        parts.append(
            text(b.label, x=f"{cx:.1f}", y=h - bottom + 16, font_size=11, text_anchor="middle")
        )
    parts.append("</svg>")
    return "".join(parts)


class Dot(NamedTuple):
    label: str
    x: float
    y: float  # in [0, 1]
    colour: str
    title: str


def scatter(
    dots: Sequence[Dot], *, aria_label: str, x_caption: str, y_caption: str, empty: str
) -> str:
    """Labelled dots on a linear x axis from 0 (its maximum in the caption) and y in [0, 1]."""
    w, h, left, bottom, top, right = 560, 260, 60, 40, 20, 20
    head = svg_open(xmlns=XMLNS, width=w, height=h, role="img", aria_label=aria_label)
    if not dots:
        return head + text(empty, x=20, y=40) + "</svg>"
    xmax = max(d.x for d in dots) * 1.15 or 1.0

    def x(c: float) -> float:
        return left + c / xmax * (w - left - right)

    def y(v: float) -> float:
        return top + (1 - v) * (h - top - bottom)

    parts = [
        head,
        tag("line", x1=left, x2=w - right, y1=y(0), y2=y(0), stroke="#999"),
        tag("line", x1=left, x2=left, y1=top, y2=y(0), stroke="#999"),
        text(f"{x_caption} (max {xmax:.2g})", x=w / 2, y=h - 6, font_size=11, text_anchor="middle"),
        text(
            y_caption,
            x=12,
            y=h / 2,
            font_size=11,
            transform=f"rotate(-90 12 {h / 2})",
            text_anchor="middle",
        ),
    ]
    for d in dots:
        parts.append(
            titled("circle", d.title, cx=f"{x(d.x):.1f}", cy=f"{y(d.y):.1f}", r=6, fill=d.colour)
        )
        parts.append(text(d.label, x=f"{x(d.x) + 9:.1f}", y=f"{y(d.y) + 4:.1f}", font_size=11))
    parts.append("</svg>")
    return "".join(parts)


class LinePoint(NamedTuple):
    x: float  # > 0: the axis is logarithmic
    y: float
    ci: tuple[float, float] | None


SERIES, REFERENCE, MARKER = "#1f77b4", "#d62728", "#2ca02c"


def _series(
    points: Sequence[LinePoint], x: Callable[[float], float], y: Callable[[float], float]
) -> list[str]:
    """The line through the points, each point's interval whisker and its dot."""
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x(p.x):.1f},{y(p.y):.1f}" for i, p in enumerate(points)
    )
    parts = [tag("path", d=path, fill="none", stroke=SERIES, stroke_width=2)]
    for p in points:
        px = f"{x(p.x):.1f}"
        if p.ci:
            lo, hi = f"{y(p.ci[0]):.1f}", f"{y(p.ci[1]):.1f}"
            parts.append(
                tag("line", x1=px, y1=lo, x2=px, y2=hi, stroke=SERIES, stroke_opacity="0.5")
            )
        parts.append(tag("circle", cx=px, cy=f"{y(p.y):.1f}", r="3.5", fill=SERIES))
    return parts


def log_line_chart(
    points: Sequence[LinePoint],
    *,
    aria_label: str,
    series: str,
    x_caption: str,
    reference: tuple[float, str],
    marker: tuple[float, str] | None = None,
    width: int = 520,
    height: int = 300,
) -> str:
    """A line with interval whiskers over a log x axis (each point's x labelled), a dashed
    horizontal ``reference`` (value, label) and an optional vertical ``marker`` (x, label)."""
    left, right, top, bottom = 50, 20, 20, 40
    xs = [p.x for p in points]
    lo_x, hi_x = math.log(min(xs)), math.log(max(xs))
    hi_x = hi_x if hi_x > lo_x else lo_x + 1
    values = [reference[0]] + [v for p in points for v in ((p.ci or (p.y, p.y)) + (p.y,))]
    y0, y1 = min(0.0, min(values)), max(1.0, max(values))

    def x(n: float) -> float:
        return left + (math.log(n) - lo_x) / (hi_x - lo_x) * (width - left - right)

    def y(v: float) -> float:
        return top + (1 - (v - y0) / (y1 - y0)) * (height - top - bottom)

    base = f"{y(y0):.1f}"
    parts = [
        svg_open(
            xmlns=XMLNS,
            width=width,
            height=height,
            role="img",
            aria_label=aria_label,
            font_family="sans-serif",
            font_size=11,
        ),
        tag("line", x1=left, y1=base, x2=width - right, y2=base, stroke="#444"),
        tag("line", x1=left, y1=top, x2=left, y2=base, stroke="#444"),
    ]
    for v in (y0, (y0 + y1) / 2, y1):
        parts.append(text(f"{v:.2f}", x=left - 6, y=f"{y(v) + 4:.1f}", text_anchor="end"))
    for n in xs:
        parts.append(text(n, x=f"{x(n):.1f}", y=height - bottom + 16, text_anchor="middle"))
    parts.append(text(x_caption, x=(left + width - right) / 2, y=height - 6, text_anchor="middle"))
    ref = f"{y(reference[0]):.1f}"
    parts.append(
        tag(
            "line",
            x1=left,
            y1=ref,
            x2=width - right,
            y2=ref,
            stroke=REFERENCE,
            stroke_dasharray="6 4",
        )
    )
    parts.append(
        text(
            reference[1],
            x=width - right,
            y=f"{y(reference[0]) - 5:.1f}",
            text_anchor="end",
            fill=REFERENCE,
        )
    )
    parts += _series(points, x, y)
    parts.append(text(series, x=left + 6, y=top + 10, fill=SERIES))
    if marker is not None:
        mx = f"{x(marker[0]):.1f}"
        parts.append(
            tag("line", x1=mx, y1=top, x2=mx, y2=base, stroke=MARKER, stroke_dasharray="2 3")
        )
        parts.append(text(marker[1], x=f"{x(marker[0]) + 4:.1f}", y=top + 24, fill=MARKER))
    parts.append("</svg>")
    return "\n".join(parts)
