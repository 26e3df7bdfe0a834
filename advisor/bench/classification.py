"""What a classification benchmark shows beside accuracy, from the per-example results:
macro-F1, the confusion matrix, a few misclassified examples with their text, and the chance
and majority-class scores a strategy has to beat.

Pure functions over results and data (no model, no plugin): the verdict stage fills the
results with them, the reports lay them out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, Field

from advisor.components import ExampleResult, TaskData

MISCLASSIFIED_SHOWN = 5
MACRO_F1 = "macro_f1"
Z95 = 1.96  # the normal quantile of a two-sided 95% range


class Misclassified(BaseModel):
    """A test example a strategy got wrong, with the text it was given."""

    doc_id: int
    input: str
    target: str
    prediction: str


class LabelBaselines(BaseModel):
    """The scores of answering without reading: a strategy must beat them to have learnt."""

    chance: float = Field(description="1 / number of labels: a uniform guess.")
    share_guess: float | None = Field(
        None,
        description="Expected accuracy of guessing each label as often as the training set "
        "holds it (sum over labels of training share x test share).",
    )
    majority_label: str = Field(description="The training set's most common label.")
    majority_share: float = Field(
        description="Share of the test set that carries it: the score of always answering it."
    )
    majority_macro_f1: float | None = Field(
        None, description="Macro-F1 of always answering the majority label."
    )
    test_examples: int | None = Field(None, description="Test examples the shares are over.")

    def band(self) -> tuple[float, float]:
        """The 95% range of a blind guesser's accuracy on this test set: the better of the two
        random guesses (uniform, by label shares), plus or minus its binomial 95% half-width.
        A score inside it cannot be told apart from guessing."""
        p = max(self.chance, self.share_guess or 0.0)
        n = self.test_examples or 0
        half = Z95 * math.sqrt(p * (1 - p) / n) if n else 0.0
        return max(0.0, p - half), min(1.0, p + half)


def within_chance(score: float, baselines: LabelBaselines) -> bool:
    """Whether ``score`` lies inside the chance band (``LabelBaselines.band``)."""
    return score <= baselines.band()[1]


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
    """Chance, guessing by label shares and majority-class scores; None for generation data
    or an empty test set."""
    if train.task_type != "classification" or not train.labels or not test.examples:
        return None
    counts = Counter(e.output for e in train.examples)
    tests = Counter(e.output for e in test.examples)
    n_train, n_test = sum(counts.values()), len(test.examples)
    # Ties go to the first label in sorted order, so that the line does not depend on file order.
    label = min(counts, key=lambda k: (-counts[k], k))
    share = tests[label] / n_test
    guess = sum(counts[k] / n_train * tests[k] / n_test for k in counts)
    # Always answering one label: its F1 is 2*share/(1+share), every other test label's is 0.
    present = set(tests) | {label}
    return LabelBaselines(
        chance=1 / len(train.labels),
        share_guess=guess,
        majority_label=label,
        majority_share=share,
        majority_macro_f1=2 * share / (1 + share) / len(present),
        test_examples=n_test,
    )


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
