"""The learning-curve stage: the first training backend on nested subsets of the training
data, each scored on the zero-shot suite against the best prompt strategy.

Each size is saved to ``results.curve_points`` as it finishes, so ``--resume`` continues the
curve. When the benchmark also fine-tuned that backend on all the data, that fine-tune is the
curve's 'all' point (no retraining). The statistics are in ``advisor.bench.curve``.
"""

from __future__ import annotations

import time

from advisor.bench import arms
from advisor.bench.context import RunContext
from advisor.bench.curve import DEFAULT_SIZES, analyse_curve, nested_subsets, resolve_sizes
from advisor.bench.schema import CurvePoint, ExampleResult, StrategyResult
from advisor.bench.stats import paired_bootstrap
from advisor.components import TaskData, TrainingBackend
from advisor.files import write_atomic
from advisor.report.benchmark.charts import curve_svg

CURVE_DIR = "curve"
CURVE_SVG = "curve.svg"


def curve(ctx: RunContext) -> None:
    """Measure the sizes not measured yet, then the crossover analysis and curve.svg."""
    start = time.perf_counter()
    results = ctx.results
    metric = results.primary_metric
    backend = ctx.lineup.fine_tunes[0]
    prompts = [s for s in results.strategies if s.kind == "prompt" and not s.reference]
    best = max(prompts, key=lambda r: r.metrics.get(metric, 0.0))
    reuse = results.get(backend.name)
    if reuse is not None and not reuse.train:
        reuse = None  # without its training record it cannot stand in for the 'all' point
    sizes = list(ctx.options.curve_sizes or DEFAULT_SIZES)
    if reuse is not None and None not in sizes:
        sizes.append(None)  # the benchmark's own fine-tune on all the data: a free last point
    wanted = set(resolve_sizes(sizes, len(ctx.train.examples)))
    results.curve_points = [p for p in results.curve_points if p.size in wanted]
    for subset in nested_subsets(ctx.train, sizes, ctx.options.seed):
        n = len(subset.examples)
        if n in {p.size for p in results.curve_points}:
            continue
        if reuse is not None and n == len(ctx.train.examples):
            point = _reused_point(n, reuse, best, metric)
        else:
            point = _measure(ctx, backend, subset, best, metric)
        results.curve_points.append(point)
        ctx.save()
    results.seconds["curve"] = results.seconds.get("curve", 0.0) + time.perf_counter() - start
    results.curve = analyse_curve(
        results.curve_points,
        method=backend.name,
        metric=metric,
        test_examples=results.data.test_examples,
        prompt_strategy=best.name,
        prompt_score=best.metrics.get(metric, 0.0),
        prompt_ci95=best.ci95.get(metric),
        seconds=round(results.seconds["curve"], 1),
    )
    write_atomic(ctx.run_dir / CURVE_SVG, curve_svg(results.curve))


def _measure(
    ctx: RunContext, backend: TrainingBackend, subset: TaskData, best: StrategyResult, metric: str
) -> CurvePoint:
    """Train on ``subset`` and score the fine-tune on the zero-shot suite."""
    n = len(subset.examples)
    out_dir = ctx.run_dir / CURVE_DIR / "finetunes" / f"{backend.name}-{n}"
    scored, train_seconds = arms.train_and_score(
        ctx, backend, subset, out_dir, f"{backend.name}-{n}"
    )
    return _point(n, scored, best, metric, train_seconds)


def _reused_point(n: int, reuse: StrategyResult, best: StrategyResult, metric: str) -> CurvePoint:
    train_seconds = reuse.train.seconds if reuse.train else 0.0
    point = _point(n, reuse, best, metric, train_seconds or 0.0)
    point.reused = reuse.name
    return point


def _point(
    n: int, scored: StrategyResult, best: StrategyResult, metric: str, train_seconds: float
) -> CurvePoint:
    paired = _paired(best.examples, scored.examples, metric)
    trained = scored.train
    return CurvePoint(
        size=n,
        score=scored.metrics.get(metric, 0.0),
        ci95=scored.ci95.get(metric),
        difference=round(paired[0], 4) if paired else None,
        p_value=round(paired[1], 4) if paired else None,
        train_seconds=round(train_seconds, 1),
        eval_seconds=round(scored.eval_seconds, 1),
        steps=trained.steps if trained else None,
        stopped_early=bool(trained and trained.stopped_early),
        overfitting=scored.overfitting.level if scored.overfitting else None,
    )


def _paired(
    prompt: list[ExampleResult], tuned: list[ExampleResult], metric: str
) -> tuple[float, float] | None:
    """Mean difference (fine-tune minus prompt) and bootstrap p over the shared examples."""
    a = {e.doc_id: e.scores.get(metric) for e in prompt}
    pairs = [(a[e.doc_id], e.scores.get(metric)) for e in tuned if e.doc_id in a]
    kept = [(u, v) for u, v in pairs if u is not None and v is not None]
    if not kept:
        return None
    diff, _ci, p = paired_bootstrap([u for u, _ in kept], [v for _, v in kept])
    return diff, p
