"""The plugin's own tests, as a plugin author writes them with advisor.testing."""

from importlib.metadata import PackageNotFoundError, distribution

import pytest

from advisor.testing import make_profile


def test_hooks_load_by_import_path(advisor_plugins):
    plugins = advisor_plugins(modules={"sklearn-baseline": "advisor_sklearn_baseline"})
    assert [s.name for s in plugins.prompt_strategies()] == ["tfidf-logreg"]
    (rule,) = plugins.rules()
    assert rule.kind == "benefit" and rule.weigh(make_profile(labeled_examples=5000)) < 0
    assert plugins.info["sklearn-baseline"].errors == []


def test_baseline_learns_tiny_data(tiny_data):
    from advisor_sklearn_baseline.model import accuracy, fit_predict

    train, test = tiny_data
    predictions = fit_predict(train, test)
    assert accuracy(predictions, test) >= 0.75
    assert predictions.metrics["cost_per_1k_queries_usd"] > 0


def test_installed_entry_point(advisor_plugins):
    try:
        distribution("advisor-sklearn-baseline")
    except PackageNotFoundError:
        pytest.skip("not installed: pip install ./plugins/advisor-sklearn-baseline")
    plugins = advisor_plugins(only=["sklearn-baseline"])
    info = plugins.survey()[0]
    assert info.errors == []
    assert info.provides["advisor_prompt_strategies"] == ["tfidf-logreg"]
