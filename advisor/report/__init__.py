"""Everything the advisor renders, and nothing else: it formats results, it computes none.

- ``recommendation/``: one Recommendation as text (rich), json, markdown, html; each module has
  ``render(rec) -> str`` and ``render(rec, fmt)`` here picks one. Only ``text`` imports rich.
- ``benchmark/``: a benchmark's results as report.md and report.html (``write_reports``), and
  the learning curve's curve.svg (``benchmark.charts.curve_svg``).
- ``tables.py``: escaping and Markdown/HTML tables; ``svg.py``: SVG primitives and the bar
  charts; ``plots.py``: the charts on two numeric axes (scatter, learning curve, loss curves).
  They are shared by the two reports, so user data is escaped the same way everywhere.
"""

from __future__ import annotations

import importlib
from pathlib import PurePath

from advisor.errors import UsageError
from advisor.recommendation import Recommendation

FORMATS: tuple[str, ...] = ("text", "markdown", "html", "json")
# What an --output file's extension says it holds, when --format does not say.
EXTENSIONS: dict[str, str] = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
}


def format_for(output: str | None, fmt: str | None) -> str:
    """``fmt`` when given; else the format ``output``'s extension names (``x.html`` -> html);
    else text. ``--output advice.html`` alone must not write terminal text into a web page."""
    if fmt:
        return fmt
    return EXTENSIONS.get(PurePath(output).suffix.lower(), "text") if output else "text"


def render(rec: Recommendation, fmt: str = "text") -> str:
    """The recommendation as a string in ``fmt`` (text is plain, without colour codes)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}'; allowed: {', '.join(FORMATS)}")
    module = importlib.import_module(f"advisor.report.recommendation.{fmt}")
    return module.render(rec)
