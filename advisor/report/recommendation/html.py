"""HTML rendering of a Recommendation: one self-contained page (inline CSS and SVG, no scripts).

Every string that comes from the profile, a rule or a plugin goes through ``esc`` (html.escape
with quotes), so a malicious rule statement or source note cannot inject markup.
"""

from __future__ import annotations

import math
import re

from advisor.recommendation import Recommendation
from advisor.report import svg, svg_loglog
from advisor.report.recommendation.common import (
    COST_COLUMNS,
    SERVED,
    break_even_sentence,
    cost_cells,
)
from advisor.report.tables import esc, html_table

CSS = """
:root { --ft: #a23b9c; --pe: #1f7fa6; --neutral: #888; --ink: #1d1d1f; --line: #ddd; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; color: var(--ink);
       max-width: 1100px; margin: 2rem auto; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid var(--line); }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f6f8; } .num { font-variant-numeric: tabular-nums; }
.verdict { display: flex; gap: 1.5rem; align-items: center; padding: 1rem 1.2rem; border-radius: 10px;
           background: #f6f6f8; border-left: 8px solid var(--accent); }
.verdict .big { font-size: 1.8rem; font-weight: 700; color: var(--accent); }
.tag { display: inline-block; padding: 0 .45rem; border-radius: 4px; color: #fff; font-size: .85rem; }
.fine-tune { background: var(--ft); } .prompt { background: var(--pe); } .neutral { background: var(--neutral); }
.low { background: #2e8b57; } .medium { background: #c98a00; } .high { background: #c0392b; }
pre { background: #1d1d1f; color: #f5f5f7; padding: .8rem 1rem; border-radius: 8px; overflow-x: auto; }
.muted { color: #666; font-size: .9rem; }
svg { font: 12px system-ui, sans-serif; overflow: visible; } svg text { fill: var(--ink); }
"""

# Literal colours in SVG attributes (CSS variables there are not understood by every viewer).
FT_COLOUR = "#a23b9c"
PE_COLOUR = "#1f7fa6"
VERDICT_COLOUR = {"prompt": "#1f7fa6", "fine-tune": "#a23b9c", "prompt-then-fine-tune": "#c98a00"}


# ---------------------------------------------------------------- charts (inline SVG)


def reasons_chart(rec: Recommendation) -> str:
    """Diverging bars: each rule's signed points; right = fine-tune, left = prompt. A bar is
    labelled with the rule's claim in words (its id is in the tooltip)."""
    reasons = sorted(rec.reasons, key=lambda r: r.weight)
    if not reasons:
        return '<p class="muted">No rule applied to this profile.</p>'
    return svg.diverging_bars(
        [svg.Bar(r.statement, r.weight, f"{r.rule_id}: {r.statement}") for r in reasons],
        aria_label="Rule contributions",
        captions=("← prompt", "fine-tune →"),
        colours=(PE_COLOUR, FT_COLOUR),
    )


def cost_chart(rec: Recommendation) -> str:
    """Bars of monthly cost (inference) per method, with one-off training cost beside it."""
    if not rec.cost.methods:
        return ""
    rows = []
    for m in rec.cost.methods:
        monthly = svg.Amount(
            m.monthly_usd, f"${m.monthly_usd:,.2f}", f"{m.method}: ${m.monthly_usd:,.2f} per month"
        )
        train = None
        if m.train_usd is not None:
            train = svg.Amount(
                m.train_usd, f"${m.train_usd:,.2f}", f"{m.method}: ${m.train_usd:,.2f} to train"
            )
        rows.append(svg.PairedRow(m.method, monthly, train))
    return svg.paired_bars(
        rows,
        aria_label="Cost per method",
        legend=("$ / month (queries)", "$ one-off training"),
        colours=(PE_COLOUR, FT_COLOUR),
    )


CROSSING_COLOUR = "#2ca02c"
VOLUME_COLOUR = "#666666"
CURVE_POINTS = 80


