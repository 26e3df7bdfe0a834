"""report.html of a benchmark run: one self-contained page (inline CSS and SVG, no scripts);
every string from the data, the options or a plugin is escaped."""

from __future__ import annotations

import re

from advisor.bench.challenges import (
    DATA_SCARCITY,
    FORGETTING,
    OVERFITTING,
    TRAINING_DATA,
    fine_tunes,
)
from advisor.bench.schema import BenchmarkResults
from advisor.report.benchmark import sections as sec
from advisor.report.benchmark import tuning
from advisor.report.benchmark.charts import (
    baseline_levels,
    cost_score_chart,
    curve_svg,
    loss_chart,
    score_chart,
)
from advisor.report.tables import esc, html_table

CSS = """
:root{--ink:#1d1d1f;--muted:#666;--line:#ddd;--soft:#f6f6f8}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--ink);
max-width:1000px;margin:2rem auto;padding:0 1rem}
h2{margin-top:2.2rem;border-bottom:2px solid var(--line)}
table{border-collapse:collapse;margin:.6rem 0}
td,th{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft)}
.verdict{padding:.6em 1em;border-radius:8px;background:var(--soft);border-left:8px solid #999}
.confirmed{background:#e3f4e1;border-color:#2e8b57}.contradicted{background:#fbe3e1;border-color:#c0392b}
.muted{color:var(--muted);font-size:.9rem}
.grid{display:flex;flex-wrap:wrap;gap:1.2rem 2rem;align-items:flex-start}
.grid figure{margin:0}.grid figcaption{font-weight:600;margin-bottom:.3rem}
table.confusion{font-size:.85rem}table.confusion th{font-weight:500}
table.confusion td,table.confusion th{padding:2px 6px}
table.confusion td{text-align:right;min-width:2.4em;font-variant-numeric:tabular-nums}
.example{display:block;max-width:36em}
svg{font:12px system-ui,sans-serif;overflow:visible}svg text{fill:var(--ink)}
"""


