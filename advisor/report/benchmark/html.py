"""report.html of a benchmark run: one self-contained page (inline CSS and SVG, no scripts);
every string from the data, the options or a plugin is escaped."""

from __future__ import annotations

import re

from advisor.bench.challenges import DATA_SCARCITY, FORGETTING, OVERFITTING, TRAINING_DATA
from advisor.bench.schema import BenchmarkResults
from advisor.report.benchmark import sections as sec
from advisor.report.benchmark.charts import cost_score_chart, curve_svg, score_chart
from advisor.report.tables import esc, html_table

CSS = """
body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.verdict{padding:.6em 1em;border-radius:6px;background:#f3f3f3}
.confirmed{background:#e3f4e1}.contradicted{background:#fbe3e1}
"""


def _inline_md(text: str) -> str:
    """Escape, then turn **bold** and `code` of our own sentences into tags."""
    text = esc(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def _table(header: list[str], rows: list[list[str]]) -> str:
    return html_table(header, rows, sections=False)


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
    if rows := sec.overfitting_rows(results):
        parts.append(f"<h2>{OVERFITTING}</h2>" + _table(sec.OVERFIT_HEADER, rows))
    if results.forgetting:
        parts.append(f"<h2>{FORGETTING}</h2>")
        parts.append(_table(sec.FORGET_HEADER, sec.forgetting_rows(results)))
        parts += [f"<p>{_inline_md(line)}</p>" for line in sec.forgetting_text(results)]
    if results.curve is not None:
        parts.append(f"<h2>{DATA_SCARCITY} / {TRAINING_DATA}: learning curve</h2>")
        parts += [f"<p>{_inline_md(line)}</p>" for line in sec.curve_text(results)]
        parts.append(curve_svg(results.curve))
        parts.append(_table(sec.CURVE_HEADER, sec.curve_rows(results)))
    return "\n".join(parts)


def render(results: BenchmarkResults) -> str:
    d = results.data
    m = results.primary_metric
    outcome = results.verdict.outcome if results.verdict else "inconclusive"
    verdict = "".join(f"<p>{_inline_md(line)}</p>" for line in sec.verdict_lines(results))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Benchmark: {esc(d.name)}</title>
<style>{CSS}</style></head><body>
<h1>Benchmark: {esc(d.name)}</h1>
<p>{esc(d.task_type)}, {d.train_examples} training and {d.test_examples} test examples; model {esc(results.model)}; metric <code>{esc(m)}</code>.</p>
<div class="verdict {esc(outcome)}">{verdict}</div>
<h2>Scores</h2>{_table(sec.SCORE_HEADER, sec.strategy_rows(results))}
<h2>Score with 95% confidence interval</h2>{score_chart(results.strategies, m)}
<h2>Cost versus score</h2>{cost_score_chart(results.strategies, m)}
<ul>{"".join(f"<li>{esc(n)}</li>" for n in results.cost_notes)}</ul>
{_measured_sections(results)}
<p>lm-eval tasks: <code>{esc(results.task_dir)}</code>. Fine-tunes are scored on the zero-shot task.</p>
</body></html>
"""
