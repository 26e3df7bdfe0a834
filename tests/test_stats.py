"""Paired significance tests against values computed by hand."""

from __future__ import annotations

import math
import random

import pytest

from advisor.bench.stats import mcnemar_exact, mean_ci, paired_bootstrap


def test_mcnemar_exact_matches_binomial_by_hand():
    # 3 pairs only B right, 1 only A right: p = 2 * P(X >= 3 | n=4, 1/2) = 2 * 5/16.
    a = [0, 0, 0, 1, 1, 1]
    b = [1, 1, 1, 0, 1, 1]
    p, b_only, a_only = mcnemar_exact(a, b)
    assert (b_only, a_only) == (3, 1)
    assert p == pytest.approx(0.625)


def test_mcnemar_exact_significant_case():
    # 10 vs 2 discordant: p = 2 * (C(12,0)+C(12,1)+C(12,2)) / 2^12 = 158/4096.
    a = [False] * 10 + [True] * 2 + [True] * 30
    b = [True] * 10 + [False] * 2 + [True] * 30
    p, b_only, a_only = mcnemar_exact(a, b)
    assert (b_only, a_only) == (10, 2)
    assert p == pytest.approx(158 / 4096)


def test_mcnemar_no_discordant_pairs_is_one():
    assert mcnemar_exact([1, 0, 1], [1, 0, 1])[0] == 1.0
    with pytest.raises(ValueError):
        mcnemar_exact([1], [1, 0])


def test_paired_bootstrap_identical_scores():
    diff, ci, p = paired_bootstrap([0.5, 0.2, 0.9], [0.5, 0.2, 0.9])
    assert diff == 0 and ci == (0.0, 0.0) and p == 1.0


def test_paired_bootstrap_agrees_with_normal_approximation():
    rng = random.Random(1)
    a = [rng.random() for _ in range(400)]
    b = [x + rng.gauss(0.1, 0.3) for x in a]
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    mean = sum(diffs) / len(diffs)
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1))
    half = 1.96 * sd / math.sqrt(len(diffs))
    observed, (lo, hi), p = paired_bootstrap(a, b, iterations=20_000, seed=3)
    assert observed == pytest.approx(mean)
    assert lo == pytest.approx(mean - half, abs=0.01)
    assert hi == pytest.approx(mean + half, abs=0.01)
    # z = mean / (sd/sqrt(n)) is about 6: far beyond anything 20,000 resamples can reach.
    assert p == pytest.approx(1 / 20_000)


def test_paired_bootstrap_not_significant_when_noise_only():
    rng = random.Random(2)
    a = [rng.random() for _ in range(200)]
    b = [x + rng.choice([-0.1, 0.1]) for x in a]
    _, (lo, hi), p = paired_bootstrap(a, b, seed=0)
    assert lo < 0 < hi
    assert p > 0.05


def test_mean_ci_brackets_mean():
    values = [1.0] * 30 + [0.0] * 70
    lo, hi = mean_ci(values)
    assert lo < 0.3 < hi
    assert hi - lo == pytest.approx(2 * 1.96 * math.sqrt(0.3 * 0.7 / 100), abs=0.03)
