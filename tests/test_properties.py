"""Property tests: the engine is monotone where the advice must be, and deterministic.

More labelled data, a larger budget, more GPU memory or more ML expertise never move the score
(or the verdict) toward prompting; weekly-changing requirements and a knowledge goal never move
them toward fine-tuning. Checked on random profiles over every field.
"""

from __future__ import annotations

from typing import Any

from advisor_evidence import load_rules
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.engine import TUNING_METHODS, decide, recommend, score_profile
from advisor.profile import Expertise, Profile, TaskType, build_profile

RULES = load_rules()
RANK = {"prompt": 0, "prompt-then-fine-tune": 1, "fine-tune": 2}
SETTINGS = settings(max_examples=200, deadline=None)

gpu_memory = st.one_of(
    st.just(0.0), st.sampled_from([8.0, 16.0, 24.0, 40.0, 48.0, 80.0, 141.0]), st.floats(0, 200)
)

profiles = st.fixed_dictionaries(
    {
        "task_type": st.sampled_from([t.value for t in TaskType]),
        "goal": st.sampled_from(["behaviour", "knowledge", "both"]),
        "labeled_examples": st.one_of(st.integers(0, 200), st.integers(0, 2_000_000)),
        "num_labels": st.one_of(st.none(), st.integers(2, 500)),
        "budget_usd": st.one_of(st.just(0.0), st.floats(0, 100_000)),
        "gpu_memory_gb": gpu_memory,
        "gpu_count": st.integers(0, 16),
        "expertise": st.sampled_from([e.value for e in Expertise]),
        "model_params_b": st.one_of(st.none(), st.floats(0.01, 2000)),
        "model_access": st.sampled_from(["open_weights", "api_only"]),
        "monthly_queries": st.integers(0, 100_000_000),
        "latency_ms": st.one_of(st.none(), st.integers(1, 60_000)),
        "data_can_leave": st.booleans(),
        "requirements_change": st.sampled_from(["rarely", "monthly", "weekly"]),
        "domain_shift": st.sampled_from(["low", "medium", "high"]),
        "output_format": st.sampled_from(["free", "structured"]),
        "deadline_days": st.one_of(st.none(), st.integers(0, 1000)),
    }
)


def _judge(values: dict[str, Any]) -> tuple[float, int, set[str]]:
    profile = build_profile(values)
    scored = score_profile(profile, RULES)
    verdict, _, _, _ = decide(profile, scored)
    excluded_tuning = {m for m in scored.excluded if m in TUNING_METHODS}
    return scored.score, RANK[verdict], excluded_tuning


def _never_toward_prompting(low: dict[str, Any], high: dict[str, Any]) -> None:
    s_low, v_low, ex_low = _judge(low)
    s_high, v_high, ex_high = _judge(high)
    assert s_high >= s_low, (low, high)
    assert v_high >= v_low, (low, high)
    assert ex_high <= ex_low, (low, high)  # more resources never exclude a method


def _never_toward_fine_tuning(base: dict[str, Any], moved: dict[str, Any]) -> None:
    s_base, v_base, _ = _judge(base)
    s_moved, v_moved, _ = _judge(moved)
    assert s_moved <= s_base, (base, moved)
    assert v_moved <= v_base, (base, moved)


@SETTINGS
@given(profiles, st.integers(0, 2_000_000))
def test_more_labeled_examples_never_favours_prompting(p: dict[str, Any], extra: int) -> None:
    _never_toward_prompting(p, {**p, "labeled_examples": p["labeled_examples"] + extra})


@SETTINGS
@given(profiles, st.floats(0, 100_000))
def test_larger_budget_never_favours_prompting(p: dict[str, Any], extra: float) -> None:
    _never_toward_prompting(p, {**p, "budget_usd": p["budget_usd"] + extra})


@SETTINGS
@given(profiles, gpu_memory)
def test_more_gpu_memory_never_favours_prompting(p: dict[str, Any], extra: float) -> None:
    _never_toward_prompting(p, {**p, "gpu_memory_gb": p["gpu_memory_gb"] + extra})


@SETTINGS
@given(profiles, st.sampled_from(list(Expertise)), st.sampled_from(list(Expertise)))
def test_more_expertise_never_favours_prompting(
    p: dict[str, Any], a: Expertise, b: Expertise
) -> None:
    order = list(Expertise)
    low, high = sorted([a, b], key=order.index)
    _never_toward_prompting({**p, "expertise": low.value}, {**p, "expertise": high.value})


@SETTINGS
@given(profiles)
def test_changing_requirements_never_favour_fine_tuning(p: dict[str, Any]) -> None:
    rarely = {**p, "requirements_change": "rarely"}
    monthly = {**p, "requirements_change": "monthly"}
    weekly = {**p, "requirements_change": "weekly"}
    _never_toward_fine_tuning(rarely, weekly)
    _never_toward_fine_tuning(rarely, monthly)
    _never_toward_fine_tuning(monthly, weekly)


@SETTINGS
@given(profiles, st.sampled_from(["behaviour", "both"]))
def test_knowledge_goal_never_favours_fine_tuning(p: dict[str, Any], other: str) -> None:
    _never_toward_fine_tuning({**p, "goal": other}, {**p, "goal": "knowledge"})


@settings(max_examples=25, deadline=None)
@given(profiles)
def test_recommendation_is_deterministic(p: dict[str, Any]) -> None:
    first = recommend(Profile.model_validate(p), rules=RULES)
    second = recommend(Profile.model_validate(p), rules=list(reversed(RULES)))
    assert first.verdict == second.verdict
    assert first.method == second.method
    assert first.score == second.score
    assert first.confidence == second.confidence
    assert (
        first.model_dump_json()
        == recommend(Profile.model_validate(p), rules=RULES).model_dump_json()
    )
    assert 0 <= first.confidence <= 1
    assert abs(first.score - sum(r.weight for r in first.reasons)) < 1e-9


@SETTINGS
@given(profiles)
def test_constraints_add_no_points_and_benefit_rules_exclude_nothing(p: dict[str, Any]) -> None:
    """Feasibility apart from benefit: dropping every constraint rule leaves the score as it
    is, and dropping every benefit rule leaves the exclusions as they are."""
    profile = build_profile(p)
    every = score_profile(profile, RULES)
    benefit = score_profile(profile, [r for r in RULES if r.kind == "benefit"])
    constraint = score_profile(profile, [r for r in RULES if r.kind == "constraint"])
    assert benefit.score == every.score and not benefit.excluded
    assert constraint.excluded == every.excluded and constraint.score == 0