def _volumes(low: float, high: float, exact: list[int]) -> list[int]:
    """Log-spaced monthly volumes from ``low`` to ``high``, with ``exact`` ones included."""
    step = (math.log10(high) - math.log10(low)) / (CURVE_POINTS - 1)
    spaced = {round(10 ** (math.log10(low) + i * step)) for i in range(CURVE_POINTS)}
    return sorted(spaced | {v for v in exact if low <= v <= high})


def break_even_chart(rec: Recommendation) -> str:
    """Monthly cost of the prompt and of the fine-tune against volume (log-log), with the
    break-even (where the curves cross, the table's value) and the profile's volume marked."""
    if len(rec.cost.curves) != 2:
        return ""
    be = rec.cost.break_even_monthly_queries
    monthly = rec.profile.monthly_queries
    high = 10 ** math.ceil(math.log10(10 * max(be or 0, monthly, 1000)))
    exact = [v for v in (be, (be or 0) - 1, monthly) if v]
    volumes = _volumes(10, high, exact)
    colours = (PE_COLOUR, FT_COLOUR)
    series = [
        svg_loglog.Series(
            f"{c.method}: {SERVED[c.serving]}",
            colour,
            [(v, max(c.monthly_usd(v), 1e-6)) for v in volumes],  # > 0 on a log axis
        )
        for c, colour in zip(rec.cost.curves, colours, strict=True)
    ]
    markers = []
    if be:
        markers.append(svg_loglog.Marker(be, f"break-even {be:,}/month", CROSSING_COLOUR))
    if monthly:
        markers.append(svg_loglog.Marker(monthly, f"this profile {monthly:,}/month", VOLUME_COLOUR))
    return svg_loglog.log_log_lines(
        series,
        aria_label="Monthly cost against monthly volume",
        x_caption="queries a month",
        y_caption="$ a month",
        markers=markers,
    )


# ---------------------------------------------------------------- sections


def _verdict(rec: Recommendation) -> str:
    colour = VERDICT_COLOUR.get(rec.verdict, "#333")
    alternatives = (
        f"<div>Alternatives: {esc(', '.join(rec.alternatives))}</div>" if rec.alternatives else ""
    )
    return (
        f'<div class="verdict" style="--accent: {colour}">'
        f'<div><div class="muted">verdict</div><div class="big">{esc(rec.verdict)}</div></div>'
        f'<div><div class="muted">method</div><div class="big">{esc(rec.method)}</div></div>'
        f'<div><div class="muted">confidence</div><div class="big">{rec.confidence:.0%}</div>'
        f'<meter min="0" max="1" value="{rec.confidence:.3f}"></meter>'
        f'<div class="muted">{esc(rec.confidence_note)}</div></div>'
        f'<div><div class="muted">score (+ fine-tune / − prompt)</div><div class="big">{rec.score:+.2f}</div></div>'
        f"</div><p>{esc(rec.summary)}</p>{alternatives}"
    )


def _reasons(rec: Recommendation) -> str:
    rows = []
    for r in sorted(rec.reasons, key=lambda r: -abs(r.weight)):
        s = r.source
        title = esc(s.title)
        if s.url and re.fullmatch(r"https?://\S+", s.url):
            title = f'<a href="{esc(s.url)}" rel="noopener noreferrer">{title}</a>'
        year = f", {s.year}" if s.year else ""
        rows.append(
            (
                f"{r.weight:+.2f}",
                esc(r.statement),
                f"{title}{year} <span class='muted'>({esc(s.kind)})</span><br>{esc(s.figure)}",
                esc(", ".join(r.fields)),
            )
        )
    return reasons_chart(rec) + html_table(("points", "reason", "source", "fields"), rows, raw=True)


def _aspects(rec: Recommendation) -> str:
    rows = (
        (
            f"<strong>{esc(a.name)}</strong>",
            f'<span class="tag {esc(a.favours)}">{esc(a.favours)}</span>',
            esc(a.judgement),
            esc(a.fine_tuning),
            esc(a.prompt_engineering),
        )
        for a in rec.aspects
    )
    return html_table(
        ("aspect", "favours", "for this task", "fine-tuning", "prompt engineering"), rows, raw=True
    )


