"""Methods as data: advisor/data/methods.yaml, its validation, the lookups, and a plugin's
method that the engine recommends and the cost model prices."""

from __future__ import annotations

import json

import pytest
import yaml

from advisor import methods as M
from advisor.cost import memory_estimate, training_flops
from advisor.engine import recommend
from advisor.errors import UsageError
from advisor.hookspecs import hookimpl
from advisor.plugins import Plugins
from advisor.testing import run_advisor


def _dora(name: str = "dora") -> M.Method:
    return M.Method(
        name=name,
        kind="fine-tune",
        description="weight-decomposed low-rank adapters",
        benchmark=M.Benchmark(arm="dora", surrogate="lora", reason="no dora backend here"),
        memory=M.Memory(
            weight_bytes_per_param=2.0,
            state_bytes_per_trainable=16.0,
            trainable=M.Trainable(per_layer_width_rank=18),
        ),
        train_flops_per_param_token=4.0,
        hyperparameters={"learning_rate": 1e-4, "lora_r": 16},
    )


class _DoraPlugin:
    def __init__(self, *methods: M.Method) -> None:
        self.provided = list(methods)

    @hookimpl
    def advisor_methods(self) -> list[M.Method]:
        return self.provided


def _plugins(*methods: M.Method) -> Plugins:
    plugins = Plugins(only=["evidence"])
    plugins.register(_DoraPlugin(*methods), "dora-plugin")
    return plugins


# A profile where the built-ins recommend LoRA: plenty of data and volume, a GPU that fits.
FINE_TUNE_PROFILE = {
    "labeled_examples": 20_000,
    "monthly_queries": 2_000_000,
    "gpu_memory_gb": 80,
    "gpu_count": 1,
    "model_params_b": 7,
    "expertise": "ml_engineer",
    "task_type": "classification",
    "budget_usd": 5000,
}


# ---------------------------------------------------------------- the shipped file


def test_the_shipped_methods_and_their_kinds():
    assert M.PROMPT_METHODS == ("zero-shot", "few-shot", "3c", "tuned-prompt", "cot", "rag")
    assert M.TRAIN_METHODS == ("lora", "qlora", "ia3", "full")
    assert M.ADAPTER_METHODS == ("lora", "qlora", "ia3")
    assert M.TUNING_METHODS == ("lora", "qlora", "ia3", "full", "api-fine-tune")
    assert M.API_FINE_TUNE == "api-fine-tune"
    assert (M.PLAIN_PROMPT, M.FEW_SHOT) == ("zero-shot", "few-shot")
    assert all(m.origin == "advisor" for m in M.load_methods())
    assert M.get_method("rag").goal == "knowledge"


def test_benchmark_arms_and_surrogates():
    assert M.BENCHMARK_BACKEND == {
        "lora": "lora",
        "qlora": "lora",
        "ia3": "ia3",
        "full": "full",
        "api-fine-tune": "lora",
    }
    qlora = M.get_method("qlora").benchmark
    assert qlora.runs_as({"lora", "qlora"}) == "qlora"  # a 4-bit backend, once installed
    assert qlora.reason
    assert M.get_method("api-fine-tune").benchmark.runs_as({"lora"}) == "lora"
    assert M.get_method("rag").benchmark.runs_as({"zero-shot", "few-shot"}) == "few-shot"
    # The fair fight: the prompt tuned on the validation split against a fine-tune.
    assert M.DEFAULT_ARMS == ("tuned-prompt", "lora")


def test_hyperparameters_and_learning_rates():
    assert M.LEARNING_RATE == {"lora": 2e-4, "qlora": 2e-4, "ia3": 3e-3, "full": 2e-5}
    assert M.get_method("lora").rank == 16
    assert M.get_method("few-shot").tokens.shots == 5
    assert M.get_method("cot").tokens.note() == (
        "cot: 150 reasoning tokens generated per query (a guess)."
    )


