"""build_guidance: aspects, challenges, plan and benchmark command follow the profile."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from advisor.components import TrainConfig
from advisor.guidance import build_guidance, hyperparameters
from advisor.profile import Profile
from advisor.recommendation import ASPECTS, CHALLENGES, FINE_TUNING_STEPS, THREE_CS


def guide(verdict="fine-tune", method="lora", **fields):
    return build_guidance(Profile(**fields), verdict, method, 0.0)


def by_name(items):
    return {i.name: i for i in items}


def test_all_aspects_and_challenges_in_seed_order():
    g = guide()
    assert [a.name for a in g.aspects] == list(ASPECTS)
    assert [c.name for c in g.challenges] == list(CHALLENGES)
    assert all(c.mitigation and c.why for c in g.challenges)
    assert all(a.judgement and a.fine_tuning and a.prompt_engineering for a in g.aspects)


@pytest.mark.parametrize(
    ("examples", "rating"),
    [(0, "high"), (99, "high"), (100, "medium"), (999, "medium"), (1000, "low")],
)
def test_data_scarcity_follows_labeled_examples(examples, rating):
    c = by_name(guide(labeled_examples=examples).challenges)["Data Scarcity"]
    assert c.rating == rating
    assert f"{examples:,}" in c.why
    if rating == "high":
        assert "few-shot" in c.mitigation


def test_training_data_aspect_quotes_the_number_and_flips_side():
    few = by_name(guide(labeled_examples=40).aspects)["Training Data"]
    many = by_name(guide(labeled_examples=20_000).aspects)["Training Data"]
    assert (few.favours, many.favours) == ("prompt", "fine-tune")
    assert "40" in few.judgement and "20,000" in many.judgement


def test_aspects_react_to_goal_changes_and_gpu():
    a = by_name(
        guide(
            goal="knowledge", requirements_change="weekly", gpu_memory_gb=0, data_can_leave=False
        ).aspects
    )
    assert a["Definition"].favours == "prompt"
    assert a["Model Updates"].favours == "prompt"
    assert a["Resource Requirements"].favours == "prompt"
    b = by_name(
        guide(goal="behaviour", requirements_change="rarely", gpu_memory_gb=80, gpu_count=1).aspects
    )
    assert b["Definition"].favours == "fine-tune"
    assert b["Model Updates"].favours == "fine-tune"
    assert b["Resource Requirements"].favours == "fine-tune"
    assert "80 GB" in b["Resource Requirements"].judgement


def test_compute_challenge_uses_gpu_memory():
    no_gpu = by_name(guide(gpu_memory_gb=0).challenges)["High computational resources"]
    big = by_name(guide(gpu_memory_gb=80, gpu_count=1, model_params_b=1.0).challenges)[
        "High computational resources"
    ]
    assert no_gpu.rating == "high" and "QLoRA" in no_gpu.mitigation
    assert big.rating == "low"


def test_full_fine_tune_raises_forgetting_risk():
    lora = by_name(guide(method="lora", task_type="classification").challenges)
    full = by_name(guide(method="full", task_type="chat").challenges)
    assert lora["Catastrophic forgetting"].rating == "low"
    assert full["Catastrophic forgetting"].rating == "high"
    assert "LoRA" in full["Catastrophic forgetting"].mitigation


@pytest.mark.parametrize("method", ["lora", "qlora", "ia3", "full"])
def test_hyperparameters_are_train_config_defaults(method):
    hp = guide(method=method, labeled_examples=3000).plan.hyperparameters
    cfg = TrainConfig(**hp)  # extra="forbid": every key is a TrainConfig field
    assert cfg.method == method
    assert cfg.learning_rate == {"lora": 2e-4, "qlora": 2e-4, "ia3": 3e-3, "full": 2e-5}[method]
    assert ("lora_r" in hp) == (method in ("lora", "qlora"))


def test_hyperparameters_follow_data_size_and_gpu():
    sizes = [50, 500, 5_000, 50_000, 500_000]
    epochs = [hyperparameters(Profile(labeled_examples=n), "lora")["epochs"] for n in sizes]
    assert epochs == sorted(epochs, reverse=True) and epochs[0] > epochs[-1]
    ranks = [hyperparameters(Profile(labeled_examples=n), "lora")["lora_r"] for n in sizes]
    assert ranks == sorted(ranks) and ranks[0] < ranks[-1]
    small = hyperparameters(Profile(gpu_memory_gb=12, gpu_count=1, model_params_b=0.5), "lora")
    large = hyperparameters(Profile(gpu_memory_gb=80, gpu_count=1, model_params_b=0.5), "lora")
    assert small["batch_size"] < large["batch_size"]
    for hp in (small, large):  # same effective batch either way
        assert hp["batch_size"] * hp["grad_accum"] >= 16


@pytest.mark.parametrize(
    ("verdict", "steps", "checklist"),
    [("fine-tune", True, False), ("prompt", False, True), ("prompt-then-fine-tune", True, True)],
)
def test_plan_shape_follows_verdict(verdict, steps, checklist):
    method = "lora" if verdict == "fine-tune" else "few-shot"
    plan = guide(verdict, method, gpu_memory_gb=24, gpu_count=1).plan
    assert bool(plan.steps) == steps and bool(plan.checklist) == checklist
    if steps:
        assert [s.name for s in plan.steps] == list(FINE_TUNING_STEPS)
        assert plan.hyperparameters["method"] in ("lora", "qlora")
    if checklist:
        assert [c.name for c in plan.checklist] == list(THREE_CS)
        assert plan.prompt_skeleton and "<input>" in plan.prompt_skeleton


def test_prompt_plan_is_task_specific():
    cls = guide("prompt", "few-shot", task_type="classification", num_labels=4).plan
    ext = guide("prompt", "3c", task_type="extraction", output_format="structured").plan
    assert "<label 4>" in cls.prompt_skeleton and "# Examples" in cls.prompt_skeleton
    assert "JSON" in ext.prompt_skeleton
    constraints = by_name(ext.checklist)["Constraints"].advice
    assert any("schema" in a for a in constraints)


def test_benchmark_command_strategies_and_flags():
    g = guide("fine-tune", "ia3", labeled_examples=5000, data_can_leave=False, task_type="qa")
    argv = shlex.split(g.benchmark_command)
    assert argv[:2] == ["advisor", "benchmark"]
    strategies = argv[argv.index("--strategies") + 1].split(",")
    assert strategies == ["zero-shot", "few-shot", "3c", "ia3"]
    assert argv[argv.index("--labeled-examples") + 1] == "5000"
    assert "--data-cannot-leave" in argv
    assert argv[argv.index("--task-type") + 1] == "qa"
    # qlora is validated with the lora backend (the built-ins are lora, ia3, full)
    q = guide("fine-tune", "qlora")
    assert "3c,lora" in q.benchmark_command
    p = guide("prompt", "cot")
    assert "zero-shot,few-shot,3c,cot,lora" in p.benchmark_command


def test_deterministic():
    assert guide(labeled_examples=777) == guide(labeled_examples=777)


def test_no_heavy_imports():
    code = (
        "import sys, advisor.guidance, advisor.report, advisor.report.recommendation.html, "
        "advisor.report.recommendation.text, advisor.report.recommendation.markdown, "
        "advisor.commands.recommend\n"
        "heavy = [m for m in ('torch', 'transformers', 'peft', 'lm_eval') if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_api_only_model_gets_a_provider_tuning_plan():
    g = guide("prompt-then-fine-tune", "few-shot", model_access="api_only", labeled_examples=800)
    assert g.plan.hyperparameters["method"] == "api-fine-tune"
    TrainConfig(**g.plan.hyperparameters)
    assert "provider" in g.plan.steps[0].detail
    c = by_name(g.challenges)
    assert c["High computational resources"].rating == "low"
    assert c["Ethical Considerations"].rating == "medium"
    # validated locally with a LoRA stand-in
    assert g.benchmark_command.split("--strategies ")[1].startswith("zero-shot,few-shot,3c,lora")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"gpu_memory_gb": 80, "gpu_count": 1}, "lora"),
        ({"gpu_memory_gb": 8, "gpu_count": 1}, "qlora"),  # 7B LoRA (~17 GB) does not fit 8 GB
        ({"model_params_b": 0.135}, "lora"),  # tiny model: CPU training is practical
        ({"data_can_leave": True}, "api-fine-tune"),  # 7B, no GPU: a provider would train it
        ({"model_access": "api_only", "gpu_memory_gb": 80, "gpu_count": 1}, "api-fine-tune"),
    ],
)
def test_later_fine_tune_method_for_prompt_first_verdicts(fields, expected):
    hp = guide("prompt-then-fine-tune", "few-shot", **fields).plan.hyperparameters
    assert hp["method"] == expected


def test_provider_tuning_mitigations_do_not_mention_local_knobs():
    g = guide("fine-tune", "api-fine-tune", model_access="api_only", labeled_examples=0)
    c = by_name(g.challenges)
    assert "weight decay" not in c["Overfitting"].mitigation
    assert "validation" in c["Overfitting"].mitigation
    assert c["Hyperparameter Selection and Tuning"].rating == "low"
    assert "No labeled examples" in by_name(g.aspects)["Training Data"].judgement
