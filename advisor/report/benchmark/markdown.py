"""report.md of a benchmark run: scores, verdict, cost notes and the measured challenges."""

from __future__ import annotations

from collections.abc import Sequence

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
from advisor.report.tables import md_cell, md_pipes, md_table


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [md_table(header, rows, cell=md_pipes), ""]


def render(results: BenchmarkResults) -> str:
    d = results.data
    out = [
        f"# Benchmark: {md_cell(d.name)}",
        "",
        f"{d.task_type}, {d.train_examples} training and {d.test_examples} test examples; "
        f"model {results.model}"
        + (f" ({results.model_params_b:.3f}B parameters)" if results.model_params_b else "")
        + f"; metric `{results.primary_metric}`.",
        "",
        *[line + "\n" for line in sec.verdict_lines(results)],
        *[line + "\n" for line in [sec.surrogate_line(results)] if line],
        _score_table(results),
    ]
    if line := sec.baseline_line(results):
        out += ["", md_cell(line)]
    out += [f"- {md_cell(note)}" for note in sec.chance_notes(results)]
    out += [f"\n{md_cell(line)}" for line in sec.unparsed_lines(results)]
    out += ["", *[f"- {n}" for n in results.cost_notes]]
    out += [
        "",
        f"The lm-eval tasks are in `{results.task_dir}`; each runs with "
        f"`lm_eval --model hf --model_args pretrained=MODEL_DIR --include_path {results.task_dir} --tasks TASK`.",
        "Fine-tunes are scored on the zero-shot task (the prompt format they were trained on).",
        "",
        *_tuning(results),
        *_classification(results),
        *_measured_sections(results),
    ]
    return "\n".join(out)


def _tuning(results: BenchmarkResults) -> list[str]:
    """Equal footing, shown: each arm's budget, then the search's validation-only rows."""
    out: list[str] = []
    if rows := tuning.tuned_rows(results):
        out += [f"## {tuning.TUNED_TITLE}", "", *[t + "\n" for t in tuning.tuned_text(results)]]
        out += _table(tuning.TUNED_HEADER, rows)
    if rows := tuning.search_rows(results):
        out += [f"## {tuning.SEARCH_TITLE}", "", *[t + "\n" for t in tuning.search_text(results)]]
        out += _table(tuning.SEARCH_HEADER, rows)
    return out


def _score_table(results: BenchmarkResults) -> str:
    """The strategies, then the no-reading baselines they read against."""
    header = sec.score_header(results)
    rows = sec.strategy_rows(results) + sec.reference_rows(results, header)
    return md_table(header, rows, cell=md_pipes)


def _classification(results: BenchmarkResults) -> list[str]:
    """Each strategy's confusion matrix and first misclassified examples (their text is the
    user's data: every cell is escaped)."""
    matrices = sec.confusions(results)
    if not matrices:
        return []
    out = ["## Confusion matrices", "", "Rows: the true label; columns: the prediction.", ""]
    for name, labels, matrix in matrices:
        other = any(row[-1] for row in matrix)
        header = ["true \\ predicted", *map(md_cell, labels), *(["other"] if other else [])]
        rows = [[label, *row[: len(header) - 1]] for label, row in zip(labels, matrix, strict=True)]
        out += [f"### {md_cell(name)}", "", md_table(header, rows), ""]
    out += ["## Misclassified examples", ""]
    out += [f"The first {sec.MISCLASSIFIED_SHOWN} per strategy, in test order.", ""]
    for s in results.strategies:
        if rows := sec.misclassified_rows(s):
            out += [f"### {md_cell(s.name)}", "", md_table(sec.MISCLASSIFIED_HEADER, rows), ""]
    return out


def _measured_sections(results: BenchmarkResults) -> list[str]:
    out: list[str] = []
    if results.challenges:
        out += ["## Measured challenges", ""]
        out.append(
            "The seed's challenges, measured on this data (replacing the ratings of `advisor recommend`):"
        )
        out.append("")
        header = ["challenge", "measured", "level", "`recommend` rated"]
        out += _table(header, sec.challenge_rows(results))
    if rows := sec.overfitting_rows(results):
        out += [f"## {OVERFITTING}", ""]
        out += _table(sec.OVERFIT_HEADER, rows)
        for s in fine_tunes(results):
            if s.overfitting is not None:
                out += [f"- {s.name}: {s.overfitting.summary}."]
        out.append("")
    if results.forgetting:
        out += [f"## {FORGETTING}", ""]
        out += _table(sec.FORGET_HEADER, sec.forgetting_rows(results))
        out += [line + "\n" for line in sec.forgetting_text(results)]
    if results.curve is not None:
        out += [f"## {DATA_SCARCITY} / {TRAINING_DATA}: learning curve", ""]
        out += [line + "\n" for line in sec.curve_text(results)]
        out += _table(sec.CURVE_HEADER, sec.curve_rows(results))
        out += ["![learning curve](curve.svg)", ""]
    return out
