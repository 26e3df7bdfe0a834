"""build_guidance: aspects, challenges, plan and benchmark command follow the profile."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest
import yaml

from advisor.components import TrainConfig
from advisor.guidance import build_guidance, hyperparameters
from advisor.guidance.conditions import Condition
from advisor.guidance.spec import GUIDANCE_FILE, GuidanceFileError, load_guidance
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
    assert strategies == ["tuned-prompt", "ia3"]
    assert "--epochs" not in argv  # the benchmark trains to convergence
    assert argv[argv.index("--labeled-examples") + 1] == "5000"
    assert "--data-cannot-leave" in argv
    assert argv[argv.index("--task-type") + 1] == "qa"
    # qlora is validated with the lora backend (the built-ins are lora, ia3, full)
    q = guide("fine-tune", "qlora")
    assert "tuned-prompt,lora" in q.benchmark_command
    p = guide("prompt", "cot")  # the advised prompt itself runs beside the tuned one
    assert "tuned-prompt,cot,lora" in p.benchmark_command


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
    assert g.benchmark_command.split("--strategies ")[1].startswith("tuned-prompt,few-shot,lora")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"gpu_memory_gb": 80, "gpu_count": 1}, "lora"),
        ({"gpu_memory_gb": 8, "gpu_count": 1}, "qlora"),  # 7B LoRA (~17 GB) does not fit 8 GB
        ({"model_params_b": 0.135}, "lora"),  # tiny model: CPU training is practical
        ({"data_can_leave": True}, "lora"),  # 7B, no GPU: open weights still train locally
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


# ---------------------------------------------------------------- guidance.yaml


def test_guidance_file_has_each_seed_name_exactly_once():
    spec = load_guidance()
    for names, seed in (
        ([a.name for a in spec.aspects], ASPECTS),
        ([c.name for c in spec.challenges], CHALLENGES),
        ([s.name for s in spec.fine_tuning_steps], FINE_TUNING_STEPS),
        ([c.name for c in spec.three_cs], THREE_CS),
    ):
        assert names == list(seed)
        assert all(names.count(name) == 1 for name in seed)
    assert len(ASPECTS) == 10 and len(CHALLENGES) == 7


def _raw():
    return yaml.safe_load(GUIDANCE_FILE.read_text(encoding="utf-8"))


def _entry(items, name):
    return next(item for item in items if item["name"] == name)


def _misspell_favours(raw):
    _entry(raw["aspects"], "Scope")["judge"][0]["favours"] = "finetune"


def _unknown_fact(raw):
    _entry(raw["challenges"], "Overfitting")["why"] = "{labeled_exampels:,} examples."


def _repeat_aspect(raw):
    raw["aspects"].append(_entry(raw["aspects"], "Scope"))


def _drop_challenge(raw):
    raw["challenges"] = [c for c in raw["challenges"] if c["name"] != "Domain Shift"]


def _no_default(raw):
    _entry(raw["aspects"], "Cost")["judge"][-1]["when"] = {"budget_usd": {"ge": 10}}


def _misspell_value(raw):
    _entry(raw["aspects"], "Definition")["judge"][0]["when"] = {"goal": "knowlege"}


def _unknown_comparison(raw):
    _entry(raw["aspects"], "Training Data")["judge"][1]["when"] = {"labeled_examples": {"lq": 1}}


def _open_ladder(raw):
    raw["hyperparameters"]["by_labeled_examples"]["epochs"] = [[300, 6.0], [1000, 4.0]]


def _incomplete_table(raw):
    del raw["phrases"]["metric"]["values"]["code"]


@pytest.mark.parametrize(
    ("breaks", "expected"),
    [
        (_misspell_favours, ["aspects[Scope].judge[0].favours", "'fine-tune'"]),
        (_unknown_fact, ["challenge 'Overfitting'", "unknown fact 'labeled_exampels'"]),
        (_repeat_aspect, ["aspect 'Scope' appears 2 times"]),
        (_drop_challenge, ["challenge 'Domain Shift' is missing"]),
        (_no_default, ["aspect 'Cost'", "last case must have no 'when'"]),
        (_misspell_value, ["aspect 'Definition'", "goal is never 'knowlege'", "knowledge"]),
        (_unknown_comparison, ["aspects[Training Data].judge[1].when", "unknown comparison 'lq'"]),
        (_open_ladder, ["hyperparameters.by_labeled_examples.epochs", "must be .inf"]),
        (_incomplete_table, ["phrase 'metric'", "no text for task_type='code'"]),
    ],
)
def test_a_broken_guidance_entry_is_named(tmp_path, breaks, expected):
    raw = _raw()
    breaks(raw)
    path = tmp_path / "guidance.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(GuidanceFileError) as err:
        load_guidance(path)
    assert str(path) in str(err.value)
    for part in expected:
        assert part in str(err.value)


def test_a_repeated_key_in_guidance_is_refused(tmp_path):
    text = GUIDANCE_FILE.read_text(encoding="utf-8")
    path = tmp_path / "guidance.yaml"
    path.write_text(text.replace("conditions:\n", "conditions:\n  open_task: {goal: both}\n", 1))
    with pytest.raises(GuidanceFileError, match="key 'open_task' appears twice"):
        load_guidance(path)


@pytest.mark.parametrize(
    ("when", "facts", "holds"),
    [
        ({"n": {"lt": 100}}, {"n": 99}, True),
        ({"n": {"ge": 100, "lt": 1000}}, {"n": 1000}, False),
        ({"d": {"lt": 7}}, {"d": None}, False),  # a missing value is below no threshold
        ({"d": {"ne": None}}, {"d": 0}, True),
        ({"t": ["chat", "qa"]}, {"t": "qa"}, True),
        ({"need": {"gt": {"fact": "have", "times": 0.6}}}, {"need": 14.5, "have": 24.0}, True),
        ({"need": {"gt": {"fact": "have", "times": 0.6}}}, {"need": 14.0, "have": 24.0}, False),
        ({"any": [{"n": 1}, {"t": "qa"}], "ok": True}, {"n": 2, "t": "qa", "ok": True}, True),
        ({"any": [{"n": 1}, {"t": "qa"}]}, {"n": 2, "t": "chat"}, False),
    ],
)
def test_conditions_are_data(when, facts, holds):
    assert Condition.model_validate(when).holds(facts) is holds
