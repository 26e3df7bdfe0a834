"""What a classification benchmark shows beside accuracy, from the per-example results:
macro-F1, the confusion matrix, a few misclassified examples with their text, and the chance
and majority-class scores a strategy has to beat.

Pure functions over results and data (no model, no plugin): the verdict stage fills the
results with them, the reports lay them out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, Field

from advisor.components import ExampleResult, TaskData

MISCLASSIFIED_SHOWN = 5
MACRO_F1 = "macro_f1"


class Misclassified(BaseModel):
    """A test example a strategy got wrong, with the text it was given."""

    doc_id: int
    input: str
    target: str
    prediction: str


class LabelBaselines(BaseModel):
    """The scores of answering without reading: a strategy must beat both to have learnt."""

    chance: float = Field(description="1 / number of labels: a uniform guess.")
    majority_label: str = Field(description="The training set's most common label.")
    majority_share: float = Field(
        description="Share of the test set that carries it: the score of always answering it."
    )


def macro_f1(examples: Sequence[ExampleResult]) -> float:
    """The mean of each label's F1, every label counting the same however rare: the labels are
    those that occur as a target or a prediction (scikit-learn's ``f1_score(average="macro")``)."""
    labels = {e.target for e in examples} | {e.prediction for e in examples}
    f1s = []
    for label in sorted(labels):
        tp = sum(1 for e in examples if e.prediction == label and e.target == label)
        predicted = sum(1 for e in examples if e.prediction == label)
        actual = sum(1 for e in examples if e.target == label)
        f1s.append(2 * tp / (predicted + actual))
    return sum(f1s) / len(f1s) if f1s else 0.0


def confusion(
    examples: Sequence[ExampleResult], labels: Sequence[str]
) -> tuple[list[str], list[list[int]]]:
    """The labels (``labels``, then any target missing from them) and the counts: row = target,
    column = prediction in the same order, plus a last column for predictions that are none of
    the labels."""
    rows = list(labels) + sorted({e.target for e in examples} - set(labels))
    index = {label: i for i, label in enumerate(rows)}
    matrix = [[0] * (len(rows) + 1) for _ in rows]
    for e in examples:
        matrix[index[e.target]][index.get(e.prediction, len(rows))] += 1
    return rows, matrix


def misclassified(
    examples: Sequence[ExampleResult], test: TaskData, n: int = MISCLASSIFIED_SHOWN
) -> list[Misclassified]:
    """The first ``n`` wrong examples in test order; ``doc_id`` is the test example's index."""
    wrong = [e for e in sorted(examples, key=lambda e: e.doc_id) if e.prediction != e.target]
    return [
        Misclassified(
            doc_id=e.doc_id,
            input=test.examples[e.doc_id].input if 0 <= e.doc_id < len(test.examples) else "",
            target=e.target,
            prediction=e.prediction,
        )
        for e in wrong[:n]
    ]


def label_baselines(train: TaskData, test: TaskData) -> LabelBaselines | None:
    """Chance and majority-class scores; None for generation data or an empty test set."""
    if train.task_type != "classification" or not train.labels or not test.examples:
        return None
    counts = Counter(e.output for e in train.examples)
    # Ties go to the first label in sorted order, so that the line does not depend on file order.
    label = min(counts, key=lambda k: (-counts[k], k))
    share = sum(1 for e in test.examples if e.output == label) / len(test.examples)
    return LabelBaselines(chance=1 / len(train.labels), majority_label=label, majority_share=share)


class Scored(Protocol):
    """What ``annotate`` reads and fills: a ``StrategyResult`` (not imported: the schema
    imports this module)."""

    metrics: dict[str, float]
    examples: list[ExampleResult]
    misclassified: list[Misclassified]


def annotate(strategies: Sequence[Scored], test: TaskData) -> None:
    """Give every strategy scored on ``test`` its macro-F1 (in ``metrics``, beside accuracy)
    and its first misclassified examples."""
    for s in strategies:
        if s.examples:
            s.metrics[MACRO_F1] = macro_f1(s.examples)
            s.misclassified = misclassified(s.examples, test)
