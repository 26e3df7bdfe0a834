"""Calibrated confidence: the outcome table, the fit that benchmarks/calibration writes from it,
and the engine reading that fit (never constants of its own)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest
import yaml
from test_reference_cases import CASES

from advisor import calibration, engine, recommend
from advisor.calibration import FIT_FILE, Fit, MarginBin, load_fit, load_outcomes
from advisor.plugins import Plugins
from advisor.report import render

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "calibration"
BUILTIN = Plugins(only=["evidence"])


def _script():
    loader = importlib.machinery.SourceFileLoader("calibration_script", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # its dataclasses look their module up there
    loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script():
    return _script()


def test_the_table_holds_every_reference_case_as_written() -> None:
    table = {o.id: o for o in load_outcomes() if o.source == "reference"}
    cases = {c.id: c for c in CASES}
    stale = sorted(set(cases) ^ set(table)) + [
        i
        for i in set(cases) & set(table)
        if (table[i].outcome, table[i].profile, table[i].citation)
        != (cases[i].verdict, dict(cases[i].profile), cases[i].citation)
    ]
    assert not stale, (
        f"outcome table out of date for {stale}: benchmarks/calibration --sync-cases --write"
    )


def test_benchmark_rows_say_how_they_were_measured() -> None:
    measured = [o for o in load_outcomes() if o.source == "benchmark"]
    assert len(measured) >= 7
    assert all("advisor benchmark" in o.command and o.measured for o in measured)
    sizes = {o.profile["labeled_examples"] for o in measured}
    assert len(sizes) >= 4  # several data sizes, not one


def test_the_stored_fit_is_the_fit_of_the_table(script) -> None:
    """Rules or cases changed without a refit? Rerun benchmarks/calibration --sync-cases --write
    and regenerate the goldens."""
    rows = script.score_rows(load_outcomes())
    fresh = script.build_fit(rows, "test")
    stored = yaml.safe_load(FIT_FILE.read_text(encoding="utf-8"))
    for key in ("fitted", "command"):
        fresh.pop(key), stored.pop(key)
    assert fresh == stored, "advisor/data/calibration/fit.yaml is stale"
    assert load_fit().command.startswith("benchmarks/calibration")


def test_platt_fit_finds_the_slope_and_never_inverts_it(script) -> None:
    margins = [0.2 * i for i in range(40)]
    right = [m > 2 or i % 3 == 0 for i, m in enumerate(margins)]
    for edge in (False, True):
        a, b = script.fit_platt(margins, right, edge)
        assert a > 0 and calibration.platt(6, a, b) > calibration.platt(1, a, b)
        assert b == 0 or not edge
        a, b = script.fit_platt(margins, [m < 4 for m in margins], edge)  # anti-correlated
        assert a == 0 and 0 < calibration.platt(0, a, b) < 1


def test_the_curve_kept_has_the_lower_leave_one_out_brier_score() -> None:
    fit = load_fit()
    assert set(fit.brier_methods) == {"platt", "platt-edge"}
    kept = {k: v for k, v in fit.brier_methods.items() if k not in fit.rejected}
    assert fit.brier_after == min(kept.values()) == fit.brier_methods[fit.method]
    assert fit.method == "platt" or fit.b == 0


def test_brier_and_reliability_are_reported(script) -> None:
    rows = script.score_rows(load_outcomes())
    text = script.report(rows, script.build_fit(rows, "test"))
    assert "Brier score: before" in text and "| confidence | cases |" in text
    assert all(r.id in text for r in rows)


def _fit(**changes) -> Fit:
    return load_fit().model_copy(update=changes)


def test_confidence_reads_the_fit(monkeypatch) -> None:
    fit = load_fit()
    assert engine.confidence(engine.FINE_TUNE_AT + 1, "fine-tune") == round(
        min(fit.cap, calibration.platt(1, fit.a, fit.b)), 3
    )
    assert engine.confidence(0, "prompt", forced=True) == round(fit.forced, 3)
    flat = _fit(a=0.0, b=0.0, cap=0.9)
    monkeypatch.setattr(calibration, "load_fit", lambda: flat)
    assert engine.confidence(40, "fine-tune") == 0.5


def test_confidence_grows_with_the_margin_and_stops_at_the_cap() -> None:
    fit = load_fit()
    scores = [engine.FINE_TUNE_AT + m for m in (0, 1, 3, 6, 30)]
    values = [engine.confidence(s, "fine-tune") for s in scores]
    assert values == sorted(values) and values[-1] == round(fit.cap, 3) < 0.99
    mid = (engine.PROMPT_BELOW + engine.FINE_TUNE_AT) / 2
    edge = engine.FINE_TUNE_AT - 0.1
    assert engine.confidence(mid, "prompt-then-fine-tune") > engine.confidence(
        edge, "prompt-then-fine-tune"
    )


def test_many_examples_no_longer_saturate() -> None:
    for n in (1_000, 10_000, 100_000):
        rec = recommend(plugins=BUILTIN, labeled_examples=n, gpu_memory_gb=24, model_params_b=7)
        assert rec.confidence <= load_fit().cap < 1


def test_the_note_counts_reasons_and_known_cases() -> None:
    rec = recommend(
        plugins=BUILTIN, labeled_examples=3000, gpu_memory_gb=24, gpu_count=1, model_params_b=7
    )
    top = rec.reasons[: calibration.STRONGEST]
    agree = sum(r.weight > 0 for r in top)
    assert rec.confidence_note.startswith(f"{agree} of the {len(top)} strongest reasons agree")
    m = engine.margin(rec.score, rec.verdict)
    found = next(b for b in load_fit().bins if b.holds(m))
    assert f"{found.right} of {found.cases} known cases" in rec.confidence_note
    forced = recommend(
        plugins=BUILTIN, model_access="api_only", data_can_leave=False, labeled_examples=500
    )
    assert forced.confidence_note.startswith("hard constraints decide")


def test_the_note_of_a_mixed_verdict_says_it_is_split() -> None:
    rec = recommend(plugins=BUILTIN, labeled_examples=64, model_params_b=0.135, num_labels=6)
    assert rec.verdict == "prompt-then-fine-tune"
    assert "strongest reasons are split" in rec.confidence_note


def test_margin_bins_cover_every_margin() -> None:
    bins = load_fit().bins
    for m in (0, 0.99, 2, 3.5, 50):
        assert sum(b.holds(m) for b in bins) == 1
    assert MarginBin(low=1, high=2, cases=0, right=0).holds(1.5)


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_every_renderer_shows_the_note(fmt: str) -> None:
    rec = recommend(
        plugins=BUILTIN, labeled_examples=3000, gpu_memory_gb=24, gpu_count=1, model_params_b=7
    )
    out = render(rec, fmt)
    if fmt == "json":
        assert json.loads(out)["confidence_note"] == rec.confidence_note
    else:
        assert rec.confidence_note.split(";")[0] in " ".join(out.split())


def test_a_broken_fit_file_is_a_usage_error(tmp_path) -> None:
    from advisor.errors import UsageError

    bad = tmp_path / "fit.yaml"
    bad.write_text("a: [", encoding="utf-8")
    with pytest.raises(UsageError, match="calibration"):
        load_fit.__wrapped__(bad)


def test_no_confidence_is_certain() -> None:
    for case in CASES:
        rec = recommend(plugins=BUILTIN, **case.profile)
        assert 0 < rec.confidence < 1 and not math.isclose(rec.confidence, 1)


def test_the_benchmark_report_shows_the_confidence_recommend_gives(tmp_path, monkeypatch) -> None:
    """One confidence for one profile: the benchmark names the `advisor recommend` command of
    the profile it advised on, and that command gives the same verdict and confidence."""
    from click.testing import CliRunner
    from test_goldens import fake_benchmark_options, fake_plugins

    import advisor.plugins
    from advisor.bench.run import run_benchmark
    from advisor.bench.schema import BenchmarkResults
    from advisor.cli import cli
    from advisor.report.benchmark.markdown import render as render_benchmark

    plugins = fake_plugins()
    options = fake_benchmark_options(
        tmp_path / "run", strategies=["zero-shot", "fake-ft"], limit=20, train_limit=40
    )
    run_benchmark(options, plugins=plugins)
    results = BenchmarkResults.model_validate_json(
        (tmp_path / "run" / "results.json").read_text(encoding="utf-8")
    )
    advice = results.recommendation
    assert advice.command.startswith("advisor recommend --labeled-examples 40")
    monkeypatch.setattr(advisor.plugins, "get_plugins", lambda: plugins)  # the same rules
    out = CliRunner().invoke(cli, [*advice.command.split()[1:], "--json"])
    assert out.exit_code == 0, out.output
    rec = json.loads(out.stdout)
    assert (rec["verdict"], rec["confidence"]) == (advice.verdict, advice.confidence)
    assert rec["confidence_note"] == advice.confidence_note
    report = render_benchmark(results)
    assert f"confidence {rec['confidence']:.0%}" in report and advice.command in report
