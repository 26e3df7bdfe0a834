"""Comparison, verdict and reports from hand-made per-example results (no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.bench.schema import (
    Advice,
    AdviceUnavailable,
    BenchmarkOptions,
    BenchmarkResults,
    DataSummary,
    ExampleResult,
    StrategyResult,
)
from advisor.bench.verdict import compare, judge_advice
from advisor.components import TrainResult
from advisor.report.benchmark import write_reports
from advisor.report.benchmark.html import render as html
from advisor.report.benchmark.markdown import render as markdown


def _strategy(name: str, kind: str, correct: list[int], cost: float = 0.01) -> StrategyResult:
    examples = [
        ExampleResult(doc_id=i, target="a", prediction="a" if c else "b", scores={"acc": float(c)})
        for i, c in enumerate(correct)
    ]
    return StrategyResult(
        name=name,
        kind=kind,
        metrics={"acc": sum(correct) / len(correct)},
        ci95={"acc": (0.1, 0.9)},
        n=len(correct),
        seconds=1.0,
        usd_per_1k_queries=cost,
        examples=examples,
    )


# 40 examples: the fine-tune fixes 14 the prompt gets wrong and breaks 1.
PROMPT = [1] * 20 + [0] * 14 + [1] + [0] * 5
TUNED = [1] * 20 + [1] * 14 + [0] + [0] * 5


def test_compare_picks_best_of_each_kind_and_runs_mcnemar():
    worse_prompt = _strategy("zero-shot", "prompt", [0] * 40)
    c = compare(
        [
            worse_prompt,
            _strategy("few-shot", "prompt", PROMPT),
            _strategy("lora", "fine-tune", TUNED),
        ],
        "acc",
    )
    assert c is not None
    assert (c.prompt, c.fine_tune) == ("few-shot", "lora")
    assert c.discordant == (14, 1)
    assert c.difference == pytest.approx(13 / 40)
    assert c.p_value == pytest.approx(2 * 16 / 2**15)  # 2 * (C(15,0)+C(15,1)) / 2^15
    assert c.ci95[0] > 0
    assert "McNemar" in c.test


@pytest.mark.parametrize(
    ("advice", "expected"),
    [
        ("fine-tune", "confirmed"),
        ("prompt-then-fine-tune", "confirmed"),
        ("prompt", "contradicted"),
    ],
)
def test_verdict_follows_the_significant_winner(advice, expected):
    c = compare(
        [_strategy("few-shot", "prompt", PROMPT), _strategy("lora", "fine-tune", TUNED)], "acc"
    )
    v = judge_advice(c, Advice(verdict=advice, method="lora", confidence=0.7))
    assert v.outcome == expected
    assert v.measured_winner == "fine-tune"
    assert "p = " in v.explanation and "lora 0.850" in v.explanation


def _trained(result: StrategyResult, converged: bool, tmp: Path) -> StrategyResult:
    reason = "plateau: no gain for 4 evaluations" if converged else "ceiling: max_steps 40 reached"
    result.train = TrainResult(
        output_dir=tmp, method="lora", steps=40, converged=converged, stop_reason=reason
    )
    return result


def test_a_prompt_win_over_an_unconverged_fine_tune_is_inconclusive(tmp_path: Path):
    """The ceiling cut the fine-tune: its loss says nothing yet about the strategy."""
    prompt = _strategy("few-shot", "prompt", TUNED)
    advice = Advice(verdict="fine-tune", method="lora")
    for converged, outcome in ((False, "inconclusive"), (True, "contradicted")):
        tuned = _trained(_strategy("lora", "fine-tune", PROMPT), converged, tmp_path)
        c = compare([prompt, tuned], "acc")
        v = judge_advice(c, advice, strategies=[prompt, tuned])
        assert (v.outcome, v.measured_winner) == (outcome, "prompt")
    assert (
        "lora did not converge (ceiling: max_steps 40 reached)"
        in judge_advice(
            compare([prompt, _trained(tuned, False, tmp_path)], "acc"), advice, strategies=[tuned]
        ).explanation
    )
    # A fine-tune that won while still improving stands: more steps would only widen the gap.
    winner = _trained(_strategy("lora", "fine-tune", TUNED), False, tmp_path)
    loser = _strategy("few-shot", "prompt", PROMPT)
    c = compare([loser, winner], "acc")
    assert judge_advice(c, advice, strategies=[loser, winner]).outcome == "confirmed"


def test_verdict_inconclusive_when_not_significant_or_missing_side():
    near = [1] * 20 + [0] * 20
    other = [1] * 19 + [0] + [1] + [0] * 19
    c = compare(
        [_strategy("zero-shot", "prompt", near), _strategy("lora", "fine-tune", other)], "acc"
    )
    assert judge_advice(c, Advice(verdict="fine-tune")).outcome == "inconclusive"
    assert compare([_strategy("zero-shot", "prompt", near)], "acc") is None
    assert judge_advice(None, Advice(verdict="prompt")).outcome == "inconclusive"
    unavailable = judge_advice(c, AdviceUnavailable(error="advice unavailable (boom)"))
    assert unavailable.outcome == "inconclusive" and "(boom)" in unavailable.explanation


def test_reports_escape_user_data_and_draw_charts(tmp_path):
    evil = "<script>alert(1)</script>"
    results = BenchmarkResults(
        options=BenchmarkOptions(output=tmp_path),
        model="m",
        data=DataSummary(
            name=evil, task_type="classification", train_examples=10, test_examples=40
        ),
        primary_metric="acc",
        task_dir=str(tmp_path / "tasks"),
        strategies=[
            _strategy("few-shot", "prompt", PROMPT, 0.02),
            _strategy("lora", "fine-tune", TUNED),
        ],
    )
    results.comparison = compare(results.strategies, "acc")
    results.verdict = judge_advice(results.comparison, Advice(verdict="fine-tune", method="lora"))
    page = html(results)
    assert evil not in page and "&lt;script&gt;" in page
    assert page.count("<svg") == 2 and "<rect" in page and "<circle" in page
    md = markdown(results)
    assert "CONFIRMED" in md and "| lora | fine-tune | 0.850 |" in md
    md_path, html_path = write_reports(results, Path(tmp_path))
    assert md_path.read_text() == md and html_path.exists()


def test_advice_round_trips_through_results_json(tmp_path):
    """Both shapes of the stored advice read back as themselves (--resume reads results.json)."""
    base = dict(
        options=BenchmarkOptions(output=tmp_path), model="m", primary_metric="acc", task_dir="t",
        data=DataSummary(name="d", task_type="classification", train_examples=1, test_examples=1),
    )  # fmt: skip
    for advice in (Advice(verdict="prompt", method="few-shot"), AdviceUnavailable(error="x")):
        results = BenchmarkResults(**base, recommendation=advice)
        again = BenchmarkResults.model_validate_json(results.model_dump_json())
        assert again.recommendation == advice


def test_profile_takes_flags_and_file_but_data_wins(tmp_path):
    from advisor.bench.advice import data_profile

    profile_file = tmp_path / "p.yaml"
    profile_file.write_text(
        "labeled_examples: 99999\nmonthly_queries: 5000000\ntask_type: extraction\n"
    )
    options = BenchmarkOptions(
        output=tmp_path,
        profile=profile_file,
        profile_values={"gpu_memory_gb": 24.0, "gpu_count": 1},
    )
    results = BenchmarkResults(
        options=options,
        model="m",
        model_params_b=0.135,
        data=DataSummary(
            name="d",
            task_type="classification",
            train_examples=321,
            test_examples=50,
            labels=["a", "b", "c"],
        ),
        primary_metric="acc",
        task_dir="t",
    )
    p = data_profile(results, options)
    assert p.labeled_examples == 321 and p.num_labels == 3  # measured on the data
    assert p.monthly_queries == 5_000_000 and p.gpu_memory_gb == 24.0  # file and flags
    assert p.task_type.value == "extraction"  # the user's finer task type is kept
    assert p.model_params_b == 0.135
