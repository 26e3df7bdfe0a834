"""Escaping and tables for every Markdown and HTML report: user data never becomes markup.

Strings from a profile, a data file, a rule or a plugin reach a report only through ``esc`` (HTML)
or a cell function (Markdown), so a malicious name cannot inject tags or break a table row.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence


def esc(value: object) -> str:
    """HTML text or attribute value (quotes escaped too); "-" when the value is unknown."""
    return html.escape("-" if value is None else str(value), quote=True)


def md_cell(value: object) -> str:
    """Markdown table-cell text: no raw HTML (viewers would render it), no broken rows."""
    text = "-" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def md_pipes(value: object) -> str:
    """A Markdown cell that only keeps its row whole: the benchmark's own sentences use "->" and
    ">", which its report.md has always shown raw."""
    return str(value).replace("|", "\\|")


def md_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    cell: Callable[[object], str] = md_cell,
) -> str:
    """A pipe table; each body cell goes through ``cell`` (headers are the caller's own text)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    raw: bool = False,
    sections: bool = True,
) -> str:
    """Cells are escaped here unless ``raw`` (then the caller escaped each cell already).

    ``sections`` wraps the rows in thead/tbody (the recommendation's page); the benchmark's page
    has bare rows.
    """
    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>"
    body = "".join(
        "<tr>" + "".join(f"<td>{c if raw else esc(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    if sections:
        return f"<table><thead>{head}</thead><tbody>{body}</tbody></table>"
    return f"<table>{head}{body}</table>"
