"""Paired significance tests for two strategies scored on the same test examples."""

from __future__ import annotations

from collections.abc import Sequence


def mcnemar_exact(a_correct: Sequence[bool], b_correct: Sequence[bool]) -> tuple[float, int, int]:
    """Exact McNemar test: a two-sided binomial test on the discordant pairs.

    Returns (p_value, b_only, a_only) where b_only counts examples B got right and A wrong.
    """
    from scipy.stats import binomtest

    if len(a_correct) != len(b_correct):
        raise ValueError("paired results must have the same length")
    b_only = sum(1 for a, b in zip(a_correct, b_correct, strict=True) if b and not a)
    a_only = sum(1 for a, b in zip(a_correct, b_correct, strict=True) if a and not b)
    n = a_only + b_only
    if n == 0:
        return 1.0, b_only, a_only
    return float(binomtest(b_only, n, 0.5, alternative="two-sided").pvalue), b_only, a_only


def _resampled_means(values, iterations: int, seed: int):
    import numpy as np

    arr = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(arr), size=(iterations, len(arr)))
    return arr[idx].mean(axis=1)


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], *, iterations: int = 10_000, seed: int = 0
) -> tuple[float, tuple[float, float], float]:
    """Mean difference (b - a), its 95% percentile interval, and a two-sided p-value.

    Examples are resampled with replacement, keeping each (a, b) pair together. The p-value
    is twice the share of resampled differences on the far side of zero, floored at
    1/iterations; it is 1 when every pair differs by exactly zero.
    """
    import numpy as np

    if len(a) != len(b):
        raise ValueError("paired results must have the same length")
    if len(a) == 0:
        raise ValueError("no paired results")
    diffs = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    observed = float(diffs.mean())
    means = _resampled_means(diffs, iterations, seed)
    lo, hi = (float(x) for x in np.percentile(means, [2.5, 97.5]))
    if np.all(diffs == diffs[0]):
        p = 1.0 if observed == 0 else 1.0 / iterations
    else:
        tail = min(float((means <= 0).mean()), float((means >= 0).mean()))
        p = min(1.0, max(2 * tail, 1.0 / iterations))
    return observed, (lo, hi), p


def mean_ci(
    values: Sequence[float], *, iterations: int = 2_000, seed: int = 0
) -> tuple[float, float]:
    """95% bootstrap interval of a mean (the error bars of the score chart)."""
    import numpy as np

    if len(values) == 0:
        return (0.0, 0.0)
    lo, hi = np.percentile(_resampled_means(values, iterations, seed), [2.5, 97.5])
    return float(lo), float(hi)