def _inline_md(text: str) -> str:
    """Escape, then turn **bold** and `code` of our own sentences into tags."""
    text = esc(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def _table(header: list[str], rows: list[list[str]]) -> str:
    return html_table(header, rows, sections=False)


def _score_table(results: BenchmarkResults) -> str:
    """The strategies, then the no-reading baselines they read against."""
    header = sec.score_header(results)
    return _table(header, sec.strategy_rows(results) + sec.reference_rows(results, header))


def _confusion_table(labels: list[str], matrix: list[list[int]]) -> str:
    """Rows: the true label; columns: the prediction. The diagonal (right) is shaded green and
    the rest red, each by its share of the row, so that the mistakes stand out."""
    other = any(row[-1] for row in matrix)
    columns = labels + (["other"] if other else [])
    head = "<tr><th>true ↓ predicted →</th>" + "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for i, (label, row) in enumerate(zip(labels, matrix, strict=True)):
        total = sum(row) or 1
        cells = []
        for j, count in enumerate(row[: len(columns)]):
            share = count / total
            hue = "46,139,87" if i == j else "192,57,43"
            ink = "#fff" if share > 0.55 else "inherit"
            style = f"background:rgba({hue},{share:.2f});color:{ink}" if count else ""
            cells.append(f'<td style="{style}" title="{count} of {total}">{count}</td>')
        body.append(f"<tr><th>{esc(label)}</th>{''.join(cells)}</tr>")
    return f'<table class="confusion">{head}</tr>{"".join(body)}</table>'


def _classification(results: BenchmarkResults) -> str:
    """Confusion matrices side by side, then each strategy's first misclassified examples."""
    matrices = sec.confusions(results)
    if not matrices:
        return ""
    parts = ["<h2>Confusion matrices</h2>", '<div class="grid">']
    for name, labels, matrix in matrices:
        parts.append(
            f"<figure><figcaption>{esc(name)}</figcaption>"
            f"{_confusion_table(labels, matrix)}</figure>"
        )
    parts.append("</div><h2>Misclassified examples</h2>")
    parts.append(
        f'<p class="muted">The first {sec.MISCLASSIFIED_SHOWN} per strategy, in test order.</p>'
    )
    for s in results.strategies:
        rows = sec.misclassified_rows(s)
        if not rows:
            continue
        cells = [
            [esc(n), f'<span class="example">{esc(text)}</span>', esc(target), esc(pred)]
            for n, text, target, pred in rows
        ]
        parts.append(f"<h3>{esc(s.name)}</h3>")
        parts.append(html_table(sec.MISCLASSIFIED_HEADER, cells, raw=True, sections=False))
    return "\n".join(parts)


def _overfitting(results: BenchmarkResults) -> str:
    rows = sec.overfitting_rows(results)
    charts = [(s.name, loss_chart(s)) for s in fine_tunes(results) if s.train is not None]
    if not rows and not charts:
        return ""
    parts = [f"<h2>{OVERFITTING}</h2>"]
    if rows:
        parts.append(_table(sec.OVERFIT_HEADER, rows))
    if charts:
        parts.append('<div class="grid">')
        parts += [f"<figure><figcaption>{esc(n)}</figcaption>{c}</figure>" for n, c in charts]
        parts.append("</div>")
    return "\n".join(parts)


def _tuning(results: BenchmarkResults) -> str:
    """Equal footing, shown: each arm's budget, then the search's validation-only rows."""
    parts: list[str] = []
    if rows := tuning.tuned_rows(results):
        parts.append(f"<h2>{tuning.TUNED_TITLE}</h2>")
        parts += [f"<p>{_inline_md(t)}</p>" for t in tuning.tuned_text(results)]
        parts.append(_table(tuning.TUNED_HEADER, rows))
    if rows := tuning.search_rows(results):
        parts.append(f"<h2>{tuning.SEARCH_TITLE}</h2>")
        parts += [f"<p>{_inline_md(t)}</p>" for t in tuning.search_text(results)]
        parts.append(_table(tuning.SEARCH_HEADER, rows))
    return "\n".join(parts)


def _measured_sections(results: BenchmarkResults) -> str:
    parts: list[str] = []
    if results.challenges:
        parts.append("<h2>Measured challenges</h2>")
        parts.append(
            "<p>The seed's challenges, measured on this data (replacing the ratings of "
            "<code>advisor recommend</code>):</p>"
        )
        header = ["challenge", "measured", "level", "recommend rated"]
        parts.append(_table(header, sec.challenge_rows(results)))
    parts.append(_overfitting(results))
    if results.forgetting:
        parts.append(f"<h2>{FORGETTING}</h2>")
        parts.append(_table(sec.FORGET_HEADER, sec.forgetting_rows(results)))
        parts += [f"<p>{_inline_md(line)}</p>" for line in sec.forgetting_text(results)]
    if results.curve is not None:
        parts.append(f"<h2>{DATA_SCARCITY} / {TRAINING_DATA}: learning curve</h2>")
        parts += [f"<p>{_inline_md(line)}</p>" for line in sec.curve_text(results)]
        parts.append(curve_svg(results.curve))
        parts.append(_table(sec.CURVE_HEADER, sec.curve_rows(results)))
    return "\n".join(p for p in parts if p)


def render(results: BenchmarkResults) -> str:
    d = results.data
    m = results.primary_metric
    outcome = results.verdict.outcome if results.verdict else "inconclusive"
    lines = [*sec.verdict_lines(results), *filter(None, [sec.surrogate_line(results)])]
    verdict = "".join(f"<p>{_inline_md(line)}</p>" for line in lines)
    baselines = sec.baseline_line(results)
    notes = "".join(f"<li>{esc(n)}</li>" for n in results.cost_notes)
    chance = "".join(f"<p>{esc(n)}</p>" for n in sec.chance_notes(results))
    unparsed = "".join(f'<p class="muted">{esc(n)}</p>' for n in sec.unparsed_lines(results))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Benchmark: {esc(d.name)}</title>
<style>{CSS}</style></head><body>
<h1>Benchmark: {esc(d.name)}</h1>
<p>{esc(d.task_type)}, {d.train_examples} training and {d.test_examples} test examples; model {esc(results.model)}; metric <code>{esc(m)}</code>.</p>
<div class="verdict {esc(outcome)}">{verdict}</div>
<h2>Scores</h2>{_score_table(results)}
<h2>Score with 95% confidence interval</h2>{score_chart(results)}
{f'<p class="muted">{esc(baselines)}</p>' if baselines else ""}{chance}{unparsed}
<h2>Cost versus score</h2>{cost_score_chart(results.strategies, m, baseline_levels(results))}
<ul>{notes}</ul>
{_tuning(results)}
{_classification(results)}
{_measured_sections(results)}
<p class="muted">lm-eval tasks: <code>{esc(results.task_dir)}</code>. Fine-tunes are scored on the zero-shot task.</p>
</body></html>
"""
