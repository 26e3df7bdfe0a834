"""Learning curve: how many labelled examples before a fine-tune beats prompting?

Fine-tunes on nested, stratified, seeded subsets of the training data (16, 64, 256, all by
default), each trained with the run's own stopping rule (to convergence, not for a fixed
number of steps: a curve of data, not of steps), scores each on the same test task as the
prompt arm (the tuned prompt when the run has one), and reports:

* several seeds at the small sizes (``SMALL_SIZE`` and below), where one subset's luck moves
  the score most; each seed is its own permutation, so every seed's subsets are nested too;
* each point's band: a bootstrap over the test examples and the seeds (the same resampled
  examples for every size, since every size is scored on the same test set);
* the crossover: the training-set size where the fine-tune's score first reaches the
  prompt's, interpolated linearly in log(size) between the two measured sizes around it,
  with a range from doing the same with the ends of each point's band;
* each point's paired test against the prompt (bootstrap over the same test examples);
* whether more data would help: the last step improves *significantly* when the bands of the
  last two points do not overlap or when the bootstrap range of the slope of
  score = a + b*log2(size), fitted on the last three points, lies above zero; then b is the
  gain per doubling of the data;
* when the fine-tune is still below the prompt and still rising at the largest size, an
  extrapolation of that fit to the prompt's score (capped at 100x the data at hand; a rough
  guide, reported as such).

This module is the pure part (subsets, aggregation, bootstrap, crossover, extrapolation); the
benchmark's curve stage (``advisor.bench.curve_stage``) trains and scores the runs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from advisor.bench.challenges import worst_level
from advisor.bench.classification import LabelBaselines
from advisor.bench.schema import CurvePoint, CurveResult, CurveRun
from advisor.bench.stats import paired_bootstrap
from advisor.components import Example, TaskData

DEFAULT_SIZES: tuple[int | None, ...] = (16, 64, 256, None)  # None = all
MAX_EXTRAPOLATION = 100  # times the largest size measured
# Sizes up to this get every seed: a 16-example subset's luck moves a score by several points,
# and the runs are cheap; the larger sizes train once.
SMALL_SIZE = 64
BOOTSTRAP_ROUNDS = 2000
FIT_POINTS = 3  # the "more data" fit: the last three sizes


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


def seeds_at(size: int, seeds: int) -> int:
    """Seeds a curve size gets: all of them at the small sizes, one above."""
    return seeds if size <= SMALL_SIZE else 1


# --------------------------------------------------------------------------- points


def aggregate_point(size: int, runs: list[CurveRun], prompt: list[float] | None) -> CurvePoint:
    """A curve point from its seeds' runs: the mean score, steps and epochs, converged when
    every run did, and the paired difference against the prompt's per-example scores (each
    example's score averaged over the seeds). The band is set by ``analyse_curve``."""
    known = [r.converged for r in runs if r.converged is not None]
    epochs = [r.epochs for r in runs if r.epochs is not None]
    steps = [r.steps for r in runs if r.steps is not None]
    point = CurvePoint(
        size=size,
        score=sum(r.score for r in runs) / len(runs),
        train_seconds=round(sum(r.train_seconds or 0.0 for r in runs), 1),
        eval_seconds=round(sum(r.eval_seconds or 0.0 for r in runs), 1),
        steps=round(sum(steps) / len(steps)) if steps else None,
        epochs=round(sum(epochs) / len(epochs), 2) if epochs else None,
        converged=all(known) if len(known) == len(runs) else None,
        stopped_early=any(r.stopped_early for r in runs),
        overfitting=worst_level([r.overfitting for r in runs if r.overfitting]),
        runs=runs,
    )
    per_example = _example_means(runs)
    if prompt is not None and per_example and len(per_example) == len(prompt):
        diff, _ci, p = paired_bootstrap(prompt, per_example)
        point.difference, point.p_value = round(diff, 4), round(p, 4)
    return point


def _example_means(runs: list[CurveRun]) -> list[float]:
    """Each test example's score averaged over the runs (empty when they do not align)."""
    n = {len(r.scores) for r in runs}
    if len(n) != 1 or not runs[0].scores:
        return []
    return [sum(col) / len(col) for col in zip(*(r.scores for r in runs), strict=True)]


def bootstrap_curve(
    points: Sequence[CurvePoint], *, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0
) -> list[list[float]] | None:
    """Per point, ``rounds`` resampled mean scores: the test examples resampled once per round
    for every point (they share the test set), the seeds resampled within each point. None
    when some point lacks per-example scores of the same test set."""
    import numpy as np

    arrays = [np.asarray([r.scores for r in p.runs], dtype=float) for p in points]
    if any(a.ndim != 2 or a.shape[1] == 0 for a in arrays) or len({a.shape[1] for a in arrays}) > 1:
        return None
    rng = np.random.default_rng(seed)
    n = arrays[0].shape[1]
    idx = rng.integers(0, n, size=(rounds, n))
    draws = []
    for a in arrays:
        per_run = a[:, idx].mean(axis=2)  # (runs, rounds)
        pick = rng.integers(0, a.shape[0], size=(rounds, a.shape[0]))
        draws.append(per_run[pick, np.arange(rounds)[:, None]].mean(axis=1).tolist())
    return draws


