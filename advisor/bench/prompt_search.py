"""The prompt arm tuned like a fine-tune: configurations chosen on the validation split.

A configuration (``PromptConfig``) is a template strategy, a number of demonstrations and how
they are picked. Every candidate that fits the model's context window is scored on the
validation split only (its suites live in their own task folder); the best by the primary
metric (ties: fewer prompt tokens) is then scored once on the test set as ``tuned-prompt``.
The test set never takes part in the choice. Finished candidates are kept in
``results.prompt_search``, so ``--resume`` skips them.
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.bench import arms
from advisor.bench.context import Arm, RunContext
from advisor.bench.schema import ArmBudget, PromptCandidate, PromptConfig, StrategyResult
from advisor.bench.suites import PRIMARY_METRIC, TUNED_PROMPT, task_name
from advisor.components import LoadedModel, PromptSuite, SuiteOptions, TaskData
from advisor.errors import UsageError

# The grid (issue 11): k demonstrations as the context allows, picked at random (stratified)
# or as the nearest neighbours of each input, under the plain and the 3C template; chain of
# thought for generation (without demonstrations: the data has no worked reasoning to show).
SHOTS = (0, 1, 2, 4, 8)
SELECTIONS = ("random", "nearest")
PLAIN, PLAIN_ZERO, THREE_C, COT = "few-shot", "zero-shot", "3c", "cot"


def grid(task_type: str) -> list[PromptConfig]:
    """Every candidate for ``task_type``, fewest demonstrations first (a budget cuts the
    longest prompts). The plain template without demonstrations is the zero-shot prompt."""
    out = [PromptConfig(strategy=PLAIN_ZERO, shots=0), PromptConfig(strategy=THREE_C, shots=0)]
    if task_type == "generation":
        out.append(PromptConfig(strategy=COT, shots=0))
    for k in SHOTS[1:]:
        for template in (PLAIN, THREE_C):
            out += [PromptConfig(strategy=template, shots=k, selection=s) for s in SELECTIONS]
    return out


def build(ctx: RunContext, config: PromptConfig, target: TaskData, name: str) -> PromptSuite:
    """The suite of ``config`` for ``target``'s inputs, demonstrations drawn from ctx.train."""
    found = {s.name: s for s in ctx.plugins.prompt_strategies()}
    strategy = found.get(config.strategy)
    if strategy is None or strategy.build_suite is None:
        raise UsageError(
            f"the prompt search needs the prompt strategy '{config.strategy}', which no plugin "
            "provides; run named prompt strategies instead of tuned-prompt"
        )
    options = SuiteOptions(
        name=name, shots=config.shots, selection=config.selection, seed=ctx.options.seed
    )
    return PromptSuite.model_validate(strategy.build_suite(ctx.train, target, options))


def fits(model: LoadedModel, suite: PromptSuite) -> bool:
    """Whether the longest prompt and the longest answer fit the model's context window."""
    window = model.context_window
    if window is None or not suite.docs:
        return True
    prompt = max(model.count_tokens([d.prompt for d in suite.docs]))
    if suite.generation is not None:
        answer = suite.generation.max_tokens
    else:
        answer = max(model.count_tokens([" " + c for c in suite.choices or [""]]))
    return prompt + answer <= window


def choose(candidates: Iterable[PromptCandidate]) -> PromptCandidate:
    """The best validation score; ties go to the shorter prompt, then to the earlier one."""
    ranked = enumerate(candidates)
    return max(ranked, key=lambda ic: (ic[1].validation_score, -ic[1].prompt_tokens, -ic[0]))[1]


