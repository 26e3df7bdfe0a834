"""The built-in benchmark runner: scores a generated task with lm-eval's Python API.

lm-eval, torch and transformers are imported only when ``run`` is called.
"""

from __future__ import annotations

from typing import Any

from advisor.components import BenchmarkRunner
from advisor.hookspecs import hookimpl

ADVISOR_HOOKSPEC = "1.0"


def _run(*args: Any, **kwargs: Any) -> Any:
    from advisor_lmeval.runner import run

    return run(*args, **kwargs)


@hookimpl
def advisor_benchmarks() -> list[BenchmarkRunner]:
    return [
        BenchmarkRunner(
            name="lmeval",
            description="lm-eval harness (simple_evaluate with log_samples) on an in-memory model.",
            run=_run,
        )
    ]