def _percentiles(values: Sequence[float]) -> tuple[float, float]:
    import numpy as np

    lo, hi = np.percentile(np.asarray(values), [2.5, 97.5])
    return round(float(lo), 4), round(float(hi), 4)


def doubling_slope(sizes: Sequence[float], scores: Sequence[float]) -> float | None:
    """Least-squares slope of score against log2(size): the gain per doubling of the data."""
    xs = [math.log2(n) for n in sizes]
    mx, my = sum(xs) / len(xs), sum(scores) / len(scores)
    var = sum((x - mx) ** 2 for x in xs)
    if len(xs) < 2 or var == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, scores, strict=True)) / var


def more_data_gain(
    points: Sequence[CurvePoint], draws: list[list[float]] | None
) -> tuple[bool, float | None, tuple[float, float] | None]:
    """(whether the last step still improves significantly, points per doubling, its 95%
    bootstrap range) from the last ``FIT_POINTS`` points; see the module docstring."""
    if len(points) < 2:
        return False, None, None
    tail = points[-FIT_POINTS:]
    sizes = [p.size for p in tail]
    slope = doubling_slope(sizes, [p.score for p in tail])
    if slope is None:
        return False, None, None
    span = None
    if draws is not None:
        tail_draws = draws[-len(tail) :]
        slopes = [doubling_slope(sizes, list(col)) or 0.0 for col in zip(*tail_draws, strict=True)]
        lo, hi = _percentiles(slopes)
        span = (round(lo * 100, 1), round(hi * 100, 1))
    prev, last = points[-2], points[-1]
    apart = bool(prev.ci95 and last.ci95 and last.ci95[0] > prev.ci95[1])
    significant = last.score > prev.score and (apart or (span is not None and span[0] > 0))
    return significant and slope > 0, round(slope * 100, 1), span


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


def analyse_curve(
    points: list[CurvePoint],
    *,
    method: str,
    metric: str,
    test_examples: int,
    prompt_strategy: str,
    prompt_score: float,
    prompt_ci95: tuple[float, float] | None = None,
    baselines: LabelBaselines | None = None,
    seconds: float = 0.0,
    seed: int = 0,
) -> CurveResult:
    """Bands, crossover and its range, the "more data" test and extrapolation from measured
    points (pure). Points with per-example run scores get their band from the bootstrap;
    others keep the ``ci95`` they came with."""
    points = sorted(points, key=lambda p: p.size)
    draws = bootstrap_curve(points, seed=seed) if all(p.runs for p in points) else None
    for p, d in zip(points, draws or [], strict=False):
        p.ci95 = _percentiles(d)
    sizes = [p.size for p in points]
    scores = [p.score for p in points]
    cross = find_crossover(sizes, scores, prompt_score)
    lows = [p.ci95[0] if p.ci95 else p.score for p in points]
    highs = [p.ci95[1] if p.ci95 else p.score for p in points]
    rng = (find_crossover(sizes, highs, prompt_score), find_crossover(sizes, lows, prompt_score))
    status = "never" if cross is None else "above_from_start" if cross == sizes[0] else "crosses"
    rising = len(scores) >= 2 and scores[-1] > scores[-2]
    extra = extrapolate_size(sizes, scores, prompt_score) if cross is None and rising else None
    more, gain, span = more_data_gain(points, draws)
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
        more_data=more,
        gain_per_doubling=gain,
        gain_range=span,
        baselines=baselines,
        seconds=seconds,
    )
    result.summary = curve_summary(result)
    return result


def curve_summary(r: CurveResult) -> str:
    return _crossover_sentence(r) + (" " + more_data_sentence(r) if r.more_data else "")


def more_data_sentence(r: CurveResult) -> str:
    span = ""
    if r.gain_range is not None:
        span = f", 95% range {r.gain_range[0]:+.1f} to {r.gain_range[1]:+.1f}"
    return (
        f"More data would likely help: about {r.gain_per_doubling:+.1f} points of {r.metric} "
        f"per doubling of the training set (log-linear fit on the last "
        f"{min(FIT_POINTS, len(r.points))} sizes{span})."
    )


def _crossover_sentence(r: CurveResult) -> str:
    which = "tuned" if r.prompt_strategy == "tuned-prompt" else "best"
    best = f"the {which} prompt ({r.prompt_strategy}, {r.metric} {r.prompt_score:.3f})"
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
