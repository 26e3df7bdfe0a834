"""The stages of a benchmark: data -> prompt arms -> fine-tunes -> forgetting -> curve ->
verdict -> report (the curve stage is in ``advisor.bench.curve_stage``).

``open_run`` is the data stage: it builds the ``RunContext`` the other stages share. Every
other stage is a function of that context which skips what ``results.json`` already holds
(a resumed run) and saves the results after its own work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from advisor.bench import arms, classification
from advisor.bench.advice import advise, attach_costs
from advisor.bench.challenges import measured_challenges
from advisor.bench.context import (
    FINETUNES,
    TASKS,
    ZERO_SHOT,
    Arm,
    RunContext,
    load_results,
    resume_from,
)
from advisor.bench.forgetting import ForgettingReport, forgetting_report
from advisor.bench.inputs import Lineup, load_data, resolve_strategies
from advisor.bench.overfitting import overfitting_from_result
from advisor.bench.schema import BenchmarkOptions, BenchmarkResults, DataSummary, StrategyResult
from advisor.bench.suites import PRIMARY_METRIC, task_name
from advisor.bench.verdict import compare, judge_advice
from advisor.components import PromptStrategy, PromptSuite, SuiteOptions, TaskData
from advisor.errors import UsageError
from advisor.report.benchmark import write_reports

Stage = Callable[[RunContext], None]


# ------------------------------------------------------------------ data


def open_run(options: BenchmarkOptions, plugins: Any) -> RunContext:
    """The data stage: data, strategies and runner resolved and checked, an earlier run's
    results carried over (``--resume``), every suite written; nothing is scored yet."""
    train, test = load_data(
        options.data,
        options.test,
        limit=options.limit,
        train_limit=options.train_limit,
        seed=options.seed,
        test_fraction=options.test_fraction,
    )
    lineup = resolve_strategies(options.strategies, train.task_type, plugins)
    if options.curve and not lineup.fine_tunes:
        raise UsageError("--curve needs a training backend in --strategies (e.g. lora)")
    if options.curve and not lineup.prompts:
        raise UsageError("--curve compares with a prompt strategy; add one to --strategies")
    results = _new_results(options, train, test)
    previous = load_results(options.output)
    if previous is not None:
        if not options.resume:
            raise UsageError(
                f"{options.output} already holds a benchmark; add --resume or use another --output"
            )
        resume_from(previous, results, lineup)
    runner = plugins.get("runner", options.runner)
    ctx = RunContext(options, plugins, train, test, lineup, runner, results)
    for strategy in _suite_strategies(lineup, plugins):
        suite_options = SuiteOptions(
            name=task_name(train.name, strategy.name), shots=options.shots, seed=options.seed
        )
        if strategy.build_suite is None:
            raise UsageError(f"prompt strategy '{strategy.name}' cannot build prompts")
        # A plugin's suite is checked at the boundary (a dict with the same fields passes too).
        suite = PromptSuite.model_validate(strategy.build_suite(train, test, suite_options))
        ctx.arms[strategy.name] = Arm(suite, runner.write_task(suite, ctx.task_dir))
    ctx.run_dir.mkdir(parents=True, exist_ok=True)
    ctx.save()
    return ctx


def _new_results(options: BenchmarkOptions, train: TaskData, test: TaskData) -> BenchmarkResults:
    return BenchmarkResults(
        options=options,
        model=options.model or "default",
        data=DataSummary(
            name=train.name,
            task_type=train.task_type,
            train_examples=len(train.examples),
            test_examples=len(test.examples),
            labels=train.labels,
            train_source=train.source,
            test_source=test.source,
        ),
        primary_metric=PRIMARY_METRIC[train.task_type],
        task_dir=str(options.output / TASKS),
    )


def _suite_strategies(lineup: Lineup, plugins: Any) -> list[PromptStrategy]:
    """The prompt strategies' suites, plus zero-shot's whenever a fine-tune will be scored."""
    strategies = list(lineup.prompts)
    if lineup.fine_tunes and all(s.name != ZERO_SHOT for s in strategies):
        found = {s.name: s for s in plugins.prompt_strategies()}
        if ZERO_SHOT not in found:
            raise UsageError(
                f"fine-tunes are trained and scored on the '{ZERO_SHOT}' prompt format, but no "
                f"plugin provides a prompt strategy named '{ZERO_SHOT}' (available: "
                f"{', '.join(sorted(found)) or 'none'})"
            )
        strategies.append(found[ZERO_SHOT])
    return strategies


# ------------------------------------------------------------------ scoring


def prompt_arms(ctx: RunContext) -> None:
    """Score every prompt strategy on its suite, and every baseline, not scored yet."""
    o = ctx.options
    for strategy in ctx.lineup.prompts:
        if strategy.name in ctx.done():
            continue
        result = arms.evaluate_strategy(
            ctx.model(),
            ctx.runner,
            ctx.arms[strategy.name],
            ctx.task_dir,
            name=strategy.name,
            kind="prompt",
            batch_size=o.batch_size,
            progress=o.progress,
        )
        ctx.results.strategies.append(result)
        ctx.save()
    for strategy in ctx.lineup.baselines:
        if strategy.name not in ctx.done():
            ctx.results.strategies.append(arms.score_baseline(strategy, ctx.train, ctx.test))
            ctx.save()


def fine_tunes(ctx: RunContext) -> None:
    """Train each backend not trained yet and score it on the zero-shot suite; measure the
    overfitting of every fine-tune (those of an older run too)."""
    for backend in ctx.lineup.fine_tunes:
        if backend.name in ctx.done():
            continue
        out_dir = ctx.run_dir / FINETUNES / backend.name
        result, train_seconds = arms.train_and_score(ctx, backend, ctx.train, out_dir, backend.name)
        result.seconds = train_seconds + result.eval_seconds
        ctx.results.strategies.append(result)
        ctx.save()
    for s in _tuned(ctx.results):
        if s.overfitting is None and s.train:
            s.overfitting = overfitting_from_result(s.train)


def _tuned(results: BenchmarkResults) -> list[StrategyResult]:
    return [s for s in results.strategies if s.kind == "fine-tune"]


def forgetting(ctx: RunContext) -> None:
    """General ability of the base and after each fine-tune (the multiple-choice check and
    the general-text loss), then the forgetting report."""
    results, progress = ctx.results, ctx.options.progress
    for s in _tuned(results):
        if (s.general_ability is not None and s.general_text_loss is not None) or not s.artifact:
            continue
        if results.general_ability_before is None or results.general_text_loss_before is None:
            before = arms.score_general(ctx.model(), progress=progress)
            results.general_ability_before, results.general_text_loss_before = before
        backend = ctx.backend(s.name)
        after = arms.score_general(ctx.model(), backend, s.artifact, name=s.name, progress=progress)
        s.general_ability, s.general_text_loss = after
        ctx.save()
    results.forgetting = forgetting_summary(results)


def forgetting_summary(results: BenchmarkResults) -> ForgettingReport | None:
    """ForgettingReport over every fine-tune scored after training."""
    tuned = [s for s in _tuned(results) if s.general_ability is not None]
    if results.general_ability_before is None or not tuned:
        return None
    return forgetting_report(
        results.general_ability_before,
        {s.name: s.general_ability for s in tuned if s.general_ability is not None},
        text_before=results.general_text_loss_before,
        text_after={s.name: s.general_text_loss for s in tuned if s.general_text_loss is not None},
    )


# ------------------------------------------------------------------ conclusions


def verdict(ctx: RunContext) -> None:
    """The advice for this data's profile (`recommend`, once), costs, the paired comparison
    of the best prompt and the best fine-tune, the verdict and the measured challenges."""
    results, options = ctx.results, ctx.options
    order = {n: i for i, n in enumerate(ctx.lineup.names)}
    results.strategies.sort(key=lambda s: order.get(s.name, len(order)))
    profile, advice, rated = advise(results, options, ctx.plugins)
    results.profile = profile.model_dump(mode="json")
    results.recommendation = advice
    attach_costs(results, profile, ctx.loaded, ctx.test)
    if ctx.test.task_type == "classification":
        classification.annotate(results.strategies, ctx.test)
        results.label_baselines = classification.label_baselines(ctx.train, ctx.test)
    results.comparison = compare(results.strategies, results.primary_metric, seed=options.seed)
    results.verdict = judge_advice(results.comparison, advice, options.alpha)
    results.challenges = measured_challenges(results, rated)
    ctx.save()


def report(ctx: RunContext) -> None:
    """Mark the run complete and write report.md and report.html."""
    seconds = ctx.results.seconds
    seconds["total"] = seconds.get("total", 0.0) + time.perf_counter() - ctx.started
    ctx.results.complete = True
    ctx.save()
    write_reports(ctx.results, ctx.run_dir)
