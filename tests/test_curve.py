"""advisor.bench.curve: nested stratified subsets, crossover, extrapolation, plot; the curve
stages alone on the real model (slow)."""

from __future__ import annotations

import math
import random
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from advisor.bench.curve import (
    aggregate_point,
    analyse_curve,
    extrapolate_size,
    find_crossover,
    nested_subsets,
    resolve_sizes,
    seeds_at,
    stratified_order,
)
from advisor.bench.schema import CurvePoint, CurveRun
from advisor.components import Example, TaskData
from advisor.report.benchmark.charts import curve_svg


def _data(counts: dict[str, int]) -> TaskData:
    ex = [Example(input=f"{lab} {i}", output=lab) for lab, n in counts.items() for i in range(n)]
    return TaskData(name="t", task_type="classification", examples=ex, labels=sorted(counts))


def test_subsets_are_nested_stratified_and_seeded():
    data = _data({"a": 60, "b": 30, "c": 10})
    subs = nested_subsets(data, (10, 50, None), seed=3)
    assert [len(s.examples) for s in subs] == [10, 50, 100]
    for small, big in zip(subs, subs[1:], strict=False):
        assert [e.input for e in small.examples] == [
            e.input for e in big.examples[: len(small.examples)]
        ]
    assert Counter(e.output for e in subs[0].examples) == {"a": 6, "b": 3, "c": 1}
    assert Counter(e.output for e in subs[1].examples) == {"a": 30, "b": 15, "c": 5}
    again = nested_subsets(data, (10,), seed=3)[0]
    other = nested_subsets(data, (10,), seed=4)[0]
    assert [e.input for e in again.examples] == [e.input for e in subs[0].examples]
    assert [e.input for e in other.examples] != [e.input for e in again.examples]


def test_generation_order_is_a_seeded_shuffle():
    data = TaskData(
        name="g",
        task_type="generation",
        examples=[Example(input=str(i), output="x") for i in range(20)],
    )
    order = stratified_order(data, seed=1)
    assert sorted(e.input for e in order) == sorted(e.input for e in data.examples)
    assert [e.input for e in order] != [e.input for e in data.examples]


def test_resolve_sizes():
    assert resolve_sizes((16, 64, 256, None), 100) == [16, 64, 100]
    assert resolve_sizes((None,), 7) == [7]
    with pytest.raises(ValueError):
        resolve_sizes((0,), 10)


def test_find_crossover_interpolates_in_log_size():
    # 0.4 at 16, 0.8 at 64: reaching 0.6 half-way in log space is sqrt(16*64) = 32
    assert find_crossover([16, 64], [0.4, 0.8], 0.6) == pytest.approx(32.0)
    assert find_crossover([16, 64], [0.7, 0.8], 0.6) == 16
    assert find_crossover([16, 64], [0.2, 0.3], 0.6) is None
    # a noisy first point that touches the target and falls back does not count
    cross = find_crossover([16, 64, 256], [0.325, 0.15, 0.525], 0.3)
    assert 64 < cross < 256


def test_extrapolation():
    sizes = [16, 64, 256]
    scores = [0.2 + 0.1 * math.log(n) for n in sizes]  # exactly log-linear
    n = extrapolate_size(sizes, scores, 0.2 + 0.1 * math.log(1000))
    assert n == pytest.approx(1000, rel=0.01)
    assert extrapolate_size(sizes, [0.5, 0.5, 0.5], 0.9) is None  # flat
    assert extrapolate_size(sizes, scores, 5.0) is None  # beyond 100x


def _pts(scores, ci=0.05):
    return [
        CurvePoint(size=n, score=s, ci95=(s - ci, s + ci))
        for n, s in zip((16, 64, 256), scores, strict=True)
    ]


def test_analyse_curve_statuses_and_summary():
    kw = dict(method="lora", metric="acc", test_examples=100, prompt_strategy="few-shot")
    crosses = analyse_curve(_pts([0.3, 0.5, 0.8]), prompt_score=0.6, **kw)
    assert crosses.status == "crosses" and 64 < crosses.crossover_size < 256
    lo, hi = crosses.crossover_range
    assert lo < crosses.crossover_size < hi
    assert "overtakes the best prompt (few-shot" in crosses.summary
    never = analyse_curve(_pts([0.2, 0.3, 0.4]), prompt_score=0.6, **kw)
    assert never.status == "never" and never.still_rising and never.extrapolated_size > 256
    assert "suggests about" in never.summary
    flat = analyse_curve(_pts([0.3, 0.35, 0.34]), prompt_score=0.6, **kw)
    assert flat.extrapolated_size is None and "flattened" in flat.summary
    start = analyse_curve(_pts([0.7, 0.8, 0.9]), prompt_score=0.6, **kw)
    assert start.status == "above_from_start"


def test_svg_is_well_formed_and_escaped():
    r = analyse_curve(
        _pts([0.3, 0.5, 0.8]),
        method="lora",
        metric="acc",
        test_examples=10,
        prompt_strategy="<b>3c</b>",
        prompt_score=0.6,
    )
    svg = curve_svg(r)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and "<b>" not in svg and "crossover" in svg


