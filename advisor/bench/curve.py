"""Learning curve: how many labelled examples before a fine-tune beats prompting?

Fine-tunes on nested, stratified, seeded subsets of the training data (16, 64, 256, all by
default), scores each on the same test task as the best prompt strategy, and reports:

* the crossover: the training-set size where the fine-tune's score first reaches the best
  prompt's, interpolated linearly in log(size) between the two measured sizes around it,
  with a range from doing the same with the ends of each point's 95% interval;
* each point's paired test against the prompt (bootstrap over the same test examples);
* when the fine-tune is still below the prompt and still rising at the largest size, an
  extrapolation of score = a + b*ln(size) fitted on the last three points (capped at 100x
  the data at hand; a rough guide, reported as such).

The pure parts (subsets, crossover, extrapolation, SVG) are separate from ``run_curve``,
which drives the benchmark building blocks in ``advisor.bench.run``.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from advisor.components import Example, TaskData

DEFAULT_SIZES: tuple[int | None, ...] = (16, 64, 256, None)  # None = all
MAX_EXTRAPOLATION = 100  # times the largest size measured


# --------------------------------------------------------------------------- subsets


def stratified_order(data: TaskData, seed: int = 0) -> list[Example]:
    """Examples in an order whose every prefix keeps the label proportions (seeded).

    Each example's key is its (shuffled) rank within its label divided by the label's size;
    sorting by it interleaves the labels proportionally, so a prefix of any length is a
    stratified sample and longer prefixes contain shorter ones (nested).
    """
    rng = random.Random(seed)
    if data.task_type != "classification":
        order = list(data.examples)
        rng.shuffle(order)
        return order
    groups: dict[str, list[Example]] = {}
    for e in data.examples:
        groups.setdefault(e.output, []).append(e)
    keyed: list[tuple[float, float, Example]] = []
    for label in sorted(groups):
        items = groups[label]
        rng.shuffle(items)
        for rank, e in enumerate(items):
            keyed.append(((rank + 0.5) / len(items), rng.random(), e))
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [e for _, _, e in keyed]


def resolve_sizes(sizes: Sequence[int | None], available: int) -> list[int]:
    """Sorted unique sizes, ``None`` and sizes above what is available becoming 'all'."""
    out = sorted(
        {available if s is None or s >= available else int(s) for s in sizes if s is None or s > 0}
    )
    if not out:
        raise ValueError("no training-set sizes to run")
    return out


def nested_subsets(data: TaskData, sizes: Sequence[int | None], seed: int = 0) -> list[TaskData]:
    order = stratified_order(data, seed)
    return [
        data.model_copy(update={"examples": order[:n]}) for n in resolve_sizes(sizes, len(order))
    ]


# --------------------------------------------------------------------------- analysis


def find_crossover(sizes: Sequence[float], scores: Sequence[float], target: float) -> float | None:
    """Size from which ``scores`` stay at or above ``target``, interpolated in log(size).

    Uses the last upward crossing, so a noisy early point that touches the target and then
    falls back does not count. Returns sizes[0] when every point is at or above the target,
    None when the largest size is still below it.
    """
    below = [i for i, s in enumerate(scores) if s < target]
    if not below:
        return float(sizes[0])
    i = below[-1]
    if i == len(scores) - 1:
        return None
    n0, s0, n, s = sizes[i], scores[i], sizes[i + 1], scores[i + 1]
    frac = (target - s0) / (s - s0) if s != s0 else 1.0
    return math.exp(math.log(n0) + frac * (math.log(n) - math.log(n0)))


def extrapolate_size(
    sizes: Sequence[float],
    scores: Sequence[float],
    target: float,
    *,
    max_factor: float = MAX_EXTRAPOLATION,
) -> int | None:
    """Size where a fit score = a + b*ln(size) on the last three points reaches ``target``.

    None when the curve is not rising, or the answer is beyond ``max_factor`` x the largest size.
    """
    xs = [math.log(n) for n in sizes[-3:]]
    ys = list(scores[-3:])
    if len(xs) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return None
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var
    if b <= 1e-6:
        return None
    a = my - b * mx
    n = math.exp((target - a) / b)
    if n > max_factor * sizes[-1]:
        return None
    return max(int(math.ceil(n)), int(sizes[-1]))


class CurvePoint(BaseModel):
    size: int
    score: float
    ci95: tuple[float, float] | None = None
    difference: float | None = Field(None, description="fine-tune minus prompt, same test examples")
    p_value: float | None = Field(None, description="paired bootstrap against the best prompt")
    train_seconds: float | None = None
    eval_seconds: float | None = None
    steps: int | None = None
    stopped_early: bool = False
    overfitting: str | None = Field(None, description="OverfittingReport level of this fine-tune")
    reused: str | None = Field(
        None, description="Strategy whose fine-tune on all the data gave this point"
    )


class CurveResult(BaseModel):
    method: str
    metric: str
    test_examples: int
    prompt_strategy: str
    prompt_score: float
    prompt_ci95: tuple[float, float] | None = None
    points: list[CurvePoint]
    status: Literal["crosses", "above_from_start", "never"]
    crossover_size: float | None = None
    crossover_range: tuple[float | None, float | None] | None = Field(
        None, description="From the 95% intervals: (earliest, latest); None = not within the data"
    )
    still_rising: bool = False
    extrapolated_size: int | None = None
    seconds: float = 0.0
    summary: str = ""


def analyse_curve(
    points: list[CurvePoint],
    *,
    method: str,
    metric: str,
    test_examples: int,
    prompt_strategy: str,
    prompt_score: float,
    prompt_ci95: tuple[float, float] | None = None,
    seconds: float = 0.0,
) -> CurveResult:
    """Crossover, its range, and extrapolation from measured points (pure)."""
    points = sorted(points, key=lambda p: p.size)
    sizes = [p.size for p in points]
    scores = [p.score for p in points]
    cross = find_crossover(sizes, scores, prompt_score)
    lows = [p.ci95[0] if p.ci95 else p.score for p in points]
    highs = [p.ci95[1] if p.ci95 else p.score for p in points]
    rng = (find_crossover(sizes, highs, prompt_score), find_crossover(sizes, lows, prompt_score))
    status = "never" if cross is None else "above_from_start" if cross == sizes[0] else "crosses"
    rising = len(scores) >= 2 and scores[-1] > scores[-2]
    extra = extrapolate_size(sizes, scores, prompt_score) if cross is None and rising else None
    result = CurveResult(
        method=method,
        metric=metric,
        test_examples=test_examples,
        prompt_strategy=prompt_strategy,
        prompt_score=prompt_score,
        prompt_ci95=prompt_ci95,
        points=points,
        status=status,  # type: ignore[arg-type]
        crossover_size=round(cross, 1) if cross is not None else None,
        crossover_range=rng,
        still_rising=rising,
        extrapolated_size=extra,
        seconds=seconds,
    )
    result.summary = curve_summary(result)
    return result


def curve_summary(r: CurveResult) -> str:
    best = f"the best prompt ({r.prompt_strategy}, {r.metric} {r.prompt_score:.3f})"
    largest = r.points[-1].size
    if r.status == "above_from_start":
        return f"{r.method} already matches or beats {best} with {r.points[0].size} examples."
    if r.status == "crosses":
        lo, hi = r.crossover_range or (None, None)
        span = ""
        if lo is not None or hi is not None:
            lo_s = f"{lo:.0f}" if lo is not None else "?"
            hi_s = f"{hi:.0f}" if hi is not None else f">{largest}"
            span = f" (95% range {lo_s} to {hi_s})"
        return (
            f"{r.method} overtakes {best} at about {r.crossover_size:.0f} labelled examples{span}."
        )
    text = f"{r.method} does not reach {best} within the {largest} examples at hand"
    if r.extrapolated_size is not None:
        return (
            text
            + f"; the curve is still rising and a log-linear fit suggests about {r.extrapolated_size} examples (rough guide)."
        )
    if r.still_rising:
        return (
            text
            + f"; it is still rising, but more than {MAX_EXTRAPOLATION}x the data would be needed at this rate."
        )
    return text + "; the curve has flattened, so more data alone is unlikely to close the gap."


# --------------------------------------------------------------------------- running


def _paired(
    prompt_examples: list[Any], ft_examples: list[Any], metric: str
) -> tuple[float, float] | None:
    from advisor.bench.stats import paired_bootstrap

    a = {e.doc_id: e.scores.get(metric) for e in prompt_examples}
    pairs = [(a[e.doc_id], e.scores.get(metric)) for e in ft_examples if e.doc_id in a]
    pairs = [(u, v) for u, v in pairs if u is not None and v is not None]
    if not pairs:
        return None
    diff, _ci, p = paired_bootstrap([u for u, _ in pairs], [v for _, v in pairs])
    return diff, p


def _point(
    n: int, scored: Any, best: Any, metric: str, train: dict[str, Any], train_seconds: float
) -> CurvePoint:
    paired = _paired(best.examples, scored.examples, metric)
    overfit = train.get("overfitting")
    return CurvePoint(
        size=n,
        score=scored.metrics.get(metric, 0.0),
        ci95=scored.ci95.get(metric),
        difference=round(paired[0], 4) if paired else None,
        p_value=round(paired[1], 4) if paired else None,
        train_seconds=round(train_seconds, 1),
        eval_seconds=round(scored.eval_seconds, 1),
        steps=train.get("steps"),
        stopped_early=bool(train.get("stopped_early")),
        overfitting=overfit.get("level") if isinstance(overfit, dict) else None,
    )


def measure_points(
    loaded: Any,
    backend: Any,
    runner: Any,
    train: TaskData,
    task_dir: Path,
    task: str,
    best: Any,
    metric: str,
    out_dir: Path,
    *,
    sizes: Sequence[int | None] = DEFAULT_SIZES,
    seed: int = 0,
    epochs: float | None = None,
    max_steps: int | None = None,
    batch_size: int = 8,
    progress: bool = True,
    resume: bool = False,
    done: Sequence[CurvePoint] = (),
    reuse_all: Any = None,
    on_point: Callable[[CurvePoint], None] | None = None,
) -> list[CurvePoint]:
    """Fine-tune ``backend`` on each nested subset and score it on ``task`` against ``best``.

    Sizes already in ``done`` are kept (resume); ``reuse_all`` (a StrategyResult of the same
    backend trained on all of ``train``) stands in for the 'all' size instead of training
    again. ``on_point`` gets each new point as it finishes, so a caller can save it.
    """
    from advisor.bench.overfitting import overfitting_from_result
    from advisor.bench.run import evaluate_strategy, train_strategy

    points = {p.size: p for p in done}
    for subset in nested_subsets(train, sizes, seed):
        n = len(subset.examples)
        if n in points:
            continue
        if reuse_all is not None and n == len(train.examples) and reuse_all.train:
            train_info = dict(reuse_all.train)
            if reuse_all.overfitting is not None:
                train_info["overfitting"] = reuse_all.overfitting.model_dump()
            point = _point(
                n, reuse_all, best, metric, train_info, float(train_info.get("seconds") or 0.0)
            )
            point.reused = reuse_all.name
        else:
            start = time.perf_counter()
            trained = train_strategy(
                loaded,
                backend,
                subset,
                out_dir / "finetunes" / f"{backend.name}-{n}",
                epochs=epochs,
                max_steps=max_steps,
                seed=seed,
                resume=resume,
                progress=progress,
            )
            train_seconds = time.perf_counter() - start
            scored = evaluate_strategy(
                loaded,
                runner,
                task_dir,
                task,
                name=f"{backend.name}-{n}",
                kind="fine-tune",
                artifact=trained.output_dir,
                batch_size=batch_size,
                progress=progress,
            )
            info = trained.model_dump(mode="json")
            info["overfitting"] = overfitting_from_result(trained).model_dump()
            point = _point(n, scored, best, metric, info, train_seconds)
        points[n] = point
        if on_point is not None:
            on_point(point)
    return sorted(points.values(), key=lambda p: p.size)


def run_curve(
    options: Any,
    *,
    sizes: Sequence[int | None] = DEFAULT_SIZES,
    method: str = "lora",
    prompts: Sequence[str] = ("zero-shot", "few-shot"),
    plugins: Any = None,
) -> CurveResult:
    """Train ``method`` on nested subsets and compare each with the best of ``prompts``.

    ``options`` is a ``BenchmarkOptions`` (data, test, model, limit, seed, shots, epochs,
    max_steps, batch_size, output, progress). Writes ``curve.json`` and ``curve.svg`` into
    ``options.output / 'curve'``. ``advisor benchmark --curve`` runs the same measurement
    inside a benchmark (resumable per size, sharing the loaded model).
    """
    from advisor.bench.inputs import load_data, resolve_strategies
    from advisor.bench.run import ZERO_SHOT, build_tasks, evaluate_strategy, load_base
    from advisor.bench.suites import PRIMARY_METRIC
    from advisor.files import write_atomic
    from advisor.report.benchmark.charts import curve_svg

    if plugins is None:
        from advisor.plugins import get_plugins

        plugins = get_plugins()
    t0 = time.perf_counter()
    train, test = load_data(
        options.data,
        options.test,
        limit=options.limit,
        seed=options.seed,
        test_fraction=options.test_fraction,
    )
    plan = resolve_strategies([*prompts, method], train.task_type, plugins)
    if not plan.fine_tunes:
        raise ValueError(f"'{method}' is not a training backend")
    backend = plan.fine_tunes[0]
    prompt_like = list(plan.prompts)
    if all(s.name != ZERO_SHOT for s in prompt_like):
        prompt_like.append(next(s for s in plugins.prompt_strategies() if s.name == ZERO_SHOT))
    out_dir = Path(options.output) / "curve"
    task_dir = out_dir / "tasks"
    runner = next(r for r in plugins.benchmarks() if r.name == options.runner)
    tasks = build_tasks(
        train, test, prompt_like, task_dir, runner=runner, shots=options.shots, seed=options.seed
    )
    loaded = load_base(options.model, plugins)
    metric = PRIMARY_METRIC[train.task_type]

    prompt_results = [
        evaluate_strategy(
            loaded,
            runner,
            task_dir,
            tasks[s.name],
            name=s.name,
            kind="prompt",
            batch_size=options.batch_size,
            progress=options.progress,
        )
        for s in plan.prompts
    ]
    best = max(prompt_results, key=lambda r: r.metrics.get(metric, 0.0))
    points = measure_points(
        loaded,
        backend,
        runner,
        train,
        task_dir,
        tasks[ZERO_SHOT],
        best,
        metric,
        out_dir,
        sizes=sizes,
        seed=options.seed,
        epochs=options.epochs,
        max_steps=options.max_steps,
        batch_size=options.batch_size,
        progress=options.progress,
    )
    result = analyse_curve(
        points,
        method=method,
        metric=metric,
        test_examples=len(test.examples),
        prompt_strategy=best.name,
        prompt_score=best.metrics.get(metric, 0.0),
        prompt_ci95=best.ci95.get(metric),
        seconds=round(time.perf_counter() - t0, 1),
    )
    write_atomic(out_dir / "curve.json", result.model_dump_json(indent=1))
    write_atomic(out_dir / "curve.svg", curve_svg(result))
    return result
