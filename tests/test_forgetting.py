"""advisor.bench.forgetting and advisor.bench.overfitting: pure reports on synthetic inputs,
scoring through a fake LoadedModel, and the real check on the embedded model (slow)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from advisor.bench.forgetting import (
    NEUTRAL,
    AbilityItem,
    ability_results,
    change_words,
    forgetting_report,
    general_ability,
    general_text_loss,
    load_general_text,
    load_items,
    loss_words,
)
from advisor.bench.overfitting import overfitting_from_result, overfitting_report
from advisor.bench.stats import mcnemar_exact
from advisor.components import ChoiceRequest, LoadedModel, TrainResult

# ------------------------------------------------------------------ forgetting report


def test_shipped_items_are_valid():
    items = load_items()
    assert len(items) >= 60
    assert all(0 <= it.answer < len(it.choices) for it in items)
    assert len({it.question for it in items}) == len(items)


def test_mcnemar_exact_values():
    # forgetting_report uses the shared test: before=a, after=b, so (p, gained, lost)
    assert mcnemar_exact([True] * 5, [False] * 5) == (pytest.approx(2 / 32), 0, 5)
    assert mcnemar_exact([True, False], [True, False]) == (1.0, 0, 0)
    # 1 lost, 1 gained: no evidence either way
    assert mcnemar_exact([True, False], [False, True]) == (1.0, 1, 1)
    with pytest.raises(ValueError):
        mcnemar_exact([True], [True, False])


def test_forgetting_report_levels_and_best_method():
    before = [True] * 40 + [False] * 20  # 66.7%
    lora = before[:]  # unchanged
    full = [False] * 15 + [True] * 25 + [False] * 20  # lost 15 items: 41.7%
    rep = forgetting_report(before, {"lora": lora, "full": full})
    by = {m.method: m for m in rep.methods}
    assert by["lora"].level == "none" and by["lora"].change == "unchanged"
    assert by["full"].level == "severe" and by["full"].change_points == pytest.approx(-25.0)
    assert by["full"].change == "lost 25.0 points" and not by["full"].format_learning
    assert by["full"].items_lost == 15 and by["full"].items_gained == 0
    assert by["full"].p_value < 0.001
    assert rep.least_forgetting == "lora" and "Least forgetting: lora" in rep.summary


def test_forgetting_small_drop_is_noise():
    before = [True] * 30 + [False] * 30
    after = [False] * 3 + [True] * 27 + [True] * 1 + [False] * 29  # -2 net, p large
    rep = forgetting_report(before, {"lora": after})
    assert rep.methods[0].level == "none" and rep.least_forgetting is None


def test_forgetting_report_accepts_accuracies():
    rep = forgetting_report(0.6, {"ia3": 0.55})
    m = rep.methods[0]
    assert m.p_value is None and m.change_points == pytest.approx(-5.0) and m.level == "mild"


# ------------------------------------------------------------------ scoring through the model contract


class _Favouring(LoadedModel):
    """After a question, each character of a choice in ``prefer`` adds 1 to its
    log-probability and others cost 2; after the bare neutral phrase every character costs
    ``bare`` (a fine-tune that favours some words whatever the question shifts it)."""

    name = "favouring"

    def __init__(self, prefer: str, bare: dict[str, float] | None = None) -> None:
        self.prefer = set(prefer)
        self.bare = bare or {}
        self.requests: list[ChoiceRequest] = []

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t) for t in texts]

    def score_choices(self, requests, *, batch_size=16):
        self.requests += requests
        out = []
        for r in requests:
            if r.context == NEUTRAL:
                out.append([self.bare.get(c, -1.5 * len(c)) for c in r.choices])
            else:
                out.append(
                    [sum(-1.0 if ch in self.prefer else -2.0 for ch in c) for c in r.choices]
                )
        return out

    def nll_per_char(self, texts: Sequence[str]) -> float:
        return 1.0


def test_the_choice_the_question_makes_likelier_wins_in_a_neutral_format():
    items = [
        AbilityItem(question="q1", choices=["zzz", "abc"], answer=1),
        AbilityItem(question="q2", choices=["abcabc", "xyz"], answer=0),
        AbilityItem(question="q3", choices=["ab", "qqqqqq"], answer=1),  # model gets it wrong
    ]
    model = _Favouring(" abc")
    assert ability_results(model, items, batch_size=2) == [True, True, False]
    first, bare = model.requests[0], model.requests[1]
    assert first.context == "q1\nThe correct answer is" and first.choices == [" zzz", " abc"]
    assert bare.context == NEUTRAL and bare.choices == first.choices
    assert "Answer:" not in first.context and "Input:" not in first.context  # not the template
    assert general_ability(model, items) == pytest.approx(2 / 3)


def test_a_preference_for_a_choice_whatever_the_question_cancels():
    """A model that likes " zzz" after any context (format learning) gains nothing: the bare
    context likes it just as much."""
    items = [AbilityItem(question="q1", choices=["zzz", "abc"], answer=1)]
    plain = _Favouring(" abc")
    tuned = _Favouring(" abcz", bare={" zzz": -4.0, " abc": -6.0})
    assert ability_results(plain, items) == [True]
    # Raw sums tie (-4, -4) and would pick " zzz"; the differences are 0 and +2.
    assert ability_results(tuned, items) == [True]


def test_change_words_never_say_a_negative_drop():
    assert change_words(14.5) == "gained 14.5 points"
    assert change_words(-3.2) == "lost 3.2 points"
    assert change_words(0.01) == "unchanged"
    assert loss_words(4.14) == "rose 4.1%" and loss_words(-0.8) == "fell 0.8%"
    assert loss_words(0.0) == "unchanged"


def test_a_gain_on_the_check_is_flagged_as_format_learning():
    before = [True] * 37 + [False] * 25  # 59.7%
    after = [True] * 46 + [False] * 16  # 74.2%
    rep = forgetting_report(before, {"lora": after})
    m = rep.methods[0]
    assert m.change == "gained 14.5 points" and m.format_learning and m.level == "none"
    assert "probable format learning, not evidence of no forgetting" in rep.summary
    assert "drop" not in rep.summary and "-14.5" not in rep.summary


def test_general_text_loss_rise_is_the_forgetting_signal():
    before = [True] * 37 + [False] * 25
    gained = [True] * 46 + [False] * 16
    rep = forgetting_report(
        before,
        {"lora": gained, "full": before, "ia3": before},
        text_before=1.0,
        text_after={"lora": 1.03, "full": 1.2, "ia3": 0.99},
    )
    by = {m.method: m for m in rep.methods}
    # The check's gain does not hide the rise in loss: lora is mildly forgetting.
    assert by["lora"].text_change == "rose 3.0%" and by["lora"].level == "mild"
    assert by["full"].text_level == "severe" and by["full"].level == "severe"
    assert by["ia3"].text_change == "fell 1.0%" and by["ia3"].level == "none"
    assert rep.least_forgetting == "ia3" and rep.text_loss_before == 1.0
    assert "lora: general-text loss rose 3.0% (mild forgetting)" in rep.summary


def test_shipped_general_text_is_general_knowledge():
    texts = load_general_text()
    assert 40 <= len(texts) <= 60 and len(set(texts)) == len(texts)
    assert all(60 <= len(t) <= 400 for t in texts)
    assert general_text_loss(_Favouring("a"), texts) == 1.0


# ------------------------------------------------------------------ overfitting


def test_overfitting_flags_a_widening_gap():
    train = [(s, 2.0 - 0.15 * s / 10) for s in range(10, 110, 10)]  # keeps falling
    val = [(20, 1.9), (40, 1.6), (60, 1.55), (80, 1.7), (100, 1.9)]
    rep = overfitting_report(train, val, stopped_early=True, last_step=100)
    assert rep.level == "overfitting"
    assert rep.best_step == 60 and rep.early_stop_step == 100
    assert rep.final_gap > rep.gap_at_best
    assert "early stopping cut in at step 100" in rep.summary
    assert [p.step for p in rep.points] == [20, 40, 60, 80, 100]


def test_healthy_curves_are_not_flagged():
    train = [(s, 2.0 - 0.01 * s) for s in range(10, 110, 10)]
    val = [(s, 2.1 - 0.01 * s) for s in range(20, 120, 20)]
    rep = overfitting_report(train, val)
    assert rep.level == "none" and rep.best_step == 100 and not rep.stopped_early


def test_no_validation_loss_is_unknown():
    rep = overfitting_report([(1, 2.0)], [])
    assert rep.level == "unknown" and "not measured" in rep.summary


def test_from_train_result(tmp_path):
    result = TrainResult(
        output_dir=tmp_path,
        method="lora",
        steps=50,
        train_loss=[(10, 1.0), (20, 0.6), (30, 0.3), (40, 0.2), (50, 0.1)],
        validation_loss=[(10, 1.1), (20, 1.0), (30, 1.2), (40, 1.3), (50, 1.4)],
        stopped_early=True,
    )
    rep = overfitting_from_result(result)
    assert rep.best_step == 20 and rep.early_stop_step == 50 and rep.level == "overfitting"


def test_fewer_than_five_validation_points_judge_nothing():
    """Two or four points of a falling loss are not "no overfitting": the curve is unread."""
    train = [(s, 2.0 - 0.1 * s) for s in range(1, 9)]
    for n in (2, 4):
        val = [(2 * i, 2.1 - 0.2 * i) for i in range(1, n + 1)]
        rep = overfitting_report(train, val)
        assert rep.level == "unknown" and rep.best_step is None
        assert rep.summary.startswith("not enough validation points to judge")
    val = [(s, 2.1 - 0.1 * s) for s in range(1, 6)]
    assert overfitting_report(train, val).level == "none"  # 5 points: judged


# ------------------------------------------------------------------ real model (slow)


@pytest.mark.slow
def test_general_ability_on_the_embedded_model_and_damage():
    """The real check: the embedded model answers the shipped items well above chance in the
    neutral format (67.7% on the 62 items, chance 25%); a fresh adapter changes nothing; a
    damaged copy's general-text loss rises past the severe threshold, and the report says so
    in words."""
    import copy

    import torch
    from advisor_peft.models import load_model

    loaded = load_model()
    before = ability_results(loaded)
    assert sum(before) / len(before) >= 0.5, sum(before)
    texts = load_general_text()[:8]
    base_loss = general_text_loss(loaded, texts)
    assert 0.2 < base_loss < 3.0, base_loss
    # A fresh LoRA adapter (B = 0) changes nothing: a PeftModel scores the same.
    from peft import LoraConfig, get_peft_model

    peft_model = get_peft_model(
        copy.deepcopy(loaded.model), LoraConfig(r=4, target_modules=["q_proj", "v_proj"])
    )
    fresh = loaded.with_model(peft_model)
    assert ability_results(fresh, load_items()[:8]) == before[:8]
    assert general_text_loss(fresh, texts) == pytest.approx(base_loss)
    damaged = copy.deepcopy(loaded.model)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in damaged.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * p.std() * 3)
    broken = loaded.with_model(damaged)
    rep = forgetting_report(
        before[:8],
        {"damaged": ability_results(broken, load_items()[:8])},
        text_before=base_loss,
        text_after={"damaged": general_text_loss(broken, texts)},
    )
    m = rep.methods[0]
    assert m.text_level == "severe" and m.level == "severe", m
    assert m.text_change is not None and m.text_change.startswith("rose ")


def test_the_benchmark_reports_both_checks_in_words(tmp_path):
    """The forgetting stage on the fake plugin: the fine-tune's general-text loss is 3% up
    (FakeModel), so the report says mild forgetting in words, whatever the check did."""
    from test_goldens import run_fake_benchmark

    from advisor.report.benchmark import markdown

    results = run_fake_benchmark(tmp_path / "run", forgetting=True)
    f = results.forgetting
    assert f is not None and f.text_loss_before == 1.0
    (m,) = f.methods
    assert m.text_change == "rose 3.0%" and m.level == "mild"
    md = markdown.render(results)
    forget = md.split("## Catastrophic forgetting")[1].split("\n## ")[0]
    assert "general-text loss rose 3.0% (mild forgetting)" in forget
    assert "1.0000 → 1.0300" in forget and "drop" not in forget
