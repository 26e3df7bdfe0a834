"""Consistency: one recommendation never contradicts itself.

Over a grid of profiles (hypothesis): no text recommends or mitigates with an excluded method;
a break-even in the text is the cost table's; the plan's method is the verdict's; the plan's
epochs, shots and rank are the cost table's assumptions and the benchmark command's flags; the
benchmark command tests the recommended method (or names its surrogate) and runs on the data
and model the user gave.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from advisor_evidence import load_rules
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.engine import recommend
from advisor.methods import get_method
from advisor.recommendation import Recommendation

RULES = load_rules()
SETTINGS = settings(max_examples=120, deadline=None)

# A grid, not the whole space: the values that move constraints, fits and bands.
profiles = st.fixed_dictionaries(
    {
        "task_type": st.sampled_from(["classification", "extraction", "chat", "qa", "code"]),
        "goal": st.sampled_from(["behaviour", "knowledge", "both"]),
        "labeled_examples": st.sampled_from([0, 5, 40, 300, 2000, 50_000]),
        "num_labels": st.sampled_from([None, 2, 30]),
        "budget_usd": st.sampled_from([0.0, 50.0, 5000.0]),
        "gpu_memory_gb": st.sampled_from([0.0, 8.0, 24.0, 48.0, 80.0]),
        "gpu_count": st.sampled_from([1, 8]),
        "expertise": st.sampled_from(["none", "basic", "ml_engineer", "ml_researcher"]),
        "model_params_b": st.sampled_from([None, 0.135, 7.0, 70.0]),
        "model_access": st.sampled_from(["open_weights", "api_only"]),
        "monthly_queries": st.sampled_from([0, 5000, 200_000, 5_000_000]),
        "data_can_leave": st.booleans(),
        "requirements_change": st.sampled_from(["rarely", "monthly", "weekly"]),
        "output_format": st.sampled_from(["free", "structured"]),
    }
)

# How a text names a method when it recommends using it.
NAMES = {
    "lora": ["LoRA"],
    "qlora": ["QLoRA"],
    "ia3": ["(IA)3", "ia3"],
    "full": ["full fine-tune"],
    "api-fine-tune": ["provider's fine-tuning", "provider's tuning service"],
}


def _advice(values: dict[str, Any], **extra: Any) -> Recommendation:
    if not values["gpu_memory_gb"]:
        values = {**values, "gpu_count": 0}
    return recommend(rules=RULES, **values, **extra)


def _texts(rec: Recommendation) -> list[str]:
    """Every sentence that advises: mitigations, plan steps, checklist, aspects."""
    out = [c.mitigation for c in rec.challenges]
    out += [s.detail for s in rec.plan.steps or []]
    out += [a for item in rec.plan.checklist or [] for a in item.advice]
    out += [a.judgement for a in rec.aspects]
    return out


def _uses(text: str, method: str) -> bool:
    return any(re.search(rf"\b[Uu]se (an adapter \()?{re.escape(n)}", text) for n in NAMES[method])


@SETTINGS
@given(profiles)
def test_no_text_recommends_an_excluded_method(values: dict[str, Any]) -> None:
    rec = _advice(values)
    for method in set(rec.excluded_methods) & set(NAMES):
        for text in _texts(rec):
            assert not _uses(text, method), (method, text, rec.constraints)
    assert rec.method not in rec.excluded_methods
    assert not set(rec.alternatives) & set(rec.excluded_methods)


@SETTINGS
@given(profiles)
def test_break_even_in_text_is_the_tables(values: dict[str, Any]) -> None:
    rec = _advice(values)
    table = rec.cost.break_even_monthly_queries
    cost = next(a.judgement for a in rec.aspects if a.name == "Cost")
    stated = re.search(r"break-even of ([\d,]+)", cost)
    if table is None:
        assert stated is None and "no volume" in cost, cost
    else:
        assert stated and int(stated.group(1).replace(",", "")) == table, (cost, table)
        above = rec.profile.monthly_queries >= table
        assert ("at or above" in cost) == above, cost
    for text in _texts(rec):
        assert "too little volume" not in text


@SETTINGS
@given(profiles)
def test_plan_trains_the_method_the_verdict_names(values: dict[str, Any]) -> None:
    rec = _advice(values)
    hp = rec.plan.hyperparameters
    if rec.verdict == "fine-tune":
        assert hp and hp["method"] == rec.method
    elif rec.verdict == "prompt-then-fine-tune" and hp:
        assert hp["method"] == rec.alternatives[0], (rec.summary, hp["method"])
        assert hp["method"] in rec.summary
    if hp:
        assert hp["method"] not in rec.excluded_methods


def _argv(rec: Recommendation) -> dict[str, str]:
    argv = shlex.split(rec.benchmark_command)
    return {a: b for a, b in zip(argv, argv[1:], strict=False) if a.startswith("--")}


@SETTINGS
@given(profiles)
def test_one_set_of_plan_parameters(values: dict[str, Any]) -> None:
    rec = _advice(values)
    flags = _argv(rec)
    notes = " ".join(rec.cost.assumptions)
    shots = int(re.search(r"(\d+)-shot", notes).group(1))
    epochs = float(re.search(r"x ([\d.]+) epochs", notes).group(1))
    # The benchmark trains to convergence (no fixed --epochs); a prompt named on its own
    # shows the plan's shots.
    assert "--epochs" not in flags
    if "--shots" in flags:
        assert int(flags["--shots"]) == shots
    hp = rec.plan.hyperparameters
    if hp:
        assert hp["epochs"] == epochs
        if "lora_r" in hp:
            assert f"LoRA rank {hp['lora_r']}" in notes or rec.profile.model_access == "api_only"
    context = " ".join(a for item in rec.plan.checklist or [] for a in item.advice)
    if "representative examples" in context:
        assert f"Add {shots} representative examples" in context


@SETTINGS
@given(profiles)
def test_benchmark_tests_the_recommended_method_or_its_surrogate(values: dict[str, Any]) -> None:
    rec = _advice(values)
    strategies = _argv(rec)["--strategies"].split(",")
    method = get_method(rec.method)
    assert method.benchmark.arm in strategies or method.benchmark.runs_as() in strategies


@settings(max_examples=30, deadline=None)
@given(profiles)
def test_benchmark_runs_on_the_users_data_and_model(values: dict[str, Any]) -> None:
    rec = _advice(values, data="my data/train.jsonl", test="held.jsonl", model="org/model-7b")
    flags = _argv(rec)
    assert flags["--data"] == "my data/train.jsonl"
    assert flags["--test"] == "held.jsonl"
    assert flags["--model"] == "org/model-7b"
    alone = _argv(_advice(values, data="train.csv"))
    assert alone["--data"] == "train.csv" and "--test" not in alone  # the benchmark splits it


def test_the_issue_scenarios_no_longer_contradict_themselves() -> None:
    """The reports of issue 13, as a new user would have read them."""
    eight = recommend(
        rules=RULES,
        model_params_b=65,
        gpu_memory_gb=80,
        gpu_count=8,
        labeled_examples=5000,
        expertise="ml_engineer",
    )
    resources = next(a.judgement for a in eight.aspects if a.name == "Resource Requirements")
    assert "fits a LoRA" in resources and "only fits" not in resources
    assert "lora" not in eight.excluded_methods
    compute = next(c for c in eight.challenges if c.name == "High computational resources")
    assert compute.rating != "high" and "per GPU" in compute.why
    api = recommend(rules=RULES, model_access="api_only", labeled_examples=1000)
    assert not any(_uses(t, "lora") for t in _texts(api))
    open_70b = recommend(
        rules=RULES, model_params_b=70, gpu_memory_gb=24, gpu_count=1, labeled_examples=2000
    )
    assert open_70b.method != "api-fine-tune"
    assert not any("reachable only through its provider" in t for t in _texts(open_70b))


@SETTINGS
@given(profiles)
def test_fit_in_text_is_the_tables(values: dict[str, Any]) -> None:
    """'fits a LoRA fine-tune' / 'only fits QLoRA' say what the cost table's fits column says."""
    rec = _advice(values)
    if rec.profile.model_access == "api_only" or not rec.profile.has_gpu:
        return
    fits = {m.method: m.fits_gpu for m in rec.cost.methods if m.fits_gpu is not None}
    resources = next(a.judgement for a in rec.aspects if a.name == "Resource Requirements")
    if "fits a LoRA" in resources:
        assert fits["lora"], (resources, fits)
    if "only fits 4-bit QLoRA" in resources:
        assert fits["qlora"] and not fits["lora"], (resources, fits)
    if "is below the" in resources:
        assert not fits["qlora"], (resources, fits)
