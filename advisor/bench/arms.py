"""The building blocks every stage uses: score a suite, train a backend, attach a fine-tune,
score a baseline, check general ability. Each talks to plugins only through their contracts
(``advisor.components``): the runner scores a ``PromptSuite`` on a ``LoadedModel``, a backend
trains and ``attach``-es its artifact for scoring.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from advisor.bench.context import Arm, RunContext
from advisor.bench.forgetting import ability_results, general_text_loss
from advisor.bench.overfitting import overfitting_from_result
from advisor.bench.schema import ExampleResult, StrategyResult
from advisor.bench.stats import mean_ci
from advisor.bench.task_metrics import score
from advisor.components import (
    BenchmarkRunner,
    LoadedModel,
    PromptStrategy,
    RunOutput,
    TaskData,
    TrainConfig,
    TrainingBackend,
    TrainResult,
)
from advisor.errors import UsageError
from advisor.progress import phase


def evaluate_strategy(
    model: LoadedModel,
    runner: BenchmarkRunner,
    arm: Arm,
    task_dir: Path,
    *,
    name: str,
    kind: str,
    artifact: str | Path | None = None,
    batch_size: int = 8,
    progress: bool = True,
) -> StrategyResult:
    """Score ``model`` (the base, or a fine-tune attached to it) on one strategy's suite."""
    with phase(f"evaluate {name}", enabled=progress) as tick:
        raw = runner.run(model, arm.suite, task_dir, batch_size=batch_size, on_progress=tick)
    out = RunOutput.model_validate(raw)  # a plugin's answer is checked at the boundary
    docs = arm.suite.docs
    if out.usage is not None:  # a server's own count beats any estimate
        prompt_tokens = out.usage["prompt_tokens"]
    else:
        prompt_tokens = sum(model.count_tokens([d.prompt for d in docs])) / max(len(docs), 1)
    scores = {m: [e.scores[m] for e in out.examples if m in e.scores] for m in out.metrics}
    return StrategyResult(
        name=name,
        kind=kind,  # type: ignore[arg-type]
        task=arm.task,
        model=model.name,
        latency_ms=out.latency_ms,
        usage=out.usage,
        unparsed=out.unparsed,
        metrics=out.metrics,
        ci95={m: mean_ci(values) for m, values in scores.items()},
        n=len(out.examples),
        seconds=out.seconds,
        eval_seconds=out.seconds,
        prompt_tokens=prompt_tokens,
        artifact=str(artifact) if artifact else None,
        examples=out.examples,
    )


def evaluate_fine_tune(
    base: LoadedModel,
    backend: TrainingBackend,
    artifact: str | Path,
    runner: BenchmarkRunner,
    arm: Arm,
    task_dir: Path,
    *,
    name: str,
    batch_size: int = 8,
    progress: bool = True,
) -> StrategyResult:
    """Score a fine-tune: the backend attaches ``artifact`` to the base for the scoring only."""
    with backend.attach(base, Path(artifact)) as tuned:
        return evaluate_strategy(
            tuned,
            runner,
            arm,
            task_dir,
            name=name,
            kind="fine-tune",
            artifact=artifact,
            batch_size=batch_size,
            progress=progress,
        )


def train_strategy(
    loaded: LoadedModel,
    backend: TrainingBackend,
    train: TaskData,
    output_dir: Path,
    *,
    seed: int = 0,
    resume: bool = False,
    progress: bool = True,
    validation: TaskData | None = None,
    **budget: Any,
) -> TrainResult:
    """Fine-tune through a training backend; the shared base must come back unchanged.

    ``budget``: TrainConfig's epochs, max_steps, max_minutes, min_steps, patience (None = the
    default: train to convergence on ``validation``, or on the backend's own split without it).
    """
    values: dict[str, Any] = {**backend.defaults, "method": backend.method, "seed": seed}
    values.update({k: v for k, v in budget.items() if v is not None})
    config = TrainConfig.model_validate(
        {k: v for k, v in values.items() if k in TrainConfig.model_fields}
    )
    # Only a given split is passed: a third-party backend written before the keyword still runs.
    extra = {"validation": validation} if validation is not None else {}
    return backend.train(
        loaded, train, config, output_dir, resume=resume, progress=progress, **extra
    )


