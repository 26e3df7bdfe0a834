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

This module is the pure part (subsets, crossover, extrapolation, SVG); the benchmark's curve
stage (``advisor.bench.curve_stage``) trains and scores the points.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from advisor.bench.schema import CurvePoint, CurveResult
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
