# ruff: noqa: F811
"""The third-party plugin advisor-sklearn-baseline, as installed by `make` and by pip."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from conftest import shared_dataset

from advisor.components import Example, TaskData
from advisor.data import load_task_data
from advisor.engine import recommend
from advisor.errors import UsageError
from advisor.plugins import Plugins

# Importing a fixture registers it for this module; its parameters then "redefine" it (F811).
from advisor.testing import make_profile, scratch_env, tiny_classification  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIR = ROOT / "plugins" / "advisor-sklearn-baseline"
DIST = "advisor-sklearn-baseline"


def installed() -> None:
    try:
        distribution(DIST)
    except PackageNotFoundError:
        pytest.skip(f"{DIST} is not installed in this environment (run `make install`)")


@pytest.fixture
def baseline():
    installed()
    from advisor_sklearn_baseline import model

    return model


# ---------------------------------------------------------------- through the entry point


def test_entry_point_loads_without_errors_and_provides_strategy_and_rule():
    installed()
    plugins = Plugins(only=["sklearn-baseline"])
    info = plugins.survey()[0]
    assert info.errors == []
    assert not info.builtin
    assert info.distribution == DIST
    assert info.provides == {
        "advisor_evidence": ["linear-baseline-competitive"],
        "advisor_prompt_strategies": ["tfidf-logreg"],
    }
    (strategy,) = plugins.prompt_strategies()
    assert strategy.kind == "baseline"
    assert strategy.task_types == ["classification"]
    assert callable(strategy.fit_predict)
    assert strategy.origin == "sklearn-baseline"


def test_strategy_listed_beside_the_builtin_prompt_strategies():
    installed()
    names = [s.name for s in Plugins(only=["prompts", "sklearn-baseline"]).prompt_strategies()]
    assert "tfidf-logreg" in names
    assert names[-1] == "tfidf-logreg"  # third-party plugins load after the built-ins


def test_rule_appears_in_recommend_reasons_only_where_it_applies():
    installed()
    plugins = Plugins(only=["evidence", "sklearn-baseline"])
    many = recommend(plugins=plugins, task_type="classification", labeled_examples=5000)
    reason = {r.rule_id: r for r in many.reasons}["linear-baseline-competitive"]
    assert reason.weight == -0.5  # a caution against the costly LLM fine-tune, never for it
    assert reason.origin == "sklearn-baseline"
    assert reason.source.url and reason.source.year == 2012
    few = recommend(plugins=plugins, task_type="classification", labeled_examples=50)
    gen = recommend(plugins=plugins, task_type="generation", labeled_examples=5000)
    for rec in (few, gen):
        assert "linear-baseline-competitive" not in {r.rule_id for r in rec.reasons}


def test_rule_weights(baseline):
    from advisor_sklearn_baseline.rule import weigh

    assert weigh(make_profile(labeled_examples=1000)) == -0.5
    assert weigh(make_profile(labeled_examples=300)) == -0.25
    assert weigh(make_profile(labeled_examples=299)) == 0.0
    assert weigh(make_profile(task_type="summarization", labeled_examples=10_000)) == 0.0


def test_loading_the_plugin_does_not_import_sklearn():
    installed()
    code = (
        "import sys, advisor_sklearn_baseline as p; p.strategy(); p.advisor_evidence(); "
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- fit_predict


def test_fit_predict_on_tiny_data_learns_and_prices_itself(baseline, monkeypatch):
    monkeypatch.delenv("ADVISOR_CPU_HOUR_USD", raising=False)
    train, test = tiny_classification()
    predictions = baseline.fit_predict(train, test)
    assert len(predictions) == len(test.examples)
    assert set(predictions) <= {"positive", "negative"}
    assert baseline.accuracy(predictions, test) >= 0.75
    m = baseline.BaselineMetrics.model_validate(predictions.metrics)  # a plain dict, validated
    assert m.train_examples == 16 and m.test_examples == 8
    assert m.cpu_hour_usd == baseline.CPU_HOUR_USD
    assert m.predict_cpu_seconds_per_query_single > 0
    expected = 1000 * m.predict_cpu_seconds_per_query_single / 3600 * m.cpu_hour_usd
    assert m.cost_per_1k_queries_usd == pytest.approx(expected)
    json.dumps(predictions.metrics)  # goes into results JSON as it is


def test_cpu_price_comes_from_the_environment(baseline, monkeypatch):
    monkeypatch.setenv("ADVISOR_CPU_HOUR_USD", "3.6")
    train, test = tiny_classification()
    m = baseline.fit_predict(train, test).metrics
    assert m["cpu_hour_source"] == "ADVISOR_CPU_HOUR_USD"
    # 3.6 USD per CPU hour = 0.001 USD per CPU second: 1,000 queries cost their CPU seconds.
    assert m["cost_per_1k_queries_usd"] == pytest.approx(m["predict_cpu_seconds_per_query_single"])
    for bad in ("cheap", "-1", "inf"):
        monkeypatch.setenv("ADVISOR_CPU_HOUR_USD", bad)
        with pytest.raises(UsageError, match="ADVISOR_CPU_HOUR_USD"):
            baseline.fit_predict(train, test)


def test_fit_predict_refuses_what_it_cannot_do(baseline):
    train, test = tiny_classification()
    gen = TaskData(name="g", task_type="generation", examples=[Example(input="a", output="b")])
    with pytest.raises(UsageError, match="needs a classification task"):
        baseline.fit_predict(gen, gen)
    one_label = train.model_copy(
        update={"examples": [e for e in train.examples if e.output == "positive"]}
    )
    with pytest.raises(UsageError, match="at least 2 labels"):
        baseline.fit_predict(one_label, test)
    from advisor_sklearn_baseline import strategy

    assert strategy().build_suite is None  # a baseline has no prompts; fit_predict is all


@pytest.mark.slow
@pytest.mark.parametrize(("name", "chance_margin"), [("sst2", 0.15), ("trec", 0.3)])
def test_real_data_accuracy_well_above_chance(baseline, name, chance_margin):
    folder = shared_dataset(name)
    train = load_task_data(folder / "train.jsonl")
    test = load_task_data(folder / "test.jsonl")
    predictions = baseline.fit_predict(train, test)
    acc = baseline.accuracy(predictions, test)
    counts = [sum(e.output == y for e in test.examples) for y in set(test.labels or [])]
    majority = max(counts) / len(test.examples)  # the best a constant answer can do
    assert acc >= majority + chance_margin, (acc, majority)
    assert 0 < predictions.metrics["cost_per_1k_queries_usd"] < 0.01


# ---------------------------------------------------------------- pip install / uninstall


@pytest.mark.slow
def test_pip_install_then_uninstall_in_a_scratch_env(scratch_env):
    """Real pip into a throwaway venv that sees this one's packages except this plugin;
    the shared .venv (where `make` installed it) is never modified."""
    env = scratch_env(exclude=[DIST])
    args = ("recommend", "--task-type", "classification", "--labeled-examples", "5000", "--json")

    def rule_ids() -> set[str]:
        rec = env.advisor(*args)
        assert rec.returncode == 0, rec.stderr
        return {r["rule_id"] for r in json.loads(rec.stdout)["reasons"]}

    def plugin_names() -> list[str]:
        out = env.advisor("plugins", "--json")
        assert out.returncode == 0, out.stderr
        return [i["name"] for i in json.loads(out.stdout)]

    assert "sklearn-baseline" not in plugin_names()
    assert "linear-baseline-competitive" not in rule_ids()

    # Built from a copy: pip's in-tree build must not write into the checkout (parallel runs).
    source = shutil.copytree(
        PLUGIN_DIR,
        env.root / "src",
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"),
    )
    env.pip_install(source)
    out = env.advisor("plugins", "--json")
    info = {i["name"]: i for i in json.loads(out.stdout)}["sklearn-baseline"]
    assert info["errors"] == [] and info["distribution"] == DIST
    assert info["provides"]["advisor_prompt_strategies"] == ["tfidf-logreg"]
    assert "linear-baseline-competitive" in rule_ids()

    env.pip_uninstall(DIST)
    assert "sklearn-baseline" not in plugin_names()
    assert "linear-baseline-competitive" not in rule_ids()


def test_benchmark_scores_the_baseline_with_its_cost(baseline):
    """The orchestration keeps the cost the baseline measured (not lost with the list copy)."""
    from advisor.bench.arms import score_baseline

    strategy = next(s for s in Plugins().prompt_strategies() if s.name == "tfidf-logreg")
    train, test = tiny_classification()
    result = score_baseline(strategy, train, test)
    assert result.kind == "baseline" and result.n == len(test.examples)
    assert result.usd_per_1k_queries is not None and result.usd_per_1k_queries > 0