def test_lookups_list_what_is_available():
    with pytest.raises(UsageError, match=r"unknown method 'dora'; known: zero-shot, .*full"):
        M.get_method("dora")
    with pytest.raises(UsageError, match=r"unknown training method 'cot'; known: lora, qlora"):
        M.training_method("cot")
    assert M.names("api-fine-tune") == ("api-fine-tune",)
    with pytest.raises(UsageError, match="unknown method kind 'adapter'; known: prompt, fine-tune"):
        M.names("adapter")
    assert M.get_method("dora", [_dora()]).name == "dora"


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"memory": None}, "a fine-tune needs 'memory'"),
        ({"benchmark": {"surrogate": "lora"}}, "needs the 'reason'"),
        ({"benchmark": {}}, "needs an 'arm', a 'surrogate' or both"),
        ({"kind": "prompt"}, "trains nothing locally"),
        ({"hyperparameters": {}}, "integer 'lora_r'"),
        ({"memory": {"weight_bytes_per_param": 2, "state_bytes_per_trainable": 16,
                     "trainable": {"fraction": 1.0, "per_layer_width": 6}}}, "exactly one"),
        ({"colour": "blue"}, "Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_a_bad_method_is_refused(change, message):
    data = {**_dora().model_dump(exclude={"origin"}), **change}
    with pytest.raises(ValueError, match=message):
        M.Method.model_validate(data)


def test_a_bad_methods_file_names_itself(tmp_path):
    shipped = yaml.safe_load(M.METHODS_FILE.read_text(encoding="utf-8"))
    twice = tmp_path / "twice.yaml"
    twice.write_text(yaml.safe_dump({"methods": shipped["methods"][:2] * 2}), encoding="utf-8")
    with pytest.raises(UsageError, match=r"twice\.yaml.*'zero-shot' is defined twice"):
        M.load_methods(twice)
    with pytest.raises(UsageError, match="invalid methods file"):
        M.load_methods(tmp_path / "missing.yaml")


# ---------------------------------------------------------------- a plugin's method


def test_a_plugin_method_is_listed_costed_and_recommended():
    plugins = _plugins(_dora())
    assert [m.name for m in M.with_plugins(plugins)][-1] == "dora"
    provided = {i.name: i.provides for i in plugins.survey()}
    assert provided["dora-plugin"]["advisor_methods"] == ["dora"]

    builtin = recommend(plugins=Plugins(only=["evidence"]), **FINE_TUNE_PROFILE)
    rec = recommend(plugins=plugins, **FINE_TUNE_PROFILE)
    assert builtin.verdict == rec.verdict == "fine-tune"
    assert (builtin.method, rec.method) == ("lora", "dora")
    rows = {r.method: r for r in rec.cost.methods}
    # Same memory model and FLOPs as LoRA here: the same figures.
    assert rows["dora"].memory_gb == rows["lora"].memory_gb
    assert rows["dora"].train_usd == pytest.approx(rows["lora"].train_usd)
    assert any(a.startswith("dora (dora-plugin plugin)") for a in rec.cost.assumptions)
    assert "dora" not in {r.method for r in builtin.cost.methods}


def test_a_plugin_method_is_priced_by_the_cost_functions_and_command():
    dora = _dora()
    assert memory_estimate(dora, 7.0).total_gb == memory_estimate("lora", 7.0).total_gb
    assert training_flops(dora, 1.0, 100) == training_flops("lora", 1.0, 100)
    result = run_advisor("cost", "--model-params-b", "7", "--json", plugins=_plugins(dora))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "dora" in data["gpus_needed"]
    assert "dora" in {m["method"] for m in data["memory"]}


def test_a_plugin_prompt_method_waits_for_its_goal():
    brief = M.Method(
        name="retrieve-then-ask",
        kind="prompt",
        goal="knowledge",
        description="retrieved passages, then the question",
        benchmark=M.Benchmark(arm="retrieve-then-ask"),
        prompt=M.PromptTokens(extra_prompt_tokens=400),
    )
    plugins = _plugins(brief)
    profile = {"labeled_examples": 0, "task_type": "qa", "expertise": "ml_engineer"}
    assert recommend(plugins=plugins, goal="knowledge", **profile).method == "retrieve-then-ask"
    assert recommend(plugins=plugins, goal="behaviour", **profile).method != "retrieve-then-ask"


def test_a_plugin_cannot_redefine_a_builtin_method():
    plugins = _plugins(_dora("lora"))
    assert M.with_plugins(plugins) == M.load_methods()
    assert (
        "advisor_methods: method 'lora' is built in; ignored" in plugins.info["dora-plugin"].errors
    )