def _pending(ctx: RunContext, validation: TaskData) -> list[tuple[PromptConfig, Arm]]:
    """The configurations still to score, within the budget, as written validation suites.
    All are written before any is scored: the runner indexes its task folder once."""
    results = ctx.results
    done = {c.config for c in results.prompt_search}
    budget = ctx.options.prompt_configs or len(grid(ctx.train.task_type))
    pending: list[tuple[PromptConfig, Arm]] = []
    for config in grid(ctx.train.task_type):
        if len(results.prompt_search) + len(pending) >= budget:
            break
        if config in done:
            continue
        slug = f"val_{config.strategy}_k{config.shots}_{config.selection}"
        suite = build(ctx, config, validation, task_name(ctx.train.name, slug))
        if fits(ctx.model(), suite):
            pending.append(
                (config, Arm(suite, ctx.runner.write_task(suite, ctx.validation_task_dir)))
            )
    return pending


def search(ctx: RunContext, validation: TaskData) -> list[PromptCandidate]:
    """Score the candidates not scored yet (up to ``--prompt-configs`` of them) on the
    validation split; returns every candidate, the chosen one marked."""
    o, results = ctx.options, ctx.results
    for config, arm in _pending(ctx, validation):
        result = arms.evaluate_strategy(
            ctx.model(),
            ctx.runner,
            arm,
            ctx.validation_task_dir,
            name=f"{TUNED_PROMPT} candidate {config.label}",
            kind="prompt",
            batch_size=o.batch_size,
            progress=o.progress,
        )
        candidate = PromptCandidate(
            config=config,
            validation_score=result.metrics[PRIMARY_METRIC[ctx.train.task_type]],
            metrics=result.metrics,
            prompt_tokens=result.prompt_tokens or 0.0,
            seconds=result.seconds,
        )
        results.prompt_search.append(candidate)
        ctx.save()
    if not results.prompt_search:
        raise UsageError("no prompt configuration fits the model's context window")
    best = choose(results.prompt_search)
    for c in results.prompt_search:
        c.chosen = c is best
    return results.prompt_search


def chosen_config(ctx: RunContext) -> PromptConfig:
    """The configuration the tuned arm uses: the search's choice, or without a validation
    split (too little data to carve one) the few-shot prompt with the run's --shots."""
    chosen = next((c for c in ctx.results.prompt_search if c.chosen), None)
    if chosen is not None:
        return chosen.config
    return PromptConfig(strategy=PLAIN, shots=ctx.options.shots)


def chosen_arm(ctx: RunContext) -> Arm:
    """The test suite of the chosen configuration, written once per run."""
    if TUNED_PROMPT not in ctx.arms:
        suite = build(ctx, chosen_config(ctx), ctx.test, task_name(ctx.train.name, TUNED_PROMPT))
        ctx.arms[TUNED_PROMPT] = Arm(suite, ctx.runner.write_task(suite, ctx.task_dir))
    return ctx.arms[TUNED_PROMPT]


def _budget(ctx: RunContext, candidates: list[PromptCandidate]) -> ArmBudget:
    rows = len(ctx.validation.examples) if ctx.validation is not None else 0
    return ArmBudget(
        validation_rows=rows,
        configurations=max(len(candidates), 1),
        seconds=sum(c.seconds for c in candidates),
        tokens=sum(c.prompt_tokens * rows for c in candidates),
    )


def tuned_prompt(ctx: RunContext) -> None:
    """The stage: search on the validation split, then score the chosen configuration on
    the test set as the ``tuned-prompt`` arm."""
    if ctx.lineup.tuned_prompt is None or TUNED_PROMPT in ctx.done():
        return
    candidates = search(ctx, ctx.validation) if ctx.validation is not None else []
    o = ctx.options
    result: StrategyResult = arms.evaluate_strategy(
        ctx.model(),
        ctx.runner,
        chosen_arm(ctx),
        ctx.task_dir,
        name=TUNED_PROMPT,
        kind="prompt",
        batch_size=o.batch_size,
        progress=o.progress,
    )
    result.config = chosen_config(ctx)
    chosen = next((c for c in candidates if c.chosen), None)
    result.validation_score = chosen.validation_score if chosen else None
    result.budget = _budget(ctx, candidates)
    ctx.results.strategies.append(result)
    ctx.save()
