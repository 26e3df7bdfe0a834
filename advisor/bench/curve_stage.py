"""The learning-curve stage: the first training backend on nested subsets of the training
data, each trained with the run's stopping rule on the run's validation split and scored on
the zero-shot suite against the prompt arm (``tuned-prompt`` when it ran, else the best
prompt strategy by its test score).

Every seed's run is saved to ``results.curve_points`` as it finishes, so ``--resume``
continues the curve where it stopped. When the benchmark also fine-tuned that backend on all
the data, that fine-tune is the curve's 'all' point (no retraining). The statistics are in
``advisor.bench.curve``.
"""

from __future__ import annotations

import time

from advisor.bench import arms, classification
from advisor.bench.context import RunContext
from advisor.bench.curve import (
    DEFAULT_SIZES,
    aggregate_point,
    analyse_curve,
    nested_subsets,
    resolve_sizes,
    seeds_at,
)
from advisor.bench.schema import CurveRun, ExampleResult, StrategyResult
from advisor.bench.suites import TUNED_PROMPT
from advisor.components import TaskData, TrainingBackend
from advisor.files import write_atomic
from advisor.report.benchmark.charts import curve_svg

CURVE_DIR = "curve"
CURVE_SVG = "curve.svg"


def prompt_arm(results_strategies: list[StrategyResult], metric: str) -> StrategyResult:
    """The arm the curve is read against: the tuned prompt when it ran (its configuration was
    chosen on the validation split, so its test score is a fair target), else the best prompt
    strategy by its test score."""
    prompts = [s for s in results_strategies if s.kind == "prompt" and not s.reference]
    tuned = next((s for s in prompts if s.name == TUNED_PROMPT), None)
    return tuned or max(prompts, key=lambda r: r.metrics.get(metric, 0.0))


def curve(ctx: RunContext) -> None:
    """Measure the runs not measured yet, then the crossover analysis and curve.svg."""
    start = time.perf_counter()
    results, o = ctx.results, ctx.options
    metric = results.primary_metric
    backend = ctx.lineup.fine_tunes[0]
    target = prompt_arm(results.strategies, metric)
    reuse = results.get(backend.name)
    if reuse is not None and not reuse.train:
        reuse = None  # without its training record it cannot stand in for the 'all' point
    sizes = list(o.curve_sizes or DEFAULT_SIZES)
    if reuse is not None and None not in sizes:
        sizes.append(None)  # the benchmark's own fine-tune on all the data: a free last point
    everything = len(ctx.train.examples)
    wanted = resolve_sizes(sizes, everything)
    results.curve_points = [p for p in results.curve_points if p.size in wanted]
    prompt_scores = _by_doc(target.examples, metric)
    for n in wanted:
        point = next((p for p in results.curve_points if p.size == n), None)
        if reuse is not None and n == everything:
            runs = [_reused_run(reuse, metric, o.seed)]
        else:
            runs = _runs(ctx, backend, n, point.runs if point else [], metric)
        new = aggregate_point(n, runs, prompt_scores)
        if reuse is not None and n == everything:
            new.reused = reuse.name
        results.curve_points = [p for p in results.curve_points if p.size != n] + [new]
        ctx.save()
    results.seconds["curve"] = results.seconds.get("curve", 0.0) + time.perf_counter() - start
    results.curve = analyse_curve(
        results.curve_points,
        method=backend.name,
        metric=metric,
        test_examples=results.data.test_examples,
        prompt_strategy=target.name,
        prompt_score=target.metrics.get(metric, 0.0),
        prompt_ci95=target.ci95.get(metric),
        baselines=classification.label_baselines(ctx.train, ctx.test),
        seconds=round(results.seconds["curve"], 1),
        seed=o.seed,
    )
    write_atomic(ctx.run_dir / CURVE_SVG, curve_svg(results.curve))


def _runs(
    ctx: RunContext, backend: TrainingBackend, n: int, done: list[CurveRun], metric: str
) -> list[CurveRun]:
    """The seeds of size ``n``: those already measured (a resumed run), then the rest, each
    saved as it finishes. Seed k trains on the first ``n`` examples of its own stratified
    permutation, so each seed's subsets are nested."""
    runs = list(done)
    for k in range(seeds_at(n, ctx.options.curve_seeds)):
        seed = ctx.options.seed + k
        if any(r.seed == seed for r in runs):
            continue
        (subset,) = nested_subsets(ctx.train, [n], seed)
        runs.append(_measure(ctx, backend, subset, seed, metric))
        partial = aggregate_point(n, runs, None)
        ctx.results.curve_points = [p for p in ctx.results.curve_points if p.size != n]
        ctx.results.curve_points.append(partial)
        ctx.save()
    return sorted(runs, key=lambda r: r.seed)


def _measure(
    ctx: RunContext, backend: TrainingBackend, subset: TaskData, seed: int, metric: str
) -> CurveRun:
    """Train on ``subset`` with the run's stopping rule and score on the zero-shot suite."""
    n = len(subset.examples)
    name = f"{backend.name}-{n}" + (f"-seed{seed}" if seed != ctx.options.seed else "")
    out_dir = ctx.run_dir / CURVE_DIR / "finetunes" / name
    scored, train_seconds = arms.train_and_score(
        ctx, backend, subset, out_dir, name, seed=seed, validation=ctx.validation
    )
    run = _run(scored, metric, seed)
    run.train_seconds = round(train_seconds, 1)
    return run


def _reused_run(reuse: StrategyResult, metric: str, seed: int) -> CurveRun:
    run = _run(reuse, metric, seed)
    run.train_seconds = round(reuse.train.seconds, 1) if reuse.train else None
    return run


def _run(scored: StrategyResult, metric: str, seed: int) -> CurveRun:
    """A scored fine-tune as a curve run, with how its training ended."""
    trained = scored.train
    return CurveRun(
        seed=seed,
        score=scored.metrics.get(metric, 0.0),
        scores=_by_doc(scored.examples, metric),
        steps=trained.steps if trained else None,
        epochs=trained.epochs if trained else None,
        converged=trained.converged if trained else None,
        stop_reason=trained.stop_reason if trained else None,
        stopped_early=bool(trained and trained.stopped_early),
        overfitting=scored.overfitting.level if scored.overfitting else None,
        eval_seconds=round(scored.eval_seconds, 1),
    )


def _by_doc(examples: list[ExampleResult], metric: str) -> list[float]:
    """The metric per test example, in doc_id order (missing scores count 0)."""
    return [e.scores.get(metric, 0.0) for e in sorted(examples, key=lambda e: e.doc_id)]