@pytest.mark.slow
def test_tiny_real_curve(tmp_path):
    """The curve alone (CURVE_STAGES): two sizes, a few training steps, 12 test examples on
    the embedded model and lm-eval."""
    pytest.importorskip("advisor_lmeval")
    from advisor.bench.run import CURVE_STAGES, run_benchmark
    from advisor.bench.schema import BenchmarkOptions

    opts = BenchmarkOptions(
        output=tmp_path, limit=12, max_steps=2, shots=1, progress=False, batch_size=16,
        strategies=["zero-shot", "lora"], curve=True, curve_sizes=[6, 12], curve_seeds=2,
    )  # fmt: skip
    results = run_benchmark(opts, only=CURVE_STAGES)
    r = results.curve
    assert r is not None and [p.size for p in r.points] == [6, 12]
    assert all(0.0 <= p.score <= 1.0 and p.p_value is not None for p in r.points)
    assert [len(p.runs) for p in r.points] == [2, 2] and all(p.ci95 for p in r.points)
    assert all(len(run.scores) == 12 for p in r.points for run in p.runs)
    assert r.test_examples == 12 and r.prompt_strategy == "zero-shot"
    assert [s.name for s in results.strategies] == ["zero-shot"]  # no full fine-tune
    assert (tmp_path / "curve.svg").exists() and (tmp_path / "report.md").exists()


# --------------------------------------------------------------------------- seeds and bands


def _runs(size: int, rate: float, seeds: int = 3, n: int = 100) -> CurvePoint:
    """A point whose seeds each get about ``rate`` of ``n`` test examples right, each example
    drawn independently (seeded), as unrelated fine-tunes would."""
    runs = []
    for k in range(seeds):
        rng = random.Random(size * 100 + k)
        scores = [1.0 if rng.random() < rate else 0.0 for _ in range(n)]
        runs.append(CurveRun(seed=k, score=sum(scores) / n, scores=scores))
    return aggregate_point(size, runs, None)


KW = dict(method="lora", metric="acc", test_examples=100, prompt_strategy="tuned-prompt")


def test_a_curve_still_rising_says_more_data_would_help_and_by_how_much():
    points = [_runs(16, 0.3), _runs(64, 0.5), _runs(256, 0.7, seeds=1)]
    r = analyse_curve(points, prompt_score=0.9, **KW)
    assert r.more_data and r.gain_range is not None and r.gain_range[0] > 0
    # +20 points per step of 4x (two doublings): +10 points per doubling.
    assert r.gain_per_doubling == pytest.approx(10.0, abs=3)
    assert f"More data would likely help: about {r.gain_per_doubling:+.1f} points" in r.summary
    assert "per doubling of the training set" in r.summary
    assert "the tuned prompt (tuned-prompt" in r.summary
    assert all(p.ci95 and p.ci95[0] <= p.score <= p.ci95[1] for p in r.points)


def test_a_flat_curve_does_not_ask_for_more_data():
    points = [_runs(16, 0.5), _runs(64, 0.52), _runs(256, 0.51, seeds=1)]
    r = analyse_curve(points, prompt_score=0.9, **KW)
    assert not r.more_data and "More data" not in r.summary
    # A small last step inside the noise does not count either.
    noisy = analyse_curve([_runs(16, 0.5), _runs(64, 0.53)], prompt_score=0.9, **KW)
    assert not noisy.more_data


def test_a_point_averages_its_seeds_and_reports_convergence():
    runs = [
        CurveRun(seed=0, score=0.5, scores=[1.0, 0.0], steps=10, epochs=2.0, converged=True),
        CurveRun(seed=1, score=1.0, scores=[1.0, 1.0], steps=20, epochs=4.0, converged=False),
    ]
    p = aggregate_point(16, runs, prompt=[0.0, 0.0])
    assert (p.score, p.steps, p.epochs, p.converged) == (0.75, 15, 3.0, False)
    assert p.difference == pytest.approx(0.75)
    assert aggregate_point(16, runs[:1], None).converged is True
    unknown = CurveRun(seed=2, score=0.0, scores=[0.0, 0.0])
    assert aggregate_point(16, [*runs, unknown], None).converged is None


def test_small_sizes_get_every_seed_and_each_seed_is_nested():
    assert [seeds_at(n, 3) for n in (16, 64, 65, 256)] == [3, 3, 1, 1]
    data = _data({"a": 50, "b": 30, "c": 20})
    for seed in (0, 1, 2):
        small, big = nested_subsets(data, (16, 64), seed)
        assert big.examples[:16] == small.examples
        assert {e.output for e in small.examples} == {"a", "b", "c"}
    firsts = {tuple(e.input for e in nested_subsets(data, (16,), s)[0].examples) for s in range(3)}
    assert len(firsts) == 3


def test_the_curve_stage_runs_seeds_at_small_sizes_and_resume_keeps_them(tmp_path, monkeypatch):
    from test_goldens import run_fake_benchmark

    from advisor.bench import arms

    opts = dict(strategies=["zero-shot", "fake-ft"], curve=True, curve_sizes=[12, 24, None])
    first = run_fake_benchmark(tmp_path / "run", **opts)
    c = first.curve
    assert c is not None and [len(p.runs) for p in c.points] == [3, 3, 1]
    assert c.points[-1].reused == "fake-ft"
    assert c.baselines is not None and "chance" in (tmp_path / "run" / "curve.svg").read_text()

    def no_training(*args, **kwargs):
        raise AssertionError("a finished curve run was trained again")

    monkeypatch.setattr(arms, "train_and_score", no_training)
    again = run_fake_benchmark(tmp_path / "run", resume=True, **opts)
    assert again.curve is not None
    assert [p.model_dump() for p in again.curve.points] == [p.model_dump() for p in c.points]


def test_the_curve_section_names_the_baselines(tmp_path):
    from test_goldens import run_fake_benchmark

    from advisor.report.benchmark import html, markdown

    results = run_fake_benchmark(
        tmp_path / "run", strategies=["zero-shot", "fake-ft"], curve=True, curve_sizes=[12]
    )
    b = results.curve.baselines if results.curve else None
    assert b is not None
    md, page = markdown.render(results), html.render(results)
    for text in (md, page):
        assert f"Chance is {b.chance:.3f}" in text.split("learning curve")[1]
    assert "| seeds |" in md and "<th>seeds</th>" in page
