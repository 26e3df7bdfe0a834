"""The stages of a benchmark: data -> prompt arms -> tuned prompt -> fine-tunes -> combined
arms -> forgetting -> curve -> verdict -> report (the tuned prompt's search is in
``advisor.bench.prompt_search``, the curve stage in ``advisor.bench.curve_stage``).

``open_run`` is the data stage: it builds the ``RunContext`` the other stages share. Every
other stage is a function of that context which skips what ``results.json`` already holds
(a resumed run) and saves the results after its own work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from advisor.bench import arms, classification, prompt_search
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
from advisor.bench.endpoints import check_endpoints
from advisor.bench.forgetting import ForgettingReport, forgetting_report
from advisor.bench.inputs import Lineup, load_data, resolve_strategies
from advisor.bench.overfitting import overfitting_from_result
from advisor.bench.resources import measure
from advisor.bench.schema import (
    ArmBudget,
    BenchmarkOptions,
    BenchmarkResults,
    DataSummary,
    StrategyResult,
)
from advisor.bench.suites import PRIMARY_METRIC, TUNED_PROMPT, combined_name, task_name
from advisor.bench.validation import carve_validation
from advisor.bench.verdict import compare, judge_advice
from advisor.components import PromptStrategy, PromptSuite, SuiteOptions, TaskData
from advisor.data import load_documents
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
    train, validation = carve_validation(train, options.seed)
    lineup = resolve_strategies(
        options.strategies, train.task_type, plugins, combined=options.combined
    )
    if options.curve and not lineup.fine_tunes:
        raise UsageError("--curve needs a training backend in --strategies (e.g. lora)")
    if options.curve and not (lineup.prompts or lineup.bound):
        raise UsageError("--curve compares with a prompt strategy; add one to --strategies")
    results = _new_results(options, train, test, validation)
    previous = load_results(options.output)
    if previous is not None:
        if not options.resume:
            raise UsageError(
                f"{options.output} already holds a benchmark; add --resume or use another --output"
            )
        resume_from(previous, results, lineup)
    runner = plugins.get("runner", options.runner)
    documents = load_documents(options.documents) if options.documents else None
    ctx = RunContext(options, plugins, train, test, lineup, runner, results, validation)
    check_endpoints(options.endpoints)
    for bound in lineup.bound:  # an unknown source fails now, before any arm is scored
        ctx.model_source(bound.source)
        ctx.runner_for(bound.source)
    for strategy in _suite_strategies(lineup, plugins):
        suite_options = SuiteOptions(
            name=task_name(train.name, strategy.name),
            shots=options.shots,
            seed=options.seed,
            documents=documents,
        )
        if strategy.build_suite is None:
            raise UsageError(f"prompt strategy '{strategy.name}' cannot build prompts")
        # A plugin's suite is checked at the boundary (a dict with the same fields passes too).
        suite = PromptSuite.model_validate(strategy.build_suite(train, test, suite_options))
        ctx.arms[strategy.name] = Arm(suite, runner.write_task(suite, ctx.task_dir))
    ctx.run_dir.mkdir(parents=True, exist_ok=True)
    ctx.save()
    return ctx


def _new_results(
    options: BenchmarkOptions, train: TaskData, test: TaskData, validation: TaskData | None
) -> BenchmarkResults:
    return BenchmarkResults(
        options=options,
        model=options.model or "default",
        data=DataSummary(
            name=train.name,
            task_type=train.task_type,
            train_examples=len(train.examples),
            test_examples=len(test.examples),
            validation_examples=len(validation.examples) if validation else 0,
            labels=train.labels,
            train_source=train.source,
            test_source=test.source,
        ),
        primary_metric=PRIMARY_METRIC[train.task_type],
        task_dir=str(options.output / TASKS),
    )


def _suite_strategies(lineup: Lineup, plugins: Any) -> list[PromptStrategy]:
    """The prompt strategies' suites, plus zero-shot's whenever a fine-tune will be scored
    (the tuned prompt's suite waits for its search)."""
    strategies = [s for s in lineup.prompts if s.name != TUNED_PROMPT]
    for bound in lineup.bound:
        if all(s.name != bound.strategy.name for s in strategies):
            strategies.append(bound.strategy)
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
    """Score every named prompt strategy on its suite (on the run's model, or on the model
    its ``@source`` names: the same suite, so the same test examples; the plain prompt for
    reference when only fine-tunes use it), and every baseline, not scored yet."""
    o = ctx.options
    named = [s.name for s in ctx.lineup.prompts if s.name != TUNED_PROMPT]
    arms_to_score = [(n, n, None) for n in [*named, *ctx.lineup.reference]]
    arms_to_score += [(b.name, b.strategy.name, b.source) for b in ctx.lineup.bound]
    for name, strategy, source in arms_to_score:
        if name in ctx.done():
            continue
        result = arms.evaluate_strategy(
            ctx.model(source),
            ctx.runner_for(source),
            ctx.arms[strategy],
            ctx.task_dir,
            name=name,
            kind="prompt",
            batch_size=o.batch_size,
            progress=o.progress,
        )
        result.reference = name in ctx.lineup.reference
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
        result.budget = _training_budget(ctx, result, train_seconds)
        ctx.results.strategies.append(result)
        ctx.save()
    for s in _tuned(ctx.results):
        if s.overfitting is None and s.train:
            s.overfitting = overfitting_from_result(s.train)


def _training_budget(ctx: RunContext, result: StrategyResult, seconds: float) -> ArmBudget:
    """A fine-tune's budget: the validation split it stopped on, its steps and tokens."""
    trained = result.train
    return ArmBudget(
        validation_rows=len(ctx.validation.examples) if ctx.validation else 0,
        seconds=seconds,
        tokens=trained.tokens_per_second * trained.seconds if trained else 0.0,
        steps=trained.steps if trained else None,
    )


def combined_arms(ctx: RunContext) -> None:
    """Each fine-tune scored with the tuned prompt's chosen configuration (k shots, 3C):
    the measurement behind the advice 'prompt-then-fine-tune'."""
    tuned_prompt = ctx.results.get(TUNED_PROMPT)
    for backend in ctx.lineup.fine_tunes:
        name = combined_name(backend.name)
        tuned = ctx.results.get(backend.name)
        if name not in ctx.lineup.combined or name in ctx.done():
            continue
        if tuned is None or not tuned.artifact or tuned_prompt is None:
            continue
        result = arms.evaluate_fine_tune(
            ctx.model(),
            backend,
            tuned.artifact,
            ctx.runner,
            prompt_search.chosen_arm(ctx),
            ctx.task_dir,
            name=name,
            batch_size=ctx.options.batch_size,
            progress=ctx.options.progress,
        )
        result.kind = "combined"
        result.config = tuned_prompt.config
        result.budget = _sum_budgets(tuned_prompt.budget, tuned.budget)
        ctx.results.strategies.append(result)
        ctx.save()


def _sum_budgets(prompt: ArmBudget | None, fine_tune: ArmBudget | None) -> ArmBudget:
    p, f = prompt or ArmBudget(), fine_tune or ArmBudget()
    return ArmBudget(
        validation_rows=max(p.validation_rows, f.validation_rows),
        configurations=p.configurations,
        seconds=p.seconds + f.seconds,
        tokens=p.tokens + f.tokens,
        steps=f.steps,
    )


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
    results.verdict = judge_advice(
        results.comparison, advice, options.alpha, strategies=results.strategies
    )
    results.challenges = measured_challenges(results, rated)
    ctx.save()


def report(ctx: RunContext) -> None:
    """Mark the run complete and write report.md and report.html."""
    seconds = ctx.results.seconds
    seconds["total"] = seconds.get("total", 0.0) + time.perf_counter() - ctx.started
    ctx.results.resources = measure(seconds["total"], ctx.results.resources)
    ctx.results.complete = True
    ctx.save()
    write_reports(ctx.results, ctx.run_dir)
