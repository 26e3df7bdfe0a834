"""Markdown rendering of a Recommendation: a complete, self-standing document."""

from __future__ import annotations

import re

from advisor.recommendation import Recommendation
from advisor.report.recommendation.common import COST_COLUMNS, break_even_sentence, cost_cells
from advisor.report.tables import md_table


def inline(value: object) -> str:
    """Running text: escape HTML and the characters that start Markdown emphasis or links."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text)


def fence(text: str, lang: str = "") -> str:
    """A code block whose fence is longer than any backtick run inside."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text}\n{ticks}"


def render(rec: Recommendation) -> str:
    out: list[str] = [
        f"# Recommendation: {inline(rec.verdict)} ({inline(rec.method)})",
        "",
        f"- **Verdict:** {inline(rec.verdict)}",
        f"- **Method:** {inline(rec.method)}",
        f"- **Confidence:** {rec.confidence:.0%}"
        + (f" — {inline(rec.confidence_note)}" if rec.confidence_note else ""),
        f"- **Score:** {rec.score:+.2f} (positive favours fine-tuning)",
    ]
    if rec.alternatives:
        out.append(f"- **Alternatives:** {inline(', '.join(rec.alternatives))}")
    out += ["", inline(rec.summary), ""]

    if rec.constraints or rec.excluded_methods:
        out += ["## Hard constraints", ""]
        out += [f"- {inline(c)}" for c in rec.constraints]
        if rec.excluded_methods:
            out.append(f"- Excluded methods: {inline(', '.join(rec.excluded_methods))}")
        out.append("")

    out += ["## Reasons", ""]
    rows = []
    for r in sorted(rec.reasons, key=lambda r: -abs(r.weight)):
        s = r.source
        # Only plain web links: a javascript: or malformed URL stays text.
        safe_url = s.url and re.fullmatch(r"https?://[^\s()<>]+", s.url)
        label = s.title.replace("[", "\\[").replace("]", "\\]")
        title = f"[{label}]({s.url})" if safe_url else s.title
        cite = f"{title}" + (f", {s.year}" if s.year else "") + f" ({s.kind}): {s.figure}"
        rows.append((f"{r.weight:+.2f}", r.statement, cite, ", ".join(r.fields)))
    out += [md_table(("points", "reason", "source", "fields"), rows), ""]

    out += ["## The 10 aspects, judged for this task", ""]
    out += [
        md_table(
            ("aspect", "favours", "for this task", "fine-tuning", "prompt engineering"),
            (
                (a.name, a.favours, a.judgement, a.fine_tuning, a.prompt_engineering)
                for a in rec.aspects
            ),
        ),
        "",
    ]

    out += ["## The 7 fine-tuning challenges, rated", ""]
    out += [
        md_table(
            ("challenge", "risk", "why", "mitigation"),
            (
                (
                    c.name,
                    c.rating,
                    c.why + (f" (measured: {c.measured})" if c.measured else ""),
                    c.mitigation,
                )
                for c in rec.challenges
            ),
        ),
        "",
    ]

    out += _plan(rec)
    out += _cost(rec)

    out += ["## Profile", ""]
    out += [
        md_table(
            ("field", "value", "from"),
            (
                (name, value, rec.profile_sources.get(name, "default"))
                for name, value in rec.profile.model_dump(mode="json").items()
            ),
        ),
        "",
    ]
    out += ["## Validate this advice", "", fence(rec.benchmark_command, "sh"), ""]
    out += [f"<sub>advisor {inline(rec.version)}</sub>", ""]
    return "\n".join(out)


def _plan(rec: Recommendation) -> list[str]:
    plan = rec.plan
    out: list[str] = ["## Plan", ""]
    if plan.checklist:
        out += ["### Prompt checklist: the 3Cs", ""]
        for item in plan.checklist:
            out.append(f"**{inline(item.name)}**")
            out += [f"- [ ] {inline(a)}" for a in item.advice]
            out.append("")
    if plan.prompt_skeleton:
        out += ["### Draft prompt", "", fence(plan.prompt_skeleton, "text"), ""]
    if plan.steps:
        heading = "### Fine-tuning: the 7 steps"
        if plan.checklist:
            heading += " (when prompting falls short)"
        out += [heading, ""]
        out += [f"{s.number}. **{inline(s.name)}**: {inline(s.detail)}" for s in plan.steps]
        out.append("")
    if plan.hyperparameters:
        out += ["### Hyperparameters", ""]
        out += [md_table(("name", "value"), plan.hyperparameters.items()), ""]
    return out


def _cost(rec: Recommendation) -> list[str]:
    cost = rec.cost
    out = ["## Cost", ""]
    out += [md_table(COST_COLUMNS, map(cost_cells, cost.methods)), ""]
    if sentence := break_even_sentence(cost, rec.profile.monthly_queries):
        out += [inline(sentence), ""]
    out.append(f"Prices: {inline(cost.price_table)}")
    if cost.assumptions:
        out += ["", "Assumptions:", ""]
        out += [f"- {inline(a)}" for a in cost.assumptions]
    out.append("")
    return out
