"""Renderers of one Recommendation: text (rich), json, markdown, html.

Each renderer module has ``render(rec) -> str``. ``render(rec, fmt)`` here picks one.
"""

from __future__ import annotations

import importlib

from advisor.errors import UsageError
from advisor.recommendation import Recommendation

FORMATS: tuple[str, ...] = ("text", "markdown", "html", "json")


def render(rec: Recommendation, fmt: str = "text") -> str:
    """The recommendation as a string in ``fmt`` (text is plain, without colour codes)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}'; allowed: {', '.join(FORMATS)}")
    module = importlib.import_module(f"advisor.report.recommendation.{fmt}")
    return module.render(rec)