def _challenges(rec: Recommendation) -> str:
    rows = (
        (
            f"<strong>{esc(c.name)}</strong>",
            f'<span class="tag {esc(c.rating)}">{esc(c.rating)}</span>',
            esc(c.why) + (f"<br><em>measured: {esc(c.measured)}</em>" if c.measured else ""),
            esc(c.mitigation),
        )
        for c in rec.challenges
    )
    return html_table(("challenge", "risk", "why", "mitigation"), rows, raw=True)


def _plan(rec: Recommendation) -> str:
    plan = rec.plan
    out = []
    if plan.checklist:
        out.append("<h3>Prompt checklist: the 3Cs</h3>")
        for item in plan.checklist:
            items = "".join(f"<li>{esc(a)}</li>" for a in item.advice)
            out.append(f"<h4>{esc(item.name)}</h4><ul>{items}</ul>")
    if plan.prompt_skeleton:
        out.append(f"<h3>Draft prompt</h3><pre>{esc(plan.prompt_skeleton)}</pre>")
    if plan.steps:
        suffix = " (when prompting falls short)" if plan.checklist else ""
        steps = "".join(
            f"<li><strong>{esc(s.name)}</strong>: {esc(s.detail)}</li>" for s in plan.steps
        )
        out.append(f"<h3>Fine-tuning: the 7 steps{suffix}</h3><ol>{steps}</ol>")
    if plan.hyperparameters:
        out.append("<h3>Hyperparameters</h3>")
        out.append(html_table(("name", "value"), ((k, v) for k, v in plan.hyperparameters.items())))
    return "".join(out)


def _cost(rec: Recommendation) -> str:
    cost = rec.cost
    rows = [
        (esc(method), *(f'<span class="num">{esc(n)}</span>' for n in nums))
        for method, *nums in map(cost_cells, cost.methods)
    ]
    out = [cost_chart(rec)]
    out.append(html_table(COST_COLUMNS, rows, raw=True))
    if sentence := break_even_sentence(cost, rec.profile.monthly_queries):
        out.append(f'<p class="break-even">{esc(sentence)}</p>')
        out.append(break_even_chart(rec))
    out.append(f'<p class="muted">Prices: {esc(cost.price_table)}</p>')
    if cost.assumptions:
        out.append(
            '<p class="muted">Assumptions:</p><ul class="muted">'
            + "".join(f"<li>{esc(a)}</li>" for a in cost.assumptions)
            + "</ul>"
        )
    return "".join(out)


def _profile(rec: Recommendation) -> str:
    rows = (
        (name, value, rec.profile_sources.get(name, "default"))
        for name, value in rec.profile.model_dump(mode="json").items()
    )
    return html_table(("field", "value", "from"), rows)


def render(rec: Recommendation) -> str:
    constraints = ""
    if rec.constraints or rec.excluded_methods:
        items = "".join(f"<li>{esc(c)}</li>" for c in rec.constraints)
        if rec.excluded_methods:
            items += f"<li>Excluded methods: {esc(', '.join(rec.excluded_methods))}</li>"
        constraints = f"<h2>Hard constraints</h2><ul>{items}</ul>"
    title = f"Recommendation: {rec.verdict} ({rec.method})"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No scripts and no remote resources: the page works offline and cannot run code.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>Fine-tune or prompt?</h1>{_verdict(rec)}{constraints}"
        f"<h2>Reasons</h2>{_reasons(rec)}"
        f"<h2>The 10 aspects, judged for this task</h2>{_aspects(rec)}"
        f"<h2>The 7 fine-tuning challenges, rated</h2>{_challenges(rec)}"
        f"<h2>Plan</h2>{_plan(rec)}"
        f"<h2>Cost</h2>{_cost(rec)}"
        f"<h2>Profile</h2>{_profile(rec)}"
        f"<h2>Validate this advice</h2><pre>{esc(rec.benchmark_command)}</pre>"
        f'<p class="muted">advisor {esc(rec.version)}</p>'
        "</body></html>\n"
    )
