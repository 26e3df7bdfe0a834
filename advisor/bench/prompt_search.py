"""The prompt arm tuned like a fine-tune: configurations chosen on the validation split.

A configuration (``PromptConfig``) is a template strategy, a number of demonstrations and how
they are picked. Every candidate that fits the model's context window is scored on the
validation split only (its suites live in their own task folder); the best by the primary
metric (ties: fewer prompt tokens) is then scored once on the test set as ``tuned-prompt``.
The test set never takes part in the choice. Finished candidates are kept in
``results.prompt_search``, so ``--resume`` skips them.

On a large enough validation split the search runs in two rounds (successive halving, as in
Jamieson & Talwalkar 2016): every candidate on the first ``SCREEN_ROWS`` validation rows, then
the ``FINALISTS`` best of them on every row; the choice is made among the finalists only. Most
of the search's cost is the nearest-neighbour prompts, unique per row (no shared prefix to
reuse), so screening on a third of the rows cuts the search to about half.
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
# Two rounds only when the split has over 2 x SCREEN_ROWS rows: a screen on fewer rows than
# that would rank on noise, and on a small split one round costs little anyway.
SCREEN_ROWS = 16
FINALISTS = 4


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


def _pending(
    ctx: RunContext, validation: TaskData, configs: list[PromptConfig], round_name: str
) -> list[tuple[PromptConfig, Arm]]:
    """``configs`` as written validation suites (those that fit the context window). All are
    written before any is scored: the runner indexes its task folder once."""
    pending: list[tuple[PromptConfig, Arm]] = []
    for config in configs:
        slug = f"val{round_name}_{config.strategy}_k{config.shots}_{config.selection}"
        suite = build(ctx, config, validation, task_name(ctx.train.name, slug))
        if fits(ctx.model(), suite):
            pending.append(
                (config, Arm(suite, ctx.runner.write_task(suite, ctx.validation_task_dir)))
            )
    return pending


def _score(ctx: RunContext, config: PromptConfig, arm: Arm) -> PromptCandidate:
    o = ctx.options
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
    return PromptCandidate(
        config=config,
        validation_score=result.metrics[PRIMARY_METRIC[ctx.train.task_type]],
        metrics=result.metrics,
        prompt_tokens=result.prompt_tokens or 0.0,
        seconds=result.seconds,
        rows=len(arm.suite.docs),
    )


def _first_round(ctx: RunContext, rows: TaskData, round_name: str) -> None:
    """Every configuration not scored yet (up to ``--prompt-configs``), on ``rows``."""
    results = ctx.results
    done = {c.config for c in results.prompt_search}
    budget = ctx.options.prompt_configs or len(grid(ctx.train.task_type))
    todo = [c for c in grid(ctx.train.task_type) if c not in done]
    todo = todo[: max(0, budget - len(results.prompt_search))]
    for config, arm in _pending(ctx, rows, todo, round_name):
        results.prompt_search.append(_score(ctx, config, arm))
        ctx.save()


def _final_round(ctx: RunContext, validation: TaskData) -> list[PromptCandidate]:
    """The FINALISTS best of the screen, each scored again on every validation row."""
    full = len(validation.examples)
    finalists = sorted(ctx.results.prompt_search, key=_rank, reverse=True)[:FINALISTS]
    todo = [c.config for c in finalists if c.rows != full]
    by_config = {c.config: c for c in finalists}
    for config, arm in _pending(ctx, validation, todo, ""):
        screened = by_config[config]
        final = _score(ctx, config, arm)
        final.screen_score = screened.validation_score
        final.seconds += screened.seconds
        index = ctx.results.prompt_search.index(screened)
        ctx.results.prompt_search[index] = by_config[config] = final
        ctx.save()
    return [by_config[c.config] for c in finalists]


def search(ctx: RunContext, validation: TaskData) -> list[PromptCandidate]:
    """Score the candidates not scored yet (up to ``--prompt-configs`` of them) on the
    validation split, in one round or two (see the module docstring); returns every
    candidate, the chosen one marked."""
    results = ctx.results
    rows = len(validation.examples)
    two_rounds = rows > 2 * SCREEN_ROWS
    screen = validation.model_copy(update={"examples": validation.examples[:SCREEN_ROWS]})
    _first_round(ctx, screen if two_rounds else validation, "s" if two_rounds else "")
    if not results.prompt_search:
        raise UsageError("no prompt configuration fits the model's context window")
    finalists = _final_round(ctx, validation) if two_rounds else results.prompt_search
    best = choose(finalists)
    for c in results.prompt_search:
        c.chosen = c is best
    return results.prompt_search


def _rank(c: PromptCandidate) -> tuple[float, float]:
    """Round one's order (a finalist keeps its screen score, so a resumed run picks the same
    finalists); ties go to the shorter prompt."""
    score = c.screen_score if c.screen_score is not None else c.validation_score
    return (score, -c.prompt_tokens)


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


def _rows_scored(c: PromptCandidate, rows: int) -> int:
    return (c.rows or rows) + (SCREEN_ROWS if c.screen_score is not None else 0)


def _budget(ctx: RunContext, candidates: list[PromptCandidate]) -> ArmBudget:
    rows = len(ctx.validation.examples) if ctx.validation is not None else 0
    return ArmBudget(
        validation_rows=rows,
        configurations=max(len(candidates), 1),
        seconds=sum(c.seconds for c in candidates),
        # A finalist was scored twice: on the screen's rows, then on all of them.
        tokens=sum(c.prompt_tokens * _rows_scored(c, rows) for c in candidates),
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
