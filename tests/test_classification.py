"""Macro-F1, the confusion matrix, misclassified examples and the chance/majority scores."""

from __future__ import annotations

import pytest

from advisor.bench.classification import (
    LabelBaselines,
    confusion,
    label_baselines,
    macro_f1,
    misclassified,
    within_chance,
)
from advisor.components import Example, ExampleResult, TaskData


def _results(pairs: list[tuple[str, str]]) -> list[ExampleResult]:
    return [
        ExampleResult(doc_id=i, target=t, prediction=p, scores={"acc": float(t == p)})
        for i, (t, p) in enumerate(pairs)
    ]


def _data(outputs: list[str]) -> TaskData:
    examples = [Example(input=f"text {i} <b>", output=o, line=i + 1) for i, o in enumerate(outputs)]
    return TaskData(
        name="t", task_type="classification", examples=examples, labels=sorted(set(outputs))
    )


def test_macro_f1_weighs_every_label_the_same():
    # a: tp 2, predicted 3, actual 2 -> 0.8; b: tp 1, predicted 1, actual 2 -> 2/3
    examples = _results([("a", "a"), ("a", "a"), ("b", "a"), ("b", "b")])
    assert macro_f1(examples) == pytest.approx((0.8 + 2 / 3) / 2)
    assert macro_f1(_results([("a", "a"), ("b", "b")])) == 1.0
    # A prediction outside the labels is a label of its own with F1 0 (as scikit-learn).
    assert macro_f1(_results([("a", "a"), ("a", "zzz")])) == pytest.approx((2 / 3 + 0) / 2)
    assert macro_f1([]) == 0.0


def test_confusion_rows_are_targets_and_a_column_for_other_predictions():
    labels, matrix = confusion(
        _results([("a", "a"), ("a", "b"), ("b", "?"), ("c", "c")]), ["a", "b"]
    )
    assert labels == ["a", "b", "c"]  # a target missing from the labels gets its row
    assert matrix == [[1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]


def test_misclassified_maps_doc_ids_to_the_test_text_in_order():
    test = _data(["a", "b", "a", "b", "a", "b", "a"])
    wrong = [(i, "a" if t == "b" else "b") for i, t in enumerate(o.output for o in test.examples)]
    results = _results([(test.examples[i].output, p) for i, p in wrong])[::-1]
    shown = misclassified(results, test)
    assert [m.doc_id for m in shown] == [0, 1, 2, 3, 4]
    assert shown[1].input == "text 1 <b>" and shown[1].target == "b" and shown[1].prediction == "a"


def test_label_baselines_chance_and_majority_share_of_the_test_set():
    train = _data(["a", "a", "a", "b", "c", "c"])
    test = _data(["a", "b", "b", "c"])
    b = label_baselines(train, test)
    assert b is not None
    assert b.chance == pytest.approx(1 / 3)
    assert (b.majority_label, b.majority_share) == ("a", 0.25)
    # A tie goes to the first label in sorted order, whatever the file order.
    assert label_baselines(_data(["c", "c", "a", "a"]), test).majority_label == "a"
    generation = TaskData(name="g", task_type="generation", examples=train.examples)
    assert label_baselines(generation, test) is None


def test_guessing_by_label_shares_and_the_majority_macro_f1():
    train = _data(["a", "a", "a", "b", "c", "c"])
    test = _data(["a", "b", "b", "c"])
    b = label_baselines(train, test)
    assert b is not None and b.test_examples == 4
    # Guess a 1/2, b 1/6, c 1/3 of the time against test shares 1/4, 1/2, 1/4.
    assert b.share_guess == pytest.approx(0.5 * 0.25 + 1 / 6 * 0.5 + 1 / 3 * 0.25)
    always_a = _results([(e.output, "a") for e in test.examples])
    assert b.majority_macro_f1 == pytest.approx(macro_f1(always_a))


def test_chance_band_is_the_binomial_range_of_the_better_guess():
    b = LabelBaselines(
        chance=0.25, share_guess=0.4, majority_label="a", majority_share=0.5, test_examples=100
    )
    lo, hi = b.band()
    half = 1.96 * (0.4 * 0.6 / 100) ** 0.5
    assert (lo, hi) == (pytest.approx(0.4 - half), pytest.approx(0.4 + half))
    assert within_chance(0.45, b) and not within_chance(0.55, b)
