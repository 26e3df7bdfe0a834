"""Benchmark orchestration, statistics, verdict and reports (heavy imports stay lazy).

Public entry points: ``run_benchmark(BenchmarkOptions) -> BenchmarkResults`` and the building
blocks ``evaluate_strategy`` / ``train_strategy`` (see ``advisor.bench.run``).
"""

from __future__ import annotations

from typing import Any

from advisor.bench.schema import BenchmarkOptions, BenchmarkResults, StrategyResult

__all__ = [
    "BenchmarkOptions",
    "BenchmarkResults",
    "StrategyResult",
    "evaluate_strategy",
    "run_benchmark",
    "train_strategy",
]


def __getattr__(name: str) -> Any:
    if name in ("run_benchmark", "evaluate_strategy", "train_strategy"):
        from advisor.bench import run

        return getattr(run, name)
    raise AttributeError(name)
