"""report.md and report.html (self-contained: inline CSS and SVG, user data escaped)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from advisor.bench.lmtask import write_atomic
from advisor.bench.schema import BenchmarkResults, StrategyResult

COLOURS = {"prompt": "#4C78A8", "fine-tune": "#F58518", "baseline": "#54A24B"}


def _money(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"${x:.2g}" if x < 0.01 else f"${x:,.4f}"


def _rows(results: BenchmarkResults) -> list[list[str]]:
    m = results.primary_metric
    rows = []
    for s in results.strategies:
        lo, hi = s.ci95.get(m, (float("nan"), float("nan")))
        others = ", ".join(f"{k} {v:.3f}" for k, v in s.metrics.items() if k != m)
        rows.append(
            [
                s.name,
                s.kind,
                f"{s.metrics.get(m, float('nan')):.3f}",
                f"[{lo:.3f}, {hi:.3f}]",
                others or "",
                f"{s.prompt_tokens:.0f}" if s.prompt_tokens is not None else "n/a",
                _money(s.usd_per_1k_queries),
                f"{s.seconds:.0f}",
            ]
        )
    return rows


HEADER = [
    "strategy",
    "kind",
    "score",
    "95% CI",
    "other metrics",
    "prompt tokens",
    "$ / 1k queries",
    "seconds",
]


def _verdict_lines(results: BenchmarkResults) -> list[str]:
    lines = []
    v = results.verdict
    if v:
        lines.append(f"**Verdict: {v.outcome.upper()}** — {v.explanation}.")
        if v.advice:
            conf = (
                f", confidence {v.advice_confidence:.2f}" if v.advice_confidence is not None else ""
            )
            lines.append(f"Advice from `advisor recommend`: {v.advice} ({v.advice_method}{conf}).")
    c = results.comparison
    if c:
        lines.append(
            f"Paired test: {c.test}; {c.fine_tune} − {c.prompt} = {c.difference:+.3f} "
            f"{c.metric}, 95% CI [{c.ci95[0]:+.3f}, {c.ci95[1]:+.3f}], p = {c.p_value:.3g}, n = {c.n}"
            + (
                f"; discordant pairs: {c.discordant[0]} only {c.fine_tune} right, "
                f"{c.discordant[1]} only {c.prompt} right."
                if c.discordant
                else "."
            )
        )
        for metric, e in c.extra.items():
            lines.append(
                f"Also {metric}: {e['difference']:+.3f} [{e['ci_low']:+.3f}, {e['ci_high']:+.3f}], "
                f"bootstrap p = {e['p_value']:.3g}."
            )
    return lines


def markdown(results: BenchmarkResults) -> str:
    d = results.data
    out = [
        f"# Benchmark: {d.name}",
        "",
        f"{d.task_type}, {d.train_examples} training and {d.test_examples} test examples; "
        f"model {results.model}"
        + (f" ({results.model_params_b:.3f}B parameters)" if results.model_params_b else "")
        + f"; metric `{results.primary_metric}`.",
        "",
        *[line + "\n" for line in _verdict_lines(results)],
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for row in _rows(results):
        out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    out += ["", *[f"- {n}" for n in results.cost_notes]]
    out += [
        "",
        f"The lm-eval tasks are in `{results.task_dir}`; each runs with "
        f"`lm_eval --model hf --model_args pretrained=MODEL_DIR --include_path {results.task_dir} --tasks TASK`.",
        "Fine-tunes are scored on the zero-shot task (the prompt format they were trained on).",
        "",
    ]
    return "\n".join(out)


def _bar_chart(strategies: list[StrategyResult], metric: str) -> str:
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


def _scatter(strategies: list[StrategyResult], metric: str) -> str:
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


def _inline_md(text: str) -> str:
    """Escape, then turn **bold** and `code` of our own sentences into tags."""
    import re

    text = escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def html(results: BenchmarkResults) -> str:
    d = results.data
    m = results.primary_metric
    table = "<table><tr>" + "".join(f"<th>{escape(c)}</th>" for c in HEADER) + "</tr>"
    for row in _rows(results):
        table += "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
    table += "</table>"
    outcome = results.verdict.outcome if results.verdict else "inconclusive"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Benchmark: {escape(d.name)}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
.verdict{{padding:.6em 1em;border-radius:6px;background:#f3f3f3}}
.confirmed{{background:#e3f4e1}}.contradicted{{background:#fbe3e1}}
</style></head><body>
<h1>Benchmark: {escape(d.name)}</h1>
<p>{escape(d.task_type)}, {d.train_examples} training and {d.test_examples} test examples; model {escape(results.model)}; metric <code>{escape(m)}</code>.</p>
<div class="verdict {escape(outcome)}">{"".join(f"<p>{_inline_md(line)}</p>" for line in _verdict_lines(results))}</div>
<h2>Scores</h2>{table}
<h2>Score with 95% confidence interval</h2>{_bar_chart(results.strategies, m)}
<h2>Cost versus score</h2>{_scatter(results.strategies, m)}
<ul>{"".join(f"<li>{escape(n)}</li>" for n in results.cost_notes)}</ul>
<p>lm-eval tasks: <code>{escape(results.task_dir)}</code>. Fine-tunes are scored on the zero-shot task.</p>
</body></html>
"""


def write_reports(results: BenchmarkResults, run_dir: Path) -> tuple[Path, Path]:
    md, page = run_dir / "report.md", run_dir / "report.html"
    write_atomic(md, markdown(results))
    write_atomic(page, html(results))
    return md, page
