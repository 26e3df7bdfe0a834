"""The benchmark report's content, format-neutral: table headers and rows as plain strings and
the sentences around them; the Markdown and HTML renderers escape and lay them out."""

from __future__ import annotations

from advisor.bench.challenges import fine_tunes
from advisor.bench.classification import MACRO_F1, MISCLASSIFIED_SHOWN, confusion, within_chance
from advisor.bench.forgetting import MILD_RISE, SEVERE_RISE, load_general_text, method_sentence
from advisor.bench.schema import Advice, BenchmarkResults, StrategyResult
from advisor.methods import load_methods
from advisor.report.benchmark.tuning import arm_label

SCORE_HEADER = [
    "strategy",
    "kind",
    "score",
    "95% CI",
    "other metrics",
    "model",
    "prompt tokens",
    "$ / 1k queries",
    "latency p50 / p95 (ms)",
    "seconds",
]
UNPARSED_SHOWN = 3  # answers quoted per strategy whose label could not be read
OVERFIT_HEADER = [
    "fine-tune",
    "level",
    "best step",
    "validation loss (best → final)",
    "train/validation gap (best → final)",
    "early stopping",
]
FORGET_HEADER = [
    "method",
    "general-text loss (before → after)",
    "change",
    "multiple choice (before → after)",
    "change",
    "items lost / gained",
    "p",
    "level",
]
CURVE_HEADER = [
    "training examples",
    "seeds",
    "score",
    "95% band",
    "vs prompt",
    "p",
    "steps",
    "epochs",
    "converged",
    "overfitting",
]


