"""`advisor benchmark`: prompts and fine-tunes on the same data, model and test suite.

A run is a list of stages over one shared ``RunContext`` (``advisor.bench.stages``):

    data -> prompt arms -> tuned prompt -> fine-tunes -> combined arms -> forgetting ->
    curve -> verdict -> report

Each stage skips what ``results.json`` already holds and saves after itself, so ``--resume``
continues where a run stopped. Forgetting runs with ``--forgetting`` (the default), the curve
with ``--curve``; ``CURVE_STAGES`` is the learning curve alone against the prompt strategies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from advisor.bench import stages
from advisor.bench.curve_stage import curve
from advisor.bench.prompt_search import tuned_prompt
from advisor.bench.schema import BenchmarkOptions, BenchmarkResults
from advisor.bench.stages import Stage

CURVE_STAGES: tuple[Stage, ...] = (
    stages.prompt_arms,
    tuned_prompt,
    curve,
    stages.verdict,
    stages.report,
)


def stages_for(options: BenchmarkOptions) -> list[Stage]:
    """The stages after the data stage that ``options`` ask for, in order."""
    out: list[Stage] = [stages.prompt_arms, tuned_prompt, stages.fine_tunes, stages.combined_arms]
    if options.forgetting:
        out.append(stages.forgetting)
    if options.curve:
        out.append(curve)
    return [*out, stages.verdict, stages.report]


def run_benchmark(
    options: BenchmarkOptions, plugins: Any = None, *, only: Sequence[Stage] | None = None
) -> BenchmarkResults:
    """Run the benchmark ``options`` describe (or just the stages ``only`` names, after the
    data stage) and return the results, also written to ``options.output``."""
    if plugins is None:
        from advisor.plugins import get_plugins

        plugins = get_plugins()
    ctx = stages.open_run(options, plugins)
    for stage in only if only is not None else stages_for(options):
        stage(ctx)
    return ctx.results
