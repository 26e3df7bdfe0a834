"""The built-in benchmark runner: writes a prompt suite as a plain lm-eval task and scores it
with lm-eval's Python API.

lm-eval, torch and transformers are imported only when ``run`` is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.hookspecs import hookimpl

if TYPE_CHECKING:  # the contracts load when a hook is called, not on every start-up
    from advisor.components import BenchmarkRunner, LoadedModel, PromptSuite, RunOutput

ADVISOR_HOOKSPEC = "2.0"


def _write_task(suite: PromptSuite, task_dir: Path) -> str:
    from advisor_lmeval.tasks import write_task

    return write_task(suite, task_dir)


def _run(model: LoadedModel, suite: PromptSuite, task_dir: Path, **kwargs: Any) -> RunOutput:
    from advisor_lmeval.runner import run

    return run(model, suite, task_dir, **kwargs)


@hookimpl
def advisor_benchmarks() -> list[BenchmarkRunner]:
    from advisor.components import BenchmarkRunner

    return [
        BenchmarkRunner(
            name="lmeval",
            description="lm-eval harness (simple_evaluate with log_samples) on an in-memory model.",
            write_task=_write_task,
            run=_run,
        )
    ]
