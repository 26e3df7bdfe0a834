"""Benchmark orchestration, statistics, verdict and reports (heavy imports stay lazy).

Public entry points: ``run_benchmark(BenchmarkOptions) -> BenchmarkResults`` (the stages are in
``advisor.bench.stages``) and the building blocks ``evaluate_strategy`` / ``train_strategy``
(see ``advisor.bench.arms``).
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
    if name == "run_benchmark":
        from advisor.bench.run import run_benchmark

        return run_benchmark
    if name in ("evaluate_strategy", "train_strategy"):
        from advisor.bench import arms

        return getattr(arms, name)
    raise AttributeError(name)
