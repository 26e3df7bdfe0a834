"""advisor.bench.forgetting and advisor.bench.overfitting: pure reports on synthetic inputs,
scoring through a fake LoadedModel, and the real check on the embedded model (slow)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from advisor.bench.forgetting import (
    AbilityItem,
    ability_results,
    forgetting_report,
    general_ability,
    load_items,
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
    assert by["lora"].level == "none" and by["lora"].drop_points == 0
    assert by["full"].level == "severe" and by["full"].drop_points == pytest.approx(25.0)
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
    assert m.p_value is None and m.drop_points == pytest.approx(5.0) and m.level == "mild"


# ------------------------------------------------------------------ scoring through the model contract


class _Favouring(LoadedModel):
    """Each character of a choice in ``prefer`` adds 1 to its log-probability, others cost 2."""

    name = "favouring"

    def __init__(self, prefer: str) -> None:
        self.prefer = set(prefer)
        self.requests: list[ChoiceRequest] = []

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t) for t in texts]

    def score_choices(self, requests, *, batch_size=16):
        self.requests += requests
        return [
            [sum(-1.0 if ch in self.prefer else -2.0 for ch in c) for c in r.choices]
            for r in requests
        ]

    def nll_per_char(self, texts: Sequence[str]) -> float:
        return 1.0


def test_log_likelihood_per_character_picks_the_likely_choice():
    items = [
        AbilityItem(question="q1", choices=["zzz", "abc"], answer=1),
        AbilityItem(question="q2", choices=["abcabc", "xyz"], answer=0),
        AbilityItem(question="q3", choices=["ab", "qqqqqq"], answer=1),  # model will get this wrong
        # Per character, not summed: the long likely choice beats the short unlikely one.
        AbilityItem(question="q4", choices=["z", "abcabcabc"], answer=1),
    ]
    model = _Favouring(" abc")
    assert ability_results(model, items, batch_size=2) == [True, True, False, True]
    first = model.requests[0]
    assert first.context == "Question: q1\nAnswer:" and first.choices == [" zzz", " abc"]
    assert general_ability(model, items) == pytest.approx(3 / 4)


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
    """Natural answers vs gibberish: the real model gets them; a damaged copy forgets."""
    import copy

    import torch
    from advisor_peft.models import load_model

    loaded = load_model()
    items = [it for it in load_items()][:6]
    natural = [
        AbilityItem(
            question=it.question, choices=[it.choices[it.answer], "qx zv kk jj wqp"], answer=0
        )
        for it in items
    ]
    before = ability_results(loaded, natural)
    assert sum(before) >= 5, before
    # A fresh LoRA adapter (B = 0) changes nothing: a PeftModel scores the same.
    from peft import LoraConfig, get_peft_model

    peft_model = get_peft_model(
        copy.deepcopy(loaded.model), LoraConfig(r=4, target_modules=["q_proj", "v_proj"])
    )
    assert ability_results(loaded.with_model(peft_model), natural) == before
    damaged = copy.deepcopy(loaded.model)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in damaged.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * p.std() * 3)
    after = ability_results(loaded.with_model(damaged), natural)
    rep = forgetting_report(before, {"damaged": after})
    assert rep.methods[0].drop_points > 0 or sum(after) < sum(before), (before, after)
