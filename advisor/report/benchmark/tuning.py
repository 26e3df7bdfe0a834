"""The report's "equal footing" part, format-neutral: what each arm was tuned on (its budget)
and the prompt search's validation-only rows; the Markdown and HTML renderers lay them out."""

from __future__ import annotations

from advisor.bench.overfitting import convergence_summary
from advisor.bench.schema import BenchmarkResults, PromptCandidate, StrategyResult

TUNED_TITLE = "What each arm was tuned on"
SEARCH_TITLE = "Prompt search (validation split only)"
TUNED_HEADER = [
    "arm",
    "kind",
    "validation rows",
    "configurations tried",
    "compute seconds",
    "tokens processed",
    "steps",
    "how training ended",
]
SEARCH_HEADER = [
    "configuration",
    "validation score",
    "rows scored",
    "prompt tokens",
    "seconds",
    "chosen",
]


def arm_label(s: StrategyResult) -> str:
    """The arm's name, with the prompt configuration it was scored with."""
    return f"{s.name} ({s.config.label})" if s.config is not None else s.name


def tuned_rows(results: BenchmarkResults) -> list[list[str]]:
    rows = []
    for s in results.strategies:
        b = s.budget
        if b is None:
            continue
        rows.append(
            [
                arm_label(s),
                s.kind,
                str(b.validation_rows) if b.validation_rows else "none",
                str(b.configurations),
                f"{b.seconds:.0f}",
                f"{b.tokens:,.0f}",
                str(b.steps) if b.steps is not None else "n/a",
                convergence_summary(s.train) if s.train is not None else "n/a",
            ]
        )
    return rows


def tuned_text(results: BenchmarkResults) -> list[str]:
    v = results.data.validation_examples
    if not v:
        return [
            "The training data was too small to carve a validation split: no arm was tuned, "
            "the prompt arm used the few-shot prompt as configured."
        ]
    return [
        f"Both sides were tuned on the same {v} validation rows, carved from the training data "
        f"(seeded, stratified by label for classification); fine-tunes trained on the other "
        f"{results.data.train_examples}. The test set took no part in any choice."
    ]


def search_rows(results: BenchmarkResults) -> list[list[str]]:
    return [
        [
            c.config.label,
            f"{c.validation_score:.3f}",
            _rows(c, results.data.validation_examples),
            f"{c.prompt_tokens:.0f}",
            f"{c.seconds:.0f}",
            "chosen" if c.chosen else "",
        ]
        for c in results.prompt_search
    ]


def _rows(c: PromptCandidate, validation_rows: int | None) -> str:
    rows = str(c.rows or validation_rows or "")
    if c.screen_score is not None:
        return f"{rows} (finalist; {c.screen_score:.3f} in the screen)"
    if c.rows is not None and validation_rows and c.rows < validation_rows:
        return f"{rows} (screened out)"
    return rows


def search_text(results: BenchmarkResults) -> list[str]:
    chosen = next((c for c in results.prompt_search if c.chosen), None)
    if chosen is None:
        return []
    return [
        f"{len(results.prompt_search)} configurations scored on the validation split by "
        f"`{results.primary_metric}` (ties: the shorter prompt); only the chosen one, "
        f"{chosen.config.label} ({chosen.validation_score:.3f} on validation), was scored on "
        "the test set, as `tuned-prompt`."
        + (
            " Two rounds: every configuration on the first validation rows, then the best "
            "few on all of them; the choice is among those finalists."
            if any(c.screen_score is not None for c in results.prompt_search)
            else ""
        )
    ]
