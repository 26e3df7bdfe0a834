"""Inline SVG for every HTML report: the primitives (escaped elements, label layout) and the
bar charts (diverging bars, paired bars, bars with confidence intervals and reference lines);
the charts on two numeric axes are in ``advisor.report.plots``.

Charts take plain labels and numbers (the renderers map their models onto them) and escape
every label, tooltip and attribute, so user data never becomes markup. No scripts and no fonts
or styles from outside: the pages stay self-contained.
"""

from __future__ import annotations

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


def chart_open(width: int, height: int, aria_label: str, **attrs: object) -> str:
    """The opening tag of a standalone chart: its size and an accessible name."""
    return svg_open(
        xmlns=XMLNS, width=width, height=height, role="img", aria_label=aria_label, **attrs
    )


def truncate(label: str, n: int) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


# Labels are laid out without a browser: a sans-serif glyph is taken as at most this many ems
# wide on average, so that an estimated box is never smaller than the drawn one.
GLYPH_EM = 0.62


def text_width(label: str, size: float) -> float:
    return len(label) * size * GLYPH_EM


def wrap(label: str, chars: int, lines: int = 2) -> list[str]:
    """``label`` in at most ``lines`` lines of at most ``chars`` characters, broken between
    words; when it does not fit, the last line ends in an ellipsis."""
    out: list[str] = []
    words = label.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= chars:
            line += " " + words.pop(0)
        out.append(truncate(line, chars))
    if words and not out[-1].endswith("…"):
        out[-1] = out[-1][: chars - 1] + "…"
    return out


def lines_text(lines: list[str], /, *, x: object, y: float, line_h: float, **attrs: object) -> str:
    """One text element of several lines (tspans), its first baseline at ``y``."""
    spans = "".join(
        tag("tspan", esc(line), x=x, dy=0 if i == 0 else line_h) for i, line in enumerate(lines)
    )
    return tag("text", spans, x=x, y=f"{y:.1f}", **attrs)


def spread(wanted: list[float], gap: float) -> list[float]:
    """Positions as close to ``wanted`` (ascending) as they can be while ``gap`` apart."""
    out: list[float] = []
    for w in wanted:
        out.append(max(w, out[-1] + gap) if out else w)
    return out


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
    label_lines: int = 2,
) -> str:
    """Horizontal bars from a middle axis: negative values left (``colours[0]``, under
    ``captions[0]``), positive right; each bar ends in its signed value. Labels are words,
    wrapped into ``label_lines`` lines in their own column; the bars stop short of it by the
    width of a value, so no value ever runs into a label. ``bars`` not empty."""
    size, line_h = 12, 14
    label_w, bar_w = 330, 520
    value_room = text_width("+0.00", size) + 8
    row_h = label_lines * line_h + 8
    width, height = label_w + bar_w, row_h * len(bars) + 30
    top = max(abs(b.value) for b in bars) or 1.0
    mid = label_w + bar_w / 2
    reach = bar_w / 2 - value_room
    chars = int((label_w - 12) / (size * GLYPH_EM))
    box = f"0 0 {width} {height}"
    parts = [
        svg_open(
            role="img", aria_label=aria_label, width=width, height=height, viewBox=box, xmlns=XMLNS
        ),
        text(captions[0], x=mid - 8, y=14, text_anchor="end", font_size=size),
        text(captions[1], x=mid + 8, y=14, font_size=size),
    ]
    for i, b in enumerate(bars):
        y = 24 + i * row_h
        lines = wrap(b.label, chars, label_lines)
        first = y + row_h / 2 - (len(lines) - 1) * line_h / 2 + 4
        length = abs(b.value) / top * reach
        right = b.value >= 0
        x = mid if right else mid - length
        parts += [
            lines_text(
                lines, x=label_w - 12, y=first, line_h=line_h, text_anchor="end", font_size=size
            ),
            titled(
                "rect",
                b.title,
                x=f"{x:.1f}",
                y=f"{y + 4:.1f}",
                width=f"{max(length, 1):.1f}",
                height=row_h - 8,
                fill=colours[1] if right else colours[0],
            ),
            text(
                f"{b.value:+.2f}",
                x=f"{(x + length + 4) if right else (x - 4):.1f}",
                y=f"{y + row_h / 2 + 4:.1f}",
                text_anchor="start" if right else "end",
                font_size=size,
            ),
        ]
    parts.append(
        tag("line", x1=mid, y1=20, x2=mid, y2=height - 6, stroke="#333", stroke_width=1) + "</svg>"
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
    label_w, bar_w, row_h = 140, 600, 32
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
                    y=y + 2 + 14 * j,
                    width=f"{max(length, 1):.1f}",
                    height=11,
                    fill=colour,
                )
            )
            at = dict(x=f"{label_w + length + 4:.1f}", y=y + 11 + 14 * j, font_size=10)
            parts.append(text(amount.text, **at))
    parts.append("</svg>")
    return "".join(parts)


class CiBar(NamedTuple):
    label: str
    value: float
    low: float
    high: float
    colour: str


class Level(NamedTuple):
    """A dashed horizontal line across a chart, labelled in the right margin."""

    value: float
    label: str
    colour: str = "#666"


def level_lines(
    levels: Sequence[Level], y: Callable[[float], float], x0: float, x1: float
) -> list[str]:
    """Dashed lines from x0 to x1 with their labels after x1, pushed apart when close."""
    ordered = sorted(levels, key=lambda lv: -lv.value)  # top of the chart first
    ys = spread([y(lv.value) + 4 for lv in ordered], gap=14)
    parts = []
    for lv, ty in zip(ordered, ys, strict=True):
        at = f"{y(lv.value):.1f}"
        parts.append(
            tag("line", x1=x0, x2=x1, y1=at, y2=at, stroke=lv.colour, stroke_dasharray="5 4")
        )
        parts.append(text(lv.label, x=x1 + 6, y=f"{ty:.1f}", font_size=11, fill=lv.colour))
    return parts


def ci_bars(
    bars: Sequence[CiBar], *, aria_label: str, levels: Sequence[Level] = (), margin: int = 0
) -> str:
    """Vertical bars of values in [0, 1] with confidence-interval whiskers, and ``levels``
    (e.g. chance) as dashed lines labelled in a right ``margin`` of that many pixels."""
    plot_w, h, left, bottom, top = 560, 260, 50, 40, 20
    w = plot_w + margin
    slot = (plot_w - left - 10) / max(len(bars), 1)
    chars = max(4, int(slot / (11 * GLYPH_EM)))

    def y(v: float) -> float:
        return top + (1 - v) * (h - top - bottom)

    parts = [svg_open(xmlns=XMLNS, width=w, height=h, role="img", aria_label=aria_label)]
    for t in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            tag("line", x1=left, x2=plot_w - 10, y1=f"{y(t):.1f}", y2=f"{y(t):.1f}", stroke="#ddd")
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
            text(
                truncate(b.label, chars),
                x=f"{cx:.1f}",
                y=h - bottom + 16,
                font_size=11,
                text_anchor="middle",
            )
        )
    parts += level_lines(levels, y, left, plot_w - 10)
    parts.append("</svg>")
    return "".join(parts)
