"""Overfitting, forgetting and the learning curve inside `advisor benchmark`: schema, report
sections, measured challenges, CLI flags, curve resume (fast, faked), and one real tiny run (slow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from advisor.bench.challenges import measured_challenges
from advisor.bench.curve import analyse_curve
from advisor.bench.overfitting import overfitting_report
from advisor.bench.schema import (
    BenchmarkOptions,
    BenchmarkResults,
    CurvePoint,
    DataSummary,
    ExampleResult,
    StrategyResult,
)
from advisor.bench.stages import forgetting_summary
from advisor.recommendation import CHALLENGES
from advisor.report.benchmark.html import render as html
from advisor.report.benchmark.markdown import render as markdown


def _examples(right: list[bool]) -> list[ExampleResult]:
    return [
        ExampleResult(doc_id=i, target="a", prediction="a" if r else "b", scores={"acc": float(r)})
        for i, r in enumerate(right)
    ]


def _strategy(name: str, kind: str, acc: float, **kw: Any) -> StrategyResult:
    right = [i < acc * 20 for i in range(20)]
    return StrategyResult(
        name=name,
        kind=kind,  # type: ignore[arg-type]
        metrics={"acc": sum(right) / 20},
        ci95={"acc": (0.3, 0.9)},
        n=20,
        seconds=1.0,
        examples=_examples(right),
        **kw,
    )


BEFORE = [True] * 40 + [False] * 22  # 62 items, 64.5%


def _fake_results(*, full: bool = True, curve: bool = True) -> BenchmarkResults:
    # lora: validation bottoms out at step 20 then rises while the gap widens; stopped early.
    lora_overfit = overfitting_report(
        [(5, 1.3), (10, 1.2), (20, 0.9), (30, 0.5), (40, 0.3)],
        [(5, 1.2), (10, 1.1), (20, 1.0), (30, 1.15), (40, 1.3)],
        stopped_early=True,
        last_step=40,
    )
    full_overfit = overfitting_report(
        [(s, 1.0 - 0.01 * s) for s in range(10, 60, 10)],
        [(s, 1.1 - 0.01 * s) for s in range(10, 60, 10)],
    )
    strategies = [
        _strategy("zero-shot", "prompt", 0.5),
        _strategy("lora", "fine-tune", 0.7, overfitting=lora_overfit),
    ]
    strategies[1].general_ability = [True] * 37 + [False] * 25  # 3 items lost
    if full:
        s = _strategy("full", "fine-tune", 0.75, overfitting=full_overfit)
        s.general_ability = [True] * 30 + [False] * 32  # 10 items lost
        strategies.append(s)
    results = BenchmarkResults(
        options=BenchmarkOptions(output=Path("runs/x")),
        model="m",
        data=DataSummary(
            name="<tiny>", task_type="classification", train_examples=200, test_examples=20
        ),
        primary_metric="acc",
        task_dir="tasks",
        strategies=strategies,
        general_ability_before=BEFORE,
    )
    results.forgetting = forgetting_summary(results)
    if curve:
        points = [
            CurvePoint(size=16, score=0.3, ci95=(0.1, 0.5)),
            CurvePoint(size=64, score=0.45, ci95=(0.25, 0.65)),
            CurvePoint(
                size=200, score=0.7, ci95=(0.5, 0.9), stopped_early=True, overfitting="mild"
            ),
        ]
        results.curve = analyse_curve(
            points,
            method="lora",
            metric="acc",
            test_examples=20,
            prompt_strategy="zero-shot",
            prompt_score=0.5,
        )
    results.challenges = measured_challenges(
        results, {"Overfitting": "high", "Data Scarcity": "medium"}
    )
    return results


def test_forgetting_summary_gives_drop_per_method_and_the_least():
    f = _fake_results().forgetting
    assert f is not None and f.items == 62
    changes = {m.method: m.change_points for m in f.methods}
    assert changes["lora"] == pytest.approx(-300 / 62, abs=0.01)
    assert changes["full"] == pytest.approx(-1000 / 62, abs=0.01)
    assert f.least_forgetting == "lora"
    lost = {m.method: m.items_lost for m in f.methods}
    assert lost == {"lora": 3, "full": 10}


def test_forgetting_summary_needs_the_base_and_a_scored_fine_tune():
    r = _fake_results()
    r.general_ability_before = None
    assert forgetting_summary(r) is None
    r = _fake_results()
    for s in r.strategies:
        s.general_ability = None
    assert forgetting_summary(r) is None


def test_measured_challenges_use_the_seed_names_and_keep_the_rating():
    ch = {c.name: c for c in _fake_results().challenges}
    assert set(ch) == {"Overfitting", "Catastrophic forgetting", "Data Scarcity"}
    assert set(ch) <= set(CHALLENGES)
    assert ch["Overfitting"].level == "overfitting" and ch["Overfitting"].rated == "high"
    assert "early stopping cut in at step 40" in ch["Overfitting"].measured
    assert ch["Catastrophic forgetting"].level == "severe"  # full lost 16 points
    assert "lora: multiple-choice check lost 4.8 points" in ch["Catastrophic forgetting"].measured
    assert ch["Catastrophic forgetting"].rated is None
    assert ch["Data Scarcity"].level == "crosses" and "overtakes" in ch["Data Scarcity"].measured


def test_no_measurements_no_sections():
    r = _fake_results(curve=False)
    for s in r.strategies:
        s.overfitting = None
    r.forgetting = None
    r.challenges = measured_challenges(r)
    assert r.challenges == []
    md = markdown(r)
    for heading in (
        "## Measured challenges",
        "## Overfitting",
        "## Catastrophic forgetting",
        "learning curve",
    ):
        assert heading not in md


def test_markdown_sections_show_the_measured_values():
    r = _fake_results()
    md = markdown(r)
    assert "## Measured challenges" in md
    over = md.split("## Overfitting")[1].split("## ")[0]
    assert "| lora | overfitting | 20 | 1.000 → 1.300 |" in over
    assert "cut in at step 40" in over and "did not cut in" in over
    forget = md.split("## Catastrophic forgetting")[1].split("## ")[0]
    assert (
        "64.5%" in forget
        and "| lora | n/a | n/a | 64.5% → 59.7% | lost 4.8 points | 3 / 0 |" in forget
    )
    assert (
        "LoRA vs full fine-tuning: lora: multiple-choice check lost 4.8 points; "
        "full: multiple-choice check lost 16.1 points." in forget
    )
    assert "drop" not in forget and "−" not in forget
    curve = md.split("## Data Scarcity / Training Data")[1]
    assert r.curve is not None and r.curve.summary in curve
    assert "| 200 (all) | 1 | 0.700 |" in curve and "mild (early stop)" in curve
    assert "![learning curve](curve.svg)" in curve


def test_lora_vs_full_sentence_only_when_both_ran():
    md = markdown(_fake_results(full=False))
    assert "## Catastrophic forgetting" in md and "LoRA vs full" not in md


def test_html_embeds_the_curve_and_escapes_names():
    page = html(_fake_results())
    assert 'aria-label="learning curve"' in page
    for heading in (
        "Measured challenges",
        "Overfitting",
        "Catastrophic forgetting",
        "Data Scarcity",
    ):
        assert f"<h2>{heading}" in page
    assert "&lt;tiny&gt;" in page and "<tiny>" not in page


def test_results_round_trip_through_json():
    r = _fake_results()
    again = BenchmarkResults.model_validate_json(r.model_dump_json())
    assert again == r
    assert again.get("lora").overfitting.level == "overfitting"


# ------------------------------------------------------------------ CLI flags


def _captured(monkeypatch) -> list[BenchmarkOptions]:
    import advisor.bench.run as run

    seen: list[BenchmarkOptions] = []

    def fake(options: BenchmarkOptions, plugins: Any = None) -> Any:
        seen.append(options)
        raise SystemExit(0)

    monkeypatch.setattr(run, "run_benchmark", fake)
    return seen


def test_cli_maps_curve_and_forgetting_flags(monkeypatch, tmp_path):
    from advisor.cli import cli as main

    seen = _captured(monkeypatch)
    args = [
        "benchmark",
        "--output",
        str(tmp_path / "r"),
        "--curve-sizes",
        "16, 64,all",
        "--no-forgetting",
    ]
    CliRunner().invoke(main, args)
    assert seen[-1].curve and seen[-1].curve_sizes == [16, 64, None] and not seen[-1].forgetting
    CliRunner().invoke(main, ["benchmark", "--output", str(tmp_path / "r")])
    assert not seen[-1].curve and seen[-1].curve_sizes is None and seen[-1].forgetting


@pytest.mark.parametrize("sizes", ["16,x", "0", ",", "-4"])
def test_cli_rejects_bad_curve_sizes(sizes, tmp_path):
    from advisor.cli import cli as main

    res = CliRunner().invoke(
        main, ["benchmark", "--output", str(tmp_path / "r"), "--curve-sizes", sizes]
    )
    assert res.exit_code == 2
    assert "--curve-sizes" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(
    ("strategies", "message"), [("zero-shot", "training backend"), ("lora", "prompt strategy")]
)
def test_cli_curve_needs_a_fine_tune_and_a_prompt(strategies, message, tmp_path):
    from advisor.cli import cli as main

    out = tmp_path / "r"
    res = CliRunner().invoke(
        main, ["benchmark", "--output", str(out), "--strategies", strategies, "--curve"]
    )
    assert res.exit_code == 2 and message in res.output
    assert not (out / "results.json").exists()


# ------------------------------------------------------------------ curve resume (faked training)


def test_curve_resume_skips_done_sizes_and_reuses_the_full_fine_tune(monkeypatch, tmp_path):
    import fake_plugin
    from test_goldens import fake_benchmark

    trained: list[int] = []
    real_train = fake_plugin._train

    def spy_train(base, data, *args, **kw):
        trained.append(len(data.examples))
        return real_train(base, data, *args, **kw)

    monkeypatch.setattr(fake_plugin, "_train", spy_train)
    first = fake_benchmark(
        tmp_path, strategies=["zero-shot", "fake-ft"], curve=True, curve_sizes=[12]
    )
    # The benchmark's fine-tune on all 48 (60 less the 12 validation rows), then size 12 with
    # each of its 3 seeds.
    assert trained == [48, 12, 12, 12]
    points = first["curve"]["points"]
    assert [p["size"] for p in points] == [12, 48] and points[1]["reused"] == "fake-ft"

    trained.clear()
    again = fake_benchmark(
        tmp_path,
        strategies=["zero-shot", "fake-ft"],
        curve=True,
        curve_sizes=[12, 24],
        resume=True,
    )
    assert trained == [24, 24, 24]  # 12 was done, 48 (all) is the benchmark's own fine-tune
    assert sorted(p["size"] for p in again["curve_points"]) == [12, 24, 48]
    points = again["curve"]["points"]
    assert [p["size"] for p in points] == [12, 24, 48]
    assert points[0] == first["curve"]["points"][0]
    # 3 steps give 3 validation points: too few to judge overfitting.
    assert points[1]["steps"] == 24 // 8 and points[1]["overfitting"] == "unknown"
    fine_tune = next(s for s in again["strategies"] if s["name"] == "fake-ft")
    assert points[2]["reused"] == "fake-ft"
    assert points[2]["score"] == fine_tune["metrics"]["acc"]
    assert points[2]["steps"] == fine_tune["train"]["steps"]


# ------------------------------------------------------------------ the real thing, tiny


@pytest.mark.slow
def test_benchmark_measures_overfitting_forgetting_and_curve_then_resumes(tmp_path):
    import torch
    from test_bench_run import SpyPlugins, _tiny_files

    from advisor.bench.run import run_benchmark

    train, test = _tiny_files(tmp_path)  # 24 train (4 per label), 12 test
    out = tmp_path / "run"
    options = BenchmarkOptions(
        data=train, test=test, output=out, strategies=["zero-shot", "lora"], limit=None,
        max_steps=4, threads=1, curve=True, curve_sizes=[8], curve_seeds=1, progress=False,
    )  # fmt: skip
    spy = SpyPlugins()
    loaded: list[Any] = []
    before: dict[str, Any] = {}
    real_resolve = spy.real.resolve_model

    def resolve_model(name: str | None = None) -> Any:
        source = real_resolve(name)

        def spy_load():
            model = source.load()
            before.update({k: v.clone() for k, v in model.model.state_dict().items()})
            loaded.append(model)
            return model

        return source.model_copy(update={"load": spy_load})

    spy.resolve_model = resolve_model  # type: ignore[method-assign]
    results = run_benchmark(options, plugins=spy)
    assert len(loaded) == 1  # the curve shares the benchmark's model
    assert spy.trained == [
        "lora",
        "lora",
    ]  # the benchmark's, then size 8 (all, added, reuses the first)

    saved = json.loads((out / "results.json").read_text())
    lora = saved["strategies"][1]
    # 4 steps leave fewer than the 5 validation points a verdict on overfitting needs.
    assert lora["overfitting"]["points"]  # 24 examples leave a validation split
    assert lora["overfitting"]["level"] == "unknown" and len(lora["overfitting"]["points"]) < 5
    assert len(saved["general_ability_before"]) == 62 and len(lora["general_ability"]) == 62
    assert saved["forgetting"]["methods"][0]["method"] == "lora"
    # The base model came back unchanged after training and scoring the fine-tunes.
    after = loaded[0].model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    curve = saved["curve"]
    assert [p["size"] for p in curve["points"]] == [8, 16]  # 24 less the 8 validation rows
    assert curve["points"][1]["reused"] == "lora"
    assert curve["points"][1]["score"] == lora["metrics"]["acc"]
    assert curve["points"][0]["steps"] >= 1 and curve["points"][0]["reused"] is None
    assert curve["prompt_strategy"] == "zero-shot" and curve["summary"]
    assert (out / "curve.svg").read_text().startswith("<svg")
    md = (out / "report.md").read_text()
    for heading in (
        "## Overfitting",
        "## Catastrophic forgetting",
        "## Data Scarcity / Training Data",
    ):
        assert heading in md
    assert curve["summary"] in md
    assert 'aria-label="learning curve"' in (out / "report.html").read_text()
    assert {c.name for c in results.challenges} == {
        "Overfitting",
        "Catastrophic forgetting",
        "Data Scarcity",
    }

    # Resume: nothing is trained, scored or even loaded again; the measurements stay.
    spy2 = SpyPlugins()
    again = run_benchmark(options.model_copy(update={"resume": True}), plugins=spy2)
    assert spy2.trained == [] and spy2.evaluated == []
    assert again.curve.points == results.curve.points and again.forgetting == results.forgetting
