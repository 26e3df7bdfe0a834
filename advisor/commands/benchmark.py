"""`advisor benchmark`: prompting and fine-tuning on the same data and model, scored by lm-eval,
with a paired significance test and a verdict on what `advisor recommend` said.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from advisor.bench.context import RESULTS
from advisor.bench.endpoints import Endpoint, check_endpoints, endpoint_problem, read_endpoints
from advisor.bench.schema import DEFAULT_STRATEGIES, BenchmarkOptions
from advisor.commands._options import field_number, profile_option
from advisor.commands.recommend import add_profile_options
from advisor.errors import DataError, UsageError, excerpt
from advisor.files import check_writable, regular_file
from advisor.profile import Profile, build_profile, read_profile_file

MAX_CURVE_SIZE = 10**9


def _strategies(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise UsageError("--strategies is empty; name at least one, e.g. zero-shot,lora")
    return names


def _endpoints(kw: dict[str, Any]) -> list[Endpoint]:
    """The endpoints of --endpoints FILE and the one --api-base declares (named 'api'),
    checked like every option."""
    base, model = kw["api_base"], kw["api_model"]
    declared = read_endpoints(kw["endpoints_file"]) if kw["endpoints_file"] else []
    if base is None:
        for flag in ("api_model", "api_key_env"):
            if kw[flag] is not None:
                raise UsageError(f"--{flag.replace('_', '-')} needs --api-base (the endpoint URL)")
        return declared
    if model is None:
        raise UsageError("--api-base needs --api-model (the model name the endpoint serves)")
    try:
        return [
            *declared,
            Endpoint(
                base_url=base,
                model=model,
                key_env=kw["api_key_env"],
                concurrency=kw["api_concurrency"],
                timeout_s=kw["api_timeout"],
                max_retries=kw["api_retries"],
                scoring=kw["api_scoring"],
            ),
        ]
    except ValidationError as err:
        field, problem = endpoint_problem(err)
        flag = {"base_url": "--api-base", "model": "--api-model", "key_env": "--api-key-env"}
        raise UsageError(f"{flag.get(field, field)}: {problem}") from None


def _is_size(part: str) -> bool:
    """ASCII digits (``isdigit`` alone takes '²') of a number from 1 to MAX_CURVE_SIZE."""
    digits = part.lstrip("0")
    return (
        part.isascii()
        and part.isdigit()
        and 0 < len(digits) <= 10
        and int(digits) <= MAX_CURVE_SIZE
    )


def _curve_sizes(value: str | None) -> list[int | None] | None:
    """'16,64,256,all' -> [16, 64, 256, None] (None = all the training data)."""
    if value is None:
        return None
    sizes: list[int | None] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        if part.lower() == "all":
            sizes.append(None)
        elif _is_size(part):
            sizes.append(int(part))
        else:
            raise UsageError(
                f"--curve-sizes: {excerpt(part)} is not a number from 1 to {MAX_CURVE_SIZE:,}"
                " or 'all' (e.g. 16,64,256,all)"
            )
    if not sizes:
        raise UsageError("--curve-sizes is empty; e.g. 16,64,256,all")
    return sizes


@click.command()
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    help="Training data (JSONL/CSV); alone, it is split. Default: the embedded ticket-routing demo.",
)
@click.option("--test", type=click.Path(path_type=Path), help="Test data (same format as --data).")
@click.option(
    "--documents",
    type=click.Path(path_type=Path),
    help="Documents for the rag strategy to retrieve from (JSONL: text, optional id).",
)
@click.option(
    "--model", help="Model source name or local model folder. Default: the embedded SmolLM2-135M."
)
@click.option(
    "--strategies",
    default=",".join(DEFAULT_STRATEGIES),
    show_default=True,
    help="Comma-separated prompt strategies and training backends.",
)
@click.option(
    "--limit",
    type=field_number(BenchmarkOptions, "limit"),
    default=100,
    show_default=True,
    help="Test examples to score (seeded choice).",
)
@click.option(
    "--train-limit",
    type=field_number(BenchmarkOptions, "train_limit"),
    help="Training examples to use (seeded choice). Default: all.",
)
@click.option("--seed", type=field_number(BenchmarkOptions, "seed"), default=0, show_default=True)
@click.option(
    "--output", type=click.Path(path_type=Path), help="Run directory. Default: runs/<timestamp>."
)
@click.option(
    "--resume", is_flag=True, help="Continue a run in --output, skipping finished strategies."
)
@click.option(
    "--shots",
    type=field_number(BenchmarkOptions, "shots"),
    default=5,
    show_default=True,
    help="Examples in the few-shot prompt (and in tuned-prompt's without a validation split).",
)
@click.option(
    "--prompt-configs",
    type=field_number(BenchmarkOptions, "prompt_configs"),
    help="Most prompt configurations the tuned-prompt search scores on the validation split "
    "[default: all, 18 for classification].",
)
@click.option(
    "--combined/--no-combined",
    default=True,
    show_default=True,
    help="Also score each fine-tune with the tuned prompt (<backend>+prompt).",
)
@click.option(
    "--epochs",
    type=field_number(BenchmarkOptions, "epochs"),
    help="A fixed fine-tune budget in epochs [default: train to convergence on the validation split].",
)
@click.option(
    "--max-steps",
    type=field_number(BenchmarkOptions, "max_steps"),
    help="Fine-tune step ceiling [default: 20 epochs, at most 400 steps].",
)
@click.option(
    "--max-minutes",
    type=field_number(BenchmarkOptions, "max_minutes"),
    help="Fine-tune time ceiling, per fine-tune.",
)
@click.option(
    "--min-steps",
    type=field_number(BenchmarkOptions, "min_steps"),
    help="Fine-tune floor: no stop before this step [default: 3 epochs, 8 evaluations].",
)
@click.option(
    "--patience",
    type=field_number(BenchmarkOptions, "patience"),
    help="Validation evaluations without gain before a fine-tune stops [default: 4].",
)
@click.option(
    "--batch-size",
    type=field_number(BenchmarkOptions, "batch_size"),
    default=8,
    show_default=True,
    help="lm-eval batch size.",
)
@click.option(
    "--threads",
    type=field_number(BenchmarkOptions, "threads"),
    help="CPU threads of the model [default: its own choice].",
)
@click.option(
    "--chat-template/--no-chat-template",
    default=False,
    show_default=True,
    help="Wrap every prompt in the model's chat template (the prompt as the user's turn), the "
    "same way in training and in scoring.",
)
@profile_option("Profile file (YAML/TOML/JSON) for the advice.")
@click.option(
    "--forgetting/--no-forgetting",
    default=True,
    show_default=True,
    help="Score general-text loss and a 62-item check before and after each fine-tune.",
)
@click.option(
    "--curve",
    is_flag=True,
    help="Also fine-tune on growing subsets: the learning curve against the best prompt.",
)
@click.option(
    "--curve-sizes",
    help="Training-set sizes of the curve [default: 16,64,256,all]; 'all' (the benchmark's "
    "own fine-tune) is always added.",
)
@click.option(
    "--api-base",
    help="An OpenAI-compatible endpoint (e.g. http://127.0.0.1:8000/v1) as the model source "
    "'api': strategies named like few-shot@api are scored there.",
)
@click.option("--api-model", help="The model name the endpoint serves (needed with --api-base).")
@click.option(
    "--api-key-env",
    help="Environment variable holding the endpoint's API key (the key is never written).",
)
@click.option(
    "--api-concurrency",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="Requests to the endpoint in flight at once.",
)
@click.option(
    "--api-timeout",
    type=click.FloatRange(0, 3600, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds per request.",
)
@click.option(
    "--api-retries",
    type=click.IntRange(0, 20),
    default=4,
    show_default=True,
    help="Retries on HTTP 429/5xx and connection errors (backoff 0.5 s, doubling).",
)
@click.option(
    "--api-scoring",
    type=click.Choice(["generate", "loglikelihood"]),
    default="generate",
    show_default=True,
    help="Classification on the endpoint: read the label from its answer, or compare the "
    "labels' log-likelihoods (servers with /completions echo+logprobs, e.g. vLLM).",
)
@click.option(
    "--endpoints",
    "endpoints_file",
    type=click.Path(path_type=Path),
    help="YAML/TOML/JSON file naming endpoints ({endpoints: {NAME: {base_url, model, key_env}}})"
    " for strategies like few-shot@NAME.",
)
@click.option(
    "--prices",
    type=click.Path(path_type=Path),
    help="Price table (YAML/JSON like the shipped one) for the per-arm costs.",
)
@click.option(
    "--curve-seeds",
    type=field_number(BenchmarkOptions, "curve_seeds"),
    default=3,
    show_default=True,
    help="Seeds (subset and training) of each curve size up to 64; larger sizes train once.",
)
@click.option("--json", "as_json", is_flag=True, help="Print results.json to stdout.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def benchmark(**kw: Any) -> None:
    """Run prompt strategies and fine-tunes on your data, compare, and check the advice.

    \b
    advisor benchmark                                  # embedded demo data
    advisor benchmark --data train.jsonl --test test.jsonl --strategies zero-shot,3c,lora
    advisor benchmark --strategies zero-shot,lora --curve --curve-sizes 16,64,all
    advisor benchmark --api-base http://127.0.0.1:8000/v1 --api-model M \\
        --strategies zero-shot@api,few-shot@api,lora
    """
    options = _validated_options(kw)
    from advisor.bench.run import run_benchmark

    results = run_benchmark(options)
    if kw["as_json"]:
        click.echo(results.model_dump_json(indent=1))
    else:
        _print_summary(results, options.output)
    if results.resources is not None:  # on stderr: --json keeps stdout to the document
        from advisor.bench.resources import describe

        click.echo(describe(results.resources), err=True)


def _validated_options(kw: dict[str, Any]) -> BenchmarkOptions:
    """Every option, the profile and the paths checked before any data, model or strategy
    is touched: a bad value costs a second, not minutes of scoring and training."""
    profile_values = {k: kw.pop(k) for k in list(kw) if k in Profile.model_fields}
    profile_values = {k: v for k, v in profile_values.items() if v is not None}
    if kw["resume"] and kw["output"] is None:
        raise UsageError("--resume needs --output (the run directory to continue)")
    output = kw["output"] or Path("runs") / datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    try:
        options = BenchmarkOptions(
            data=kw["data"],
            test=kw["test"],
            documents=kw["documents"],
            model=kw["model"],
            strategies=_strategies(kw["strategies"]),
            limit=kw["limit"],
            train_limit=kw["train_limit"],
            seed=kw["seed"],
            output=output,
            resume=kw["resume"],
            shots=kw["shots"],
            prompt_configs=kw["prompt_configs"],
            combined=kw["combined"],
            epochs=kw["epochs"],
            max_steps=kw["max_steps"],
            max_minutes=kw["max_minutes"],
            min_steps=kw["min_steps"],
            patience=kw["patience"],
            batch_size=kw["batch_size"],
            threads=kw["threads"],
            chat_template=kw["chat_template"],
            profile=kw["profile_file"],
            profile_values=profile_values,
            progress=not kw["quiet"] and not kw["as_json"],
            forgetting=kw["forgetting"],
            curve=kw["curve"] or kw["curve_sizes"] is not None,
            curve_sizes=_curve_sizes(kw["curve_sizes"]),
            endpoints=_endpoints(kw),
            prices=kw["prices"],
            curve_seeds=kw["curve_seeds"],
        )
    except ValidationError as err:  # the CLI's types hold the same bounds: a Python caller's
        e = err.errors()[0]
        raise UsageError(
            f"invalid benchmark option '{'.'.join(map(str, e['loc']))}': {e['msg']}"
            f" (got {excerpt(e.get('input'))})"
        ) from None
    # The profile's flags and file, as the advice will read them (its data fields come later).
    build_profile(
        {**(read_profile_file(options.profile) if options.profile else {}), **profile_values}
    )
    check_endpoints(options.endpoints)
    if options.prices is not None:
        from advisor.cost import load_prices

        load_prices(options.prices)
    for flag, path in (
        ("--data", options.data),
        ("--test", options.test),
        ("--documents", options.documents),
    ):
        if path is not None:
            regular_file(path, f"{flag} file", DataError)
    check_run_dir(options.output, options.resume)
    return options


def check_run_dir(run_dir: Path, resume: bool) -> None:
    """The run folder can be created or written, and an earlier run in it can be read."""
    check_writable(run_dir, "--output", folder=True)
    results = run_dir / RESULTS
    if results.exists() or results.is_symlink():
        if not results.is_file():
            raise UsageError(
                f"--output {run_dir}: its {RESULTS} is not a file (a folder?); "
                "remove it or use another --output"
            )
        if not resume:
            raise UsageError(
                f"{run_dir} already holds a benchmark; add --resume or use another --output"
            )


def _print_summary(results: Any, output: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from advisor.bench.overfitting import convergence_summary
    from advisor.report.benchmark.tuning import arm_label

    console = Console()
    m = results.primary_metric
    table = Table(title=f"{results.data.name}: {m} on {results.data.test_examples} test examples")
    for col in (
        "strategy",
        "kind",
        "model",
        m,
        "95% CI",
        "$ / 1k queries",
        "p50/p95 ms",
        "seconds",
    ):
        table.add_column(col)
    for s in results.strategies:
        lo, hi = s.ci95.get(m, (float("nan"), float("nan")))
        cost = "n/a" if s.usd_per_1k_queries is None else f"{s.usd_per_1k_queries:.3g}"
        latency = f"{s.latency_ms['p50']:.0f}/{s.latency_ms['p95']:.0f}" if s.latency_ms else "n/a"
        table.add_row(
            arm_label(s),
            s.kind + (" (reference)" if s.reference else ""),
            s.model or results.model,
            f"{s.metrics.get(m, float('nan')):.3f}",
            f"[{lo:.3f}, {hi:.3f}]",
            cost,
            latency,
            f"{s.seconds:.0f}",
        )
    console.print(table)
    for s in results.strategies:
        if s.train is not None:
            line = f"{s.name}: {convergence_summary(s.train)}"
            console.print(line, markup=False, highlight=False)
    v = results.verdict
    if v:
        colour = {"confirmed": "green", "contradicted": "red"}.get(v.outcome, "yellow")
        console.print(
            f"[bold {colour}]{v.outcome.upper()}[/]: {v.explanation}", markup=True, highlight=False
        )
    for c in results.challenges:
        console.print(f"[bold]{c.name}[/]: {c.measured}", markup=True, highlight=False)
    console.print(
        f"Reports: {output / 'report.md'}, {output / 'report.html'}; results: {output / 'results.json'}"
    )


add_profile_options(benchmark)
