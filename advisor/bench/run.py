"""`advisor benchmark`: prompts and fine-tunes on the same data, model and lm-eval task.

Flow: data -> tasks (one lm-eval YAML per prompt strategy) -> model (loaded once) -> each
strategy (evaluate, or train then evaluate on the zero-shot task) -> paired statistics ->
advice and verdict -> results.json and reports. ``results.json`` is rewritten after every
strategy, so ``resume`` skips what is done.

``evaluate_strategy`` and ``train_strategy`` are the building blocks for other experiments
(a learning curve trains on nested subsets; a forgetting check scores a general task before
and after tuning).
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from advisor.bench.curve import (
    DEFAULT_SIZES,
    CurveResult,
    analyse_curve,
    measure_points,
    resolve_sizes,
)
from advisor.bench.inputs import Plan, load_data, resolve_strategies
from advisor.bench.overfitting import overfitting_from_result
from advisor.bench.progress import phase
from advisor.bench.schema import (
    BenchmarkOptions,
    BenchmarkResults,
    DataSummary,
    ExampleResult,
    StrategyResult,
)
from advisor.bench.stats import mean_ci
from advisor.bench.suites import PRIMARY_METRIC, task_name
from advisor.components import (
    BenchmarkRunner,
    LoadedModel,
    PromptStrategy,
    SuiteOptions,
    TaskData,
    TrainConfig,
    TrainingBackend,
    TrainResult,
)
from advisor.errors import UsageError
from advisor.files import write_atomic
from advisor.methods import PLAIN_PROMPT
from advisor.report.benchmark.charts import curve_svg

RESULTS = "results.json"
CURVE_SVG = "curve.svg"
TASKS = "tasks"
FINETUNES = "finetunes"
# Fine-tunes are trained and scored on the plain prompt's format (its strategy has its name).
ZERO_SHOT = PLAIN_PROMPT


# ------------------------------------------------------------------ building blocks


def build_tasks(
    train: TaskData,
    test: TaskData,
    strategies: list[PromptStrategy],
    task_dir: Path,
    *,
    runner: BenchmarkRunner,
    shots: int,
    seed: int,
) -> dict[str, str]:
    """Write one task per strategy (as ``runner`` wants it); returns strategy -> task name."""
    names: dict[str, str] = {}
    for s in strategies:
        if s.build_suite is None:
            raise UsageError(f"strategy '{s.name}' builds no prompt suite")
        options = SuiteOptions(name=task_name(train.name, s.name), shots=shots, seed=seed)
        names[s.name] = runner.write_task(s.build_suite(train, test, options), task_dir)
    return names


def read_docs(task_dir: Path, task: str) -> list[dict[str, Any]]:
    path = task_dir / f"{task}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def evaluate_strategy(
    loaded: LoadedModel,
    runner: BenchmarkRunner,
    task_dir: Path,
    task: str,
    *,
    name: str,
    kind: str,
    artifact: str | Path | None = None,
    batch_size: int = 8,
    progress: bool = True,
) -> StrategyResult:
    """Score the model (optionally with a fine-tune attached) on one generated task."""
    with phase(f"evaluate {name}", enabled=progress) as tick:
        out = runner.run(
            loaded, task_dir, task, artifact=artifact, batch_size=batch_size, on_progress=tick
        )
    examples: list[ExampleResult] = out["examples"]
    docs = read_docs(task_dir, task)
    tok = loaded.tokenizer
    prompt_tokens = sum(len(tok(d["prompt"])["input_ids"]) for d in docs) / max(len(docs), 1)
    ci = {m: mean_ci([e.scores[m] for e in examples if m in e.scores]) for m in out["metrics"]}
    return StrategyResult(
        name=name,
        kind=kind,  # type: ignore[arg-type]
        task=task,
        metrics=out["metrics"],
        ci95=ci,
        n=len(examples),
        seconds=out["seconds"],
        eval_seconds=out["seconds"],
        prompt_tokens=prompt_tokens,
        artifact=str(artifact) if artifact else None,
        examples=examples,
    )


def train_strategy(
    loaded: LoadedModel,
    backend: TrainingBackend,
    train: TaskData,
    output_dir: Path,
    *,
    epochs: float | None = None,
    max_steps: int | None = None,
    seed: int = 0,
    resume: bool = False,
    progress: bool = True,
) -> TrainResult:
    """Fine-tune through a training backend; the shared base must come back unchanged."""
    values: dict[str, Any] = {**backend.defaults, "method": backend.method, "seed": seed}
    values["epochs"] = epochs if epochs is not None else 1.0
    if max_steps is not None:
        values["max_steps"] = max_steps
    config = TrainConfig.model_validate(
        {k: v for k, v in values.items() if k in TrainConfig.model_fields}
    )
    return backend.train(loaded, train, config, output_dir, resume=resume, progress=progress)


def score_baseline(strategy: PromptStrategy, train: TaskData, test: TaskData) -> StrategyResult:
    """A strategy without a language model (e.g. TF-IDF + logistic regression)."""
    from advisor.bench.task_metrics import score

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


def load_base(name: str | None, plugins: Any) -> LoadedModel:
    """The model every strategy shares: a plugin model source by name, else a folder."""
    for source in plugins.models():
        if name in (None, source.name) and source.available:
            return source.load()
    try:
        from advisor_peft.models import load_model
    except ImportError:
        raise UsageError(f"no model source provides '{name or 'the default model'}'") from None
    return load_model(name)


def save_results(results: BenchmarkResults, run_dir: Path) -> None:
    write_atomic(run_dir / RESULTS, results.model_dump_json(indent=1))


def load_results(run_dir: Path) -> BenchmarkResults | None:
    path = run_dir / RESULTS
    if not path.exists():
        return None
    try:
        return BenchmarkResults.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise UsageError(
            f"{path} is not a results file of this version: {str(err).splitlines()[0]}"
        ) from None


@contextlib.contextmanager
def tuned_model(loaded: LoadedModel, artifact: str | Path) -> Iterator[Any]:
    """The fine-tuned model as the runner scores it; the shared base comes back unchanged."""
    try:
        from advisor_lmeval.runner import attached
    except ImportError:
        attached = None
    if attached is not None:
        with attached(loaded, artifact) as tuned:
            yield tuned
        return
    path = Path(artifact)
    if (path / "adapter_config.json").exists():
        from peft import PeftModel

        yield PeftModel.from_pretrained(copy.deepcopy(loaded.model), str(path)).merge_and_unload()
        return
    from transformers import AutoModelForCausalLM

    yield AutoModelForCausalLM.from_pretrained(str(path))


def score_ability(
    loaded: LoadedModel,
    artifact: str | Path | None = None,
    *,
    name: str = "base",
    progress: bool = True,
) -> list[bool]:
    """Per-item results on the shipped general-ability check, base or with a fine-tune."""
    from advisor.bench.forgetting import ability_results

    with phase(f"general ability {name}", enabled=progress):
        if artifact is None:
            return ability_results(loaded.model, loaded.tokenizer)
        with tuned_model(loaded, artifact) as tuned:
            return ability_results(tuned, loaded.tokenizer)


def _ability_before(results: BenchmarkResults, loaded: LoadedModel, progress: bool) -> None:
    if results.general_ability_before is None:
        results.general_ability_before = score_ability(loaded, progress=progress)


def forgetting_summary(results: BenchmarkResults) -> dict[str, Any] | None:
    """ForgettingReport over every fine-tune scored after training (as a dict)."""
    from advisor.bench.forgetting import forgetting_report

    after = {
        s.name: s.general_ability
        for s in results.strategies
        if s.kind == "fine-tune" and s.general_ability is not None
    }
    if results.general_ability_before is None or not after:
        return None
    return forgetting_report(results.general_ability_before, dict(after)).model_dump(mode="json")


def run_learning_curve(
    results: BenchmarkResults,
    options: BenchmarkOptions,
    plan: Plan,
    model: Callable[[], LoadedModel],
    runner: BenchmarkRunner,
    train: TaskData,
    tasks: dict[str, str],
    task_dir: Path,
    run_dir: Path,
) -> CurveResult:
    """The first training backend on nested subsets, against the best prompt strategy.

    Each size is saved to ``results.curve_points`` as it finishes, so --resume continues the
    curve; the 'all' size is always the benchmark's own fine-tune of that backend (no retraining).
    """
    start = time.perf_counter()
    metric = results.primary_metric
    backend = plan.fine_tunes[0]
    prompts = [s for s in results.strategies if s.kind == "prompt"]
    best = max(prompts, key=lambda r: r.metrics.get(metric, 0.0))
    reuse = results.get(backend.name)
    sizes = list(options.curve_sizes or DEFAULT_SIZES)
    if reuse is not None and reuse.train and None not in sizes:
        sizes.append(None)  # the benchmark's own fine-tune on all the data: a free last point
    wanted = set(resolve_sizes(sizes, len(train.examples)))
    results.curve_points = [p for p in results.curve_points if p.size in wanted]

    def keep(point: Any) -> None:
        results.curve_points.append(point)
        save_results(results, run_dir)

    todo = wanted - {p.size for p in results.curve_points}
    needs_model = any(not (n == len(train.examples) and reuse and reuse.train) for n in todo)
    points = measure_points(
        model() if needs_model else None,
        backend,
        runner,
        train,
        task_dir,
        tasks[ZERO_SHOT],
        best,
        metric,
        run_dir / "curve",
        sizes=sizes,
        seed=options.seed,
        epochs=options.epochs,
        max_steps=options.max_steps,
        batch_size=options.batch_size,
        progress=options.progress,
        resume=options.resume,
        done=results.curve_points,
        reuse_all=reuse,
        on_point=keep,
    )
    results.seconds["curve"] = results.seconds.get("curve", 0.0) + time.perf_counter() - start
    return analyse_curve(
        points,
        method=backend.name,
        metric=metric,
        test_examples=results.data.test_examples,
        prompt_strategy=best.name,
        prompt_score=best.metrics.get(metric, 0.0),
        prompt_ci95=best.ci95.get(metric),
        seconds=round(results.seconds["curve"], 1),
    )


def rated_challenges(profile: Any) -> dict[str, str]:
    """What `advisor recommend` rated each challenge for this profile (name -> rating)."""
    try:
        from advisor.engine import recommend

        rec = recommend(profile)
    except Exception:  # the measured values still stand without the guesses
        return {}
    return {c.name: str(getattr(c.rating, "value", c.rating)) for c in rec.challenges}


# ------------------------------------------------------------------ orchestration


def _check_resume(previous: BenchmarkResults, results: BenchmarkResults, run_dir: Path) -> None:
    same = ("data", "test", "model", "limit", "train_limit", "seed", "shots", "epochs", "max_steps")
    old, new = previous.options, results.options
    changed = [k for k in same if getattr(old, k) != getattr(new, k)]
    if changed or previous.data != results.data:
        what = ", ".join(changed) or "data"
        raise UsageError(f"{run_dir} holds a benchmark with different {what}; use another --output")


def run_benchmark(options: BenchmarkOptions, plugins: Any = None) -> BenchmarkResults:
    """Run every strategy in ``options`` and return (and write) the results."""
    from advisor.bench.advice import advise, attach_costs
    from advisor.bench.challenges import measured_challenges
    from advisor.bench.verdict import compare, decide
    from advisor.report.benchmark import write_reports

    if plugins is None:
        from advisor.plugins import get_plugins

        plugins = get_plugins()
    t0 = time.perf_counter()
    if options.threads:
        import torch

        # On shared, oversubscribed cores one thread can beat two spinning OpenMP threads.
        torch.set_num_threads(options.threads)
    train, test = load_data(
        options.data,
        options.test,
        limit=options.limit,
        train_limit=options.train_limit,
        seed=options.seed,
        test_fraction=options.test_fraction,
    )
    plan: Plan = resolve_strategies(options.strategies, train.task_type, plugins)
    runners = {r.name: r for r in plugins.benchmarks()}
    if options.runner not in runners:
        raise UsageError(
            f"unknown benchmark runner '{options.runner}'; available: {', '.join(runners) or 'none'}"
        )
    runner = runners[options.runner]
    if options.curve and not plan.fine_tunes:
        raise UsageError("--curve needs a training backend in --strategies (e.g. lora)")
    if options.curve and not plan.prompts:
        raise UsageError("--curve compares with a prompt strategy; add one to --strategies")

    run_dir = options.output
    task_dir = run_dir / TASKS
    results = BenchmarkResults(
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
        task_dir=str(task_dir),
    )
    previous = load_results(run_dir)
    if previous is not None:
        if not options.resume:
            raise UsageError(
                f"{run_dir} already holds a benchmark; add --resume or use another --output"
            )
        _check_resume(previous, results, run_dir)
        results.strategies = [s for s in previous.strategies if s.name in plan.names]
        results.model, results.model_params_b = previous.model, previous.model_params_b
        results.seconds = dict(previous.seconds)
        results.general_ability_before = previous.general_ability_before
        results.curve_points = list(previous.curve_points)
    done = {s.name for s in results.strategies}

    # Tasks: the prompt strategies', plus zero-shot whenever a fine-tune will be scored.
    prompt_like = list(plan.prompts)
    if plan.fine_tunes and all(s.name != ZERO_SHOT for s in prompt_like):
        prompt_like.append(next(s for s in plugins.prompt_strategies() if s.name == ZERO_SHOT))
    tasks = build_tasks(
        train, test, prompt_like, task_dir, runner=runner, shots=options.shots, seed=options.seed
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    save_results(results, run_dir)

    todo = [n for n in plan.names if n not in done]
    loaded: LoadedModel | None = None

    def model() -> LoadedModel:
        """The shared base, loaded on first need (a resumed run may need none)."""
        nonlocal loaded
        if loaded is None:
            start = time.perf_counter()
            with phase("load model", enabled=options.progress):
                loaded = load_base(options.model, plugins)
            results.seconds["load_model"] = time.perf_counter() - start
            results.model = loaded.name
            results.model_params_b = _params_b(loaded)
        return loaded

    if any(n not in {b.name for b in plan.baselines} for n in todo):
        model()

    for strategy in plan.prompts:
        if strategy.name in done:
            continue
        result = evaluate_strategy(
            model(),
            runner,
            task_dir,
            tasks[strategy.name],
            name=strategy.name,
            kind="prompt",
            batch_size=options.batch_size,
            progress=options.progress,
        )
        results.strategies.append(result)
        save_results(results, run_dir)
    for strategy in plan.baselines:
        if strategy.name not in done:
            results.strategies.append(score_baseline(strategy, train, test))
            save_results(results, run_dir)
    for backend in plan.fine_tunes:
        if backend.name in done:
            continue
        out_dir = run_dir / FINETUNES / backend.name
        start = time.perf_counter()
        trained = train_strategy(
            model(),
            backend,
            train,
            out_dir,
            epochs=options.epochs,
            max_steps=options.max_steps,
            seed=options.seed,
            resume=options.resume,
            progress=options.progress,
        )
        train_seconds = time.perf_counter() - start
        result = evaluate_strategy(
            model(),
            runner,
            task_dir,
            tasks[ZERO_SHOT],
            name=backend.name,
            kind="fine-tune",
            artifact=trained.output_dir,
            batch_size=options.batch_size,
            progress=options.progress,
        )
        result.train = trained.model_dump(mode="json")
        result.seconds = train_seconds + result.eval_seconds
        result.overfitting = overfitting_from_result(trained)
        if options.forgetting:
            _ability_before(results, model(), options.progress)
            result.general_ability = score_ability(
                model(), trained.output_dir, name=backend.name, progress=options.progress
            )
        results.strategies.append(result)
        save_results(results, run_dir)

    # Fine-tunes finished by an older run (or with --no-forgetting) get their measurements now.
    for s in results.strategies:
        if s.kind != "fine-tune":
            continue
        if s.overfitting is None and s.train:
            s.overfitting = overfitting_from_result(TrainResult.model_validate(s.train))
        if options.forgetting and s.general_ability is None and s.artifact:
            _ability_before(results, model(), options.progress)
            s.general_ability = score_ability(
                model(), s.artifact, name=s.name, progress=options.progress
            )
            save_results(results, run_dir)
    if options.forgetting:
        results.forgetting = forgetting_summary(results)

    if options.curve:
        results.curve = run_learning_curve(
            results, options, plan, model, runner, train, tasks, task_dir, run_dir
        )
        write_atomic(run_dir / CURVE_SVG, curve_svg(results.curve))

    order = {n: i for i, n in enumerate(plan.names)}
    results.strategies.sort(key=lambda s: order.get(s.name, len(order)))
    profile, advice = advise(results, options)
    results.profile = profile.model_dump(mode="json")
    results.recommendation = advice
    attach_costs(results, profile, loaded, test)
    results.comparison = compare(results.strategies, results.primary_metric, seed=options.seed)
    results.verdict = decide(results.comparison, advice, options.alpha)
    results.challenges = measured_challenges(results, rated_challenges(profile))
    results.seconds["total"] = results.seconds.get("total", 0.0) + time.perf_counter() - t0
    results.complete = True
    save_results(results, run_dir)
    write_reports(results, run_dir)
    return results


def _params_b(loaded: LoadedModel) -> float | None:
    try:
        return sum(p.numel() for p in loaded.model.parameters()) / 1e9
    except Exception:  # a model object without parameters(): size unknown
        return None