def _money(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"${x:.2g}" if x < 0.01 else f"${x:,.4f}"


def _classification(results: BenchmarkResults) -> bool:
    return results.data.task_type == "classification"


def score_header(results: BenchmarkResults) -> list[str]:
    """SCORE_HEADER, with macro-F1 beside the score for classification."""
    if not _classification(results):
        return list(SCORE_HEADER)
    return [*SCORE_HEADER[:3], "macro-F1", *SCORE_HEADER[3:]]


def strategy_rows(results: BenchmarkResults) -> list[list[str]]:
    m = results.primary_metric
    own = {m, MACRO_F1} if _classification(results) else {m}
    rows = []
    for s in results.strategies:
        lo, hi = s.ci95.get(m, (float("nan"), float("nan")))
        others = ", ".join(f"{k} {v:.3f}" for k, v in s.metrics.items() if k not in own)
        f1 = s.metrics.get(MACRO_F1)
        rows.append(
            [
                arm_label(s),
                s.kind + (" (reference)" if s.reference else ""),
                f"{s.metrics.get(m, float('nan')):.3f}",
                *([f"{f1:.3f}" if f1 is not None else "n/a"] if _classification(results) else []),
                f"[{lo:.3f}, {hi:.3f}]",
                others or "",
                s.model or results.model,
                f"{s.prompt_tokens:.0f}" if s.prompt_tokens is not None else "n/a",
                _money(s.usd_per_1k_queries),
                f"{s.latency_ms['p50']:.0f} / {s.latency_ms['p95']:.0f}" if s.latency_ms else "n/a",
                f"{s.seconds:.0f}",
            ]
        )
    return rows


def unparsed_lines(results: BenchmarkResults) -> list[str]:
    """Per strategy scored by generation: how many answers named no label (counted wrong),
    with a few of them quoted."""
    lines = []
    for s in results.strategies:
        if not s.unparsed:
            continue
        quoted = "; ".join(
            f"#{doc}: {_excerpt(answer)!r}"
            for doc, answer in list(s.unparsed.items())[:UNPARSED_SHOWN]
        )
        lines.append(
            f"{s.name}: {len(s.unparsed)} of {s.n} answers named no label (counted wrong), "
            f"e.g. {quoted}"
        )
    return lines


def baseline_line(results: BenchmarkResults) -> str | None:
    """The chance and majority-class scores, as the score chart draws them."""
    b = results.label_baselines
    if b is None:
        return None
    shares = (
        f"; guessing by the training label shares: {b.share_guess:.3f}" if b.share_guess else ""
    )
    lo, hi = b.band()
    return (
        f"Chance (a uniform guess among {len(results.data.labels or [])} labels): {b.chance:.3f}"
        f"{shares}; always answering the most common training label, '{b.majority_label}': "
        f"{b.majority_share:.3f}. A blind guess lands between {lo:.3f} and {hi:.3f} on these "
        f"{results.data.test_examples} test examples (95%): the chance band."
    )


def reference_rows(results: BenchmarkResults, header: list[str]) -> list[list[str]]:
    """The scores of answering without reading, as rows of the score table (classification):
    every strategy row above them reads against them. Cells are placed by ``header``'s names,
    so columns added to the table stay empty in these rows."""
    b = results.label_baselines
    if b is None:
        return []
    labels = len(results.data.labels or [])
    entries = [(f"chance (uniform guess, {labels} labels)", b.chance, None)]
    if b.share_guess is not None:
        entries.append(("chance (guess by label shares)", b.share_guess, None))
    entries.append(
        (f"majority class ('{b.majority_label}')", b.majority_share, b.majority_macro_f1)
    )
    f1_at = header.index("macro-F1") if "macro-F1" in header else None
    rows = []
    for name, score, f1 in entries:
        row = [""] * len(header)
        row[0], row[1], row[header.index("score")] = name, "reference", f"{score:.3f}"
        if f1_at is not None and f1 is not None:
            row[f1_at] = f"{f1:.3f}"
        rows.append(row)
    return rows


def chance_notes(results: BenchmarkResults) -> list[str]:
    """A sentence for each strategy that does not beat answering without reading."""
    b, m = results.label_baselines, results.primary_metric
    if b is None:
        return []
    lo, hi = b.band()
    notes = []
    for s in results.strategies:
        score = s.metrics.get(m)
        if score is None:
            continue
        if within_chance(score, b):
            notes.append(
                f"{s.name} ({score:.3f}) is within the chance band ({lo:.3f} to {hi:.3f}): "
                "it cannot be told apart from guessing."
            )
        elif score <= b.majority_share:
            notes.append(
                f"{s.name} ({score:.3f}) does not beat always answering "
                f"'{b.majority_label}' ({b.majority_share:.3f})."
            )
    return notes


__all__ = ["MISCLASSIFIED_SHOWN"]
MISCLASSIFIED_HEADER = ["#", "input", "true label", "predicted"]
EXCERPT = 240  # characters of an example's text shown in a table


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def confusions(results: BenchmarkResults) -> list[tuple[str, list[str], list[list[int]]]]:
    """(strategy, labels, counts) per strategy with per-example results: row = true label,
    column = predicted label, the last column predictions outside the labels."""
    if not _classification(results):
        return []
    labels = results.data.labels or []
    return [(s.name, *confusion(s.examples, labels)) for s in results.strategies if s.examples]


def misclassified_rows(s: StrategyResult) -> list[list[str]]:
    return [
        [str(m.doc_id), _excerpt(m.input), m.target, m.prediction or "(empty)"]
        for m in s.misclassified
    ]


def verdict_lines(results: BenchmarkResults) -> list[str]:
    lines = []
    v = results.verdict
    if v:
        lines.append(f"**Verdict: {v.outcome.upper()}** — {v.explanation}.")
        if v.advice:
            conf = (
                f", confidence {v.advice_confidence:.0%}" if v.advice_confidence is not None else ""
            )
            given = results.recommendation if isinstance(results.recommendation, Advice) else None
            command = given.command if given and given.command else "advisor recommend"
            note = f" — {given.confidence_note}" if given and given.confidence_note else ""
            lines.append(f"Advice from `{command}`: {v.advice} ({v.advice_method}{conf}){note}.")
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


def surrogate_line(results: BenchmarkResults) -> str | None:
    """When the advised method could not run here, which arm stood in for it and why (from
    methods.yaml), so the verdict is read as a verdict on the surrogate."""
    advice = results.recommendation if isinstance(results.recommendation, Advice) else None
    method = next((m for m in load_methods() if advice and m.name == advice.method), None)
    if method is None or method.benchmark.surrogate is None:
        return None
    ran = {s.name.split("@")[0] for s in results.strategies}
    if method.benchmark.arm in ran:
        return None
    surrogate = method.benchmark.surrogate
    if surrogate not in ran:
        return (
            f"The advised method, {method.name}, was not measured: neither it nor its "
            f"surrogate {surrogate} ran in this benchmark."
        )
    return (
        f"The advised method, {method.name}, ran as its surrogate **{surrogate}**: "
        f"{method.benchmark.reason.strip()}."
    )


def challenge_rows(results: BenchmarkResults) -> list[list[str]]:
    return [[c.name, c.measured, c.level or "", c.rated or "n/a"] for c in results.challenges]


def overfitting_rows(results: BenchmarkResults) -> list[list[str]]:
    rows = []
    for s in fine_tunes(results):
        o = s.overfitting
        if o is None:
            continue
        if o.best_step is None:  # nothing recorded, or too few points to read (the summary)
            why = (
                f"{len(o.points)} validation points" if o.points else "no validation loss recorded"
            )
            rows.append([s.name, o.level, "n/a", "n/a", "n/a", why])
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


def forgetting_rows(results: BenchmarkResults) -> list[list[str]]:
    rows = []
    for m in results.forgetting.methods if results.forgetting else []:
        lost, p = m.items_lost, m.p_value
        text = "n/a"
        if m.text_loss_before is not None and m.text_loss_after is not None:
            text = f"{m.text_loss_before:.4f} → {m.text_loss_after:.4f}"
        choice = m.change + (" (probable format learning)" if m.format_learning else "")
        rows.append(
            [
                m.method,
                text,
                m.text_change or "n/a",
                f"{m.before:.1%} → {m.after:.1%}",
                choice,
                f"{lost} / {m.items_gained}" if lost is not None else "n/a",
                f"{p:.3g}" if p is not None else "n/a",
                m.level,
            ]
        )
    return rows


def forgetting_text(results: BenchmarkResults) -> list[str]:
    f = results.forgetting
    if not f:
        return []
    text = (
        f"General-text loss of the base model: {f.text_loss_before:.4f} nats per character on "
        f"{len(load_general_text())} shipped general-knowledge paragraphs; a rise after "
        f"fine-tuning is the forgetting signal (mild from {MILD_RISE:g}%, severe from "
        f"{SEVERE_RISE:g}%)."
        if f.text_loss_before is not None
        else "General-text loss: not measured in this run."
    )
    lines = [
        text,
        f"Multiple-choice check of the base model: {f.before:.1%}"
        + (f" on {f.items} items" if f.items else "")
        + " (unrelated to the task, scored in a neutral format that is not the fine-tune's "
        "template; chance 25%). A gain there is probable format learning, not evidence of no "
        "forgetting.",
        f.summary.rstrip(".") + ".",
    ]
    by = {m.method: m for m in f.methods}
    lora = next((m for n, m in by.items() if n.startswith("lora")), None)
    full = by.get("full")
    if lora and full:
        lines.append(f"LoRA vs full fine-tuning: {method_sentence(lora)}; {method_sentence(full)}.")
    return lines


def _yes_no(value: bool | None) -> str:
    return "n/a" if value is None else "yes" if value else "no"


def curve_rows(results: BenchmarkResults) -> list[list[str]]:
    c = results.curve
    rows = []
    for p in c.points if c else []:
        ci = f"[{p.ci95[0]:.3f}, {p.ci95[1]:.3f}]" if p.ci95 else "n/a"
        rows.append(
            [
                str(p.size) + (" (all)" if p.size == results.data.train_examples else ""),
                str(len(p.runs) or 1),
                f"{p.score:.3f}",
                ci,
                f"{p.difference:+.3f}" if p.difference is not None else "n/a",
                f"{p.p_value:.3g}" if p.p_value is not None else "n/a",
                str(p.steps) if p.steps is not None else "n/a",
                f"{p.epochs:g}" if p.epochs is not None else "n/a",
                _yes_no(p.converged),
                (p.overfitting or "n/a") + (" (early stop)" if p.stopped_early else ""),
            ]
        )
    return rows


def curve_text(results: BenchmarkResults) -> list[str]:
    c = results.curve
    if c is None:
        return []
    seeds = max((len(p.runs) for p in c.points), default=1)
    several = f", {seeds} seeds at the small sizes" if seeds > 1 else ""
    return [
        f"{c.method} fine-tuned on nested, stratified subsets of the training data{several}, "
        f"each trained with the run's stopping rule, and scored on the same {c.test_examples} "
        f"test examples as {c.prompt_strategy} ({c.metric} {c.prompt_score:.3f}); the band is "
        f"a bootstrap over the test examples and seeds; {c.seconds:.0f} s.",
        f"**{c.summary}**",
    ] + (
        [
            f"Chance is {c.baselines.chance:.3f} and always answering "
            f"'{c.baselines.majority_label}' scores {c.baselines.majority_share:.3f} (the "
            "dotted lines of the chart)."
        ]
        if c.baselines
        else []
    )
