"""report.md and report.html (self-contained: inline CSS and SVG, user data escaped)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from advisor.bench.curve import curve_svg
from advisor.bench.lmtask import write_atomic
from advisor.bench.schema import BenchmarkResults, MeasuredChallenge, StrategyResult

# The seed's names: the challenges measured here, and the aspect the learning curve answers.
OVERFITTING = "Overfitting"
FORGETTING = "Catastrophic forgetting"
DATA_SCARCITY = "Data Scarcity"
TRAINING_DATA = "Training Data"
_SEVERITY = {"unknown": 0, "none": 1, "mild": 2, "overfitting": 3, "severe": 3}

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
        *_measured_sections_md(results),
    ]
    return "\n".join(out)


def _fine_tunes(results: BenchmarkResults) -> list[StrategyResult]:
    return [s for s in results.strategies if s.kind == "fine-tune"]


def _worst(levels: list[str]) -> str | None:
    return max(levels, key=lambda lv: _SEVERITY.get(lv, 0)) if levels else None


def measured_challenges(
    results: BenchmarkResults, rated: dict[str, str] | None = None
) -> list[MeasuredChallenge]:
    """The seed's challenges this run measured, each with `recommend`'s rating it replaces."""
    rated = rated or {}
    out: list[MeasuredChallenge] = []
    tuned = [s for s in _fine_tunes(results) if s.overfitting is not None]
    if tuned:
        text = "; ".join(f"{s.name}: {s.overfitting.summary}" for s in tuned)  # type: ignore[union-attr]
        level = _worst([s.overfitting.level for s in tuned])  # type: ignore[union-attr]
        out.append(
            MeasuredChallenge(
                name=OVERFITTING, measured=text, level=level, rated=rated.get(OVERFITTING)
            )
        )
    f = results.forgetting
    if f and f.methods:
        drops = "; ".join(f"{m.method} {m.drop_points:+.1f} points ({m.level})" for m in f.methods)
        text = f"general-ability drop after fine-tuning: {drops}"
        if f.least_forgetting:
            text += f"; least forgetting: {f.least_forgetting}"
        out.append(
            MeasuredChallenge(
                name=FORGETTING,
                measured=text,
                level=_worst([m.level for m in f.methods]),
                rated=rated.get(FORGETTING),
            )
        )
    if results.curve is not None:
        out.append(
            MeasuredChallenge(
                name=DATA_SCARCITY,
                measured=results.curve.summary,
                level=results.curve.status,
                rated=rated.get(DATA_SCARCITY),
            )
        )
    return out


def _overfitting_rows(results: BenchmarkResults) -> list[list[str]]:
    rows = []
    for s in _fine_tunes(results):
        o = s.overfitting
        if o is None:
            continue
        if not o.points:
            rows.append([s.name, o.level, "n/a", "n/a", "n/a", "no validation loss recorded"])
            continue
        stop = f"cut in at step {o.early_stop_step}" if o.stopped_early else "did not cut in"
        rows.append(
            [
                s.name,
                o.level,
                str(o.best_step),
                f"{o.best_validation_loss:.3f} → {o.final_validation_loss:.3f}",
                f"{o.gap_at_best:+.3f} → {o.final_gap:+.3f}",
                stop,
            ]
        )
    return rows


OVERFIT_HEADER = [
    "fine-tune",
    "level",
    "best step",
    "validation loss (best → final)",
    "train/validation gap (best → final)",
    "early stopping",
]
FORGET_HEADER = ["method", "before", "after", "drop (points)", "items lost / gained", "p", "level"]
CURVE_HEADER = ["training examples", "score", "95% CI", "vs prompt", "p", "steps", "overfitting"]


def _forgetting_rows(results: BenchmarkResults) -> list[list[str]]:
    rows = []
    for m in results.forgetting.methods if results.forgetting else []:
        lost, p = m.items_lost, m.p_value
        rows.append(
            [
                m.method,
                f"{m.before:.1%}",
                f"{m.after:.1%}",
                f"{m.drop_points:+.1f}",
                f"{lost} / {m.items_gained}" if lost is not None else "n/a",
                f"{p:.3g}" if p is not None else "n/a",
                m.level,
            ]
        )
    return rows


def _forgetting_text(results: BenchmarkResults) -> list[str]:
    f = results.forgetting
    if not f:
        return []
    lines = [
        f"General ability of the base model: {f.before:.1%}"
        + (f" on {f.items} items" if f.items else "")
        + " (the shipped multiple-choice check, unrelated to the task; chance 25%).",
        f.summary + ".",
    ]
    by = {m.method: m for m in f.methods}
    lora = next((m for n, m in by.items() if n.startswith("lora")), None)
    full = by.get("full")
    if lora and full:
        lines.append(
            f"LoRA vs full fine-tuning: {lora.method} dropped {lora.drop_points:+.1f} points, "
            f"full {full.drop_points:+.1f} points."
        )
    return lines


def _curve_rows(results: BenchmarkResults) -> list[list[str]]:
    c = results.curve
    rows = []
    for p in c.points if c else []:
        ci = f"[{p.ci95[0]:.3f}, {p.ci95[1]:.3f}]" if p.ci95 else "n/a"
        rows.append(
            [
                str(p.size) + (" (all)" if p.size == results.data.train_examples else ""),
                f"{p.score:.3f}",
                ci,
                f"{p.difference:+.3f}" if p.difference is not None else "n/a",
                f"{p.p_value:.3g}" if p.p_value is not None else "n/a",
                str(p.steps) if p.steps is not None else "n/a",
                (p.overfitting or "n/a") + (" (early stop)" if p.stopped_early else ""),
            ]
        )
    return rows


def _curve_text(results: BenchmarkResults) -> list[str]:
    c = results.curve
    if c is None:
        return []
    return [
        f"{c.method} fine-tuned on nested, stratified subsets of the training data and scored on "
        f"the same {c.test_examples} test examples as {c.prompt_strategy} "
        f"({c.metric} {c.prompt_score:.3f}); {c.seconds:.0f} s.",
        f"**{c.summary}**",
    ]


def _measured_sections_md(results: BenchmarkResults) -> list[str]:
    out: list[str] = []

    def table(header: list[str], rows: list[list[str]]) -> None:
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for row in rows:
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        out.append("")

    if results.challenges:
        out += ["## Measured challenges", ""]
        out.append(
            "The seed's challenges, measured on this data (replacing the ratings of `advisor recommend`):"
        )
        out.append("")
        table(
            ["challenge", "measured", "level", "`recommend` rated"],
            [[c.name, c.measured, c.level or "", c.rated or "n/a"] for c in results.challenges],
        )
    if rows := _overfitting_rows(results):
        out += [f"## {OVERFITTING}", ""]
        table(OVERFIT_HEADER, rows)
        for s in _fine_tunes(results):
            if s.overfitting is not None:
                out += [f"- {s.name}: {s.overfitting.summary}."]
        out.append("")
    if results.forgetting:
        out += [f"## {FORGETTING}", ""]
        table(FORGET_HEADER, _forgetting_rows(results))
        out += [line + "\n" for line in _forgetting_text(results)]
    if results.curve is not None:
        out += [f"## {DATA_SCARCITY} / {TRAINING_DATA}: learning curve", ""]
        out += [line + "\n" for line in _curve_text(results)]
        table(CURVE_HEADER, _curve_rows(results))
        out += ["![learning curve](curve.svg)", ""]
    return out


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _measured_sections_html(results: BenchmarkResults) -> str:
    parts: list[str] = []
    if results.challenges:
        parts.append("<h2>Measured challenges</h2>")
        parts.append(
            "<p>The seed's challenges, measured on this data (replacing the ratings of "
            "<code>advisor recommend</code>):</p>"
        )
        parts.append(
            _html_table(
                ["challenge", "measured", "level", "recommend rated"],
                [[c.name, c.measured, c.level or "", c.rated or "n/a"] for c in results.challenges],
            )
        )
    if rows := _overfitting_rows(results):
        parts.append(f"<h2>{OVERFITTING}</h2>" + _html_table(OVERFIT_HEADER, rows))
    if results.forgetting:
        parts.append(f"<h2>{FORGETTING}</h2>")
        parts.append(_html_table(FORGET_HEADER, _forgetting_rows(results)))
        parts += [f"<p>{_inline_md(line)}</p>" for line in _forgetting_text(results)]
    if results.curve is not None:
        parts.append(f"<h2>{DATA_SCARCITY} / {TRAINING_DATA}: learning curve</h2>")
        parts += [f"<p>{_inline_md(line)}</p>" for line in _curve_text(results)]
        parts.append(curve_svg(results.curve))
        parts.append(_html_table(CURVE_HEADER, _curve_rows(results)))
    return "\n".join(parts)


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
{_measured_sections_html(results)}
<p>lm-eval tasks: <code>{escape(results.task_dir)}</code>. Fine-tunes are scored on the zero-shot task.</p>
</body></html>
"""


def write_reports(results: BenchmarkResults, run_dir: Path) -> tuple[Path, Path]:
    md, page = run_dir / "report.md", run_dir / "report.html"
    write_atomic(md, markdown(results))
    write_atomic(page, html(results))
    return md, page
