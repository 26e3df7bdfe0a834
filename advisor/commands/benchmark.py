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
    help="Examples in the few-shot prompt.",
)
@click.option(
    "--epochs",
    type=field_number(BenchmarkOptions, "epochs"),
    help="Fine-tune epochs [default: 1].",
)
@click.option(
    "--max-steps",
    type=field_number(BenchmarkOptions, "max_steps"),
    help="Stop fine-tuning after this many steps.",
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
    """
    options = _validated_options(kw)
    from advisor.bench.run import run_benchmark

    results = run_benchmark(options)
    if kw["as_json"]:
        click.echo(results.model_dump_json(indent=1))
        return
    _print_summary(results, options.output)


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
            model=kw["model"],
            strategies=_strategies(kw["strategies"]),
            limit=kw["limit"],
            train_limit=kw["train_limit"],
            seed=kw["seed"],
            output=output,
            resume=kw["resume"],
            shots=kw["shots"],
            epochs=kw["epochs"],
            max_steps=kw["max_steps"],
            batch_size=kw["batch_size"],
            threads=kw["threads"],
            profile=kw["profile_file"],
            profile_values=profile_values,
            progress=not kw["quiet"] and not kw["as_json"],
            forgetting=kw["forgetting"],
            curve=kw["curve"] or kw["curve_sizes"] is not None,
            curve_sizes=_curve_sizes(kw["curve_sizes"]),
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
    for flag, path in (("--data", options.data), ("--test", options.test)):
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

    console = Console()
    m = results.primary_metric
    table = Table(title=f"{results.data.name}: {m} on {results.data.test_examples} test examples")
    for col in ("strategy", "kind", m, "95% CI", "$ / 1k queries", "seconds"):
        table.add_column(col)
    for s in results.strategies:
        lo, hi = s.ci95.get(m, (float("nan"), float("nan")))
        cost = "n/a" if s.usd_per_1k_queries is None else f"{s.usd_per_1k_queries:.3g}"
        table.add_row(
            s.name,
            s.kind,
            f"{s.metrics.get(m, float('nan')):.3f}",
            f"[{lo:.3f}, {hi:.3f}]",
            cost,
            f"{s.seconds:.0f}",
        )
    console.print(table)
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