def score_general(
    base: LoadedModel,
    backend: TrainingBackend | None = None,
    artifact: str | Path | None = None,
    *,
    name: str = "base",
    progress: bool = True,
) -> tuple[list[bool], float]:
    """Per-item results on the shipped multiple-choice check and the general-text loss per
    character, of the base or of a fine-tune (attached once for both)."""
    with phase(f"general ability {name}", enabled=progress):
        if backend is None or artifact is None:
            return ability_results(base), general_text_loss(base)
        with backend.attach(base, Path(artifact)) as tuned:
            return ability_results(tuned), general_text_loss(tuned)


def score_baseline(strategy: PromptStrategy, train: TaskData, test: TaskData) -> StrategyResult:
    """A strategy without a language model (e.g. TF-IDF + logistic regression)."""
    if strategy.fit_predict is None:
        raise UsageError(f"baseline '{strategy.name}' has no fit_predict")
    start = time.perf_counter()
    raw = strategy.fit_predict(train, test)
    preds = list(raw)  # the returned sequence may carry a ``metrics`` dict (e.g. its cost)
    seconds = time.perf_counter() - start
    if len(preds) != len(test.examples):
        raise UsageError(
            f"baseline '{strategy.name}' returned {len(preds)} predictions for {len(test.examples)} examples"
        )
    examples = []
    for i, (ex, pred) in enumerate(zip(test.examples, preds, strict=True)):
        if test.task_type == "classification":
            scores = {"acc": float(str(pred).strip() == ex.output)}
        else:
            scores = score(str(pred), ex.output)
        examples.append(
            ExampleResult(doc_id=i, target=ex.output, prediction=str(pred), scores=scores)
        )
    metrics = {m: sum(e.scores[m] for e in examples) / len(examples) for m in examples[0].scores}
    cost = getattr(raw, "metrics", None) or {}
    return StrategyResult(
        name=strategy.name,
        kind="baseline",
        metrics=metrics,
        ci95={m: mean_ci([e.scores[m] for e in examples]) for m in metrics},
        n=len(examples),
        seconds=seconds,
        usd_per_1k_queries=cost.get("cost_per_1k_queries_usd") if isinstance(cost, dict) else None,
        examples=examples,
    )


def train_and_score(
    ctx: RunContext,
    backend: TrainingBackend,
    data: TaskData,
    out_dir: Path,
    name: str,
    *,
    seed: int | None = None,
    validation: TaskData | None = None,
) -> tuple[StrategyResult, float]:
    """Train ``backend`` on ``data`` into ``out_dir`` with the run's options (``seed``: the
    run's seed unless given; ``validation``: the split the stopping rule watches), then score
    the fine-tune on the zero-shot suite; the result carries its training and overfitting.
    Returns it with the training seconds."""
    o = ctx.options
    start = time.perf_counter()
    trained = train_strategy(
        ctx.model(),
        backend,
        data,
        out_dir,
        seed=o.seed if seed is None else seed,
        resume=o.resume,
        progress=o.progress,
        # The run's one validation split (advisor.bench.stages.open_run) unless one is given.
        validation=validation if validation is not None else ctx.validation,
        epochs=o.epochs,
        max_steps=o.max_steps,
        max_minutes=o.max_minutes,
        min_steps=o.min_steps,
        patience=o.patience,
    )
    train_seconds = time.perf_counter() - start
    result = evaluate_fine_tune(
        ctx.model(),
        backend,
        trained.output_dir,
        ctx.runner,
        ctx.zero_shot,
        ctx.task_dir,
        name=name,
        batch_size=o.batch_size,
        progress=o.progress,
    )
    result.train = trained
    result.overfitting = overfitting_from_result(trained)
    return result, train_seconds
