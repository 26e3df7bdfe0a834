"""Goldens: the advice for every reference case and the results of a whole fake-runner
benchmark, frozen as JSON. A refactor must reproduce them; a change of behaviour on purpose
regenerates them in the same commit (``ADVISOR_UPDATE_GOLDENS=1 pytest tests/test_goldens.py``)
and says why in its message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from test_reference_cases import CASES

from advisor import recommend
from advisor.plugins import Plugins
from advisor.testing import plugin_manager_with

GOLDENS = Path(__file__).parent / "goldens"
UPDATE = os.environ.get("ADVISOR_UPDATE_GOLDENS") == "1"
# Fields that change with the version or the clock, not with behaviour.
VOLATILE = {"version", "advisor_version", "seconds", "eval_seconds", "generated_at", "resources"}


def _normal(value: Any, tmp: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _normal(v, tmp) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_normal(v, tmp) for v in value]
    if isinstance(value, str) and tmp:
        return value.replace(tmp, "<tmp>")
    if isinstance(value, float):
        return round(value, 9)
    return value


def _check(name: str, actual: Any) -> None:
    path = GOLDENS / name
    text = json.dumps(actual, indent=1, sort_keys=True) + "\n"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden {name} was missing and has been written; rerun")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, f"{name} differs from its golden"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_recommendation_matches_golden(case) -> None:
    rec = recommend(plugins=Plugins(only=["evidence"]), **case.profile)
    _check(f"recommend/{case.id}.json", _normal(json.loads(rec.model_dump_json())))


def fake_plugins() -> Any:
    """The built-in rules and prompts with the fake plugin's model, runner and backend."""
    return plugin_manager_with(["evidence", "prompts"], modules={"fake": "fake_plugin"})


def fake_benchmark_options(run_dir: Path, **extra: Any) -> Any:
    """BenchmarkOptions of the fake plugin's benchmark of the ticket demo into ``run_dir``
    (options in ``extra`` win)."""
    from advisor.bench.inputs import demo_paths
    from advisor.bench.schema import BenchmarkOptions

    train, test = demo_paths("tickets")
    values: dict[str, Any] = dict(
        data=train,
        test=test,
        output=run_dir,
        model="fake",
        runner="fake",
        # The named prompts, the tuned one (its search, and the combined arm), a fine-tune.
        strategies=["zero-shot", "few-shot", "3c", "tuned-prompt", "fake-ft"],
        limit=30,
        train_limit=60,
        forgetting=False,
        progress=False,
    )
    return BenchmarkOptions(**{**values, **extra})


def run_fake_benchmark(run_dir: Path, **extra: Any) -> Any:
    """The fake plugin's benchmark (``fake_benchmark_options``): hash-based predictions, no
    model, a second; returns the BenchmarkResults."""
    from advisor.bench.run import run_benchmark

    return run_benchmark(fake_benchmark_options(run_dir, **extra), plugins=fake_plugins())


def fake_benchmark(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """``run_fake_benchmark`` in ``tmp_path / 'run'``, as its normalised results.json."""
    run_fake_benchmark(tmp_path / "run", **extra)
    results = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))
    repo = str(Path(__file__).resolve().parents[1])
    return _normal(json.loads(json.dumps(results).replace(repo, "<repo>")), str(tmp_path))


def test_fake_runner_benchmark_matches_golden(tmp_path) -> None:
    _check("benchmark/fake-runner-results.json", fake_benchmark(tmp_path))


def test_fake_runner_learning_curve_matches_golden(tmp_path) -> None:
    results = fake_benchmark(
        tmp_path, strategies=["zero-shot", "fake-ft"], curve=True, curve_sizes=[12, 24, None]
    )
    _check("benchmark/fake-runner-curve-results.json", results)
