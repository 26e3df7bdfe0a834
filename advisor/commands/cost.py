"""`advisor cost`: memory, compute, dollars and break-even for a task, without the advice."""

from __future__ import annotations

from typing import Any

import click

from advisor.commands._options import OneLineErrors, field_number, profile_option
from advisor.cost.inputs import CostInputs
from advisor.profile import ModelAccess, Profile, TaskType


@click.command(cls=OneLineErrors)
@profile_option("Task profile (YAML, TOML or JSON); flags below override it.")
@click.option(
    "--model-params-b",
    type=field_number(Profile, "model_params_b"),
    help="Model size in billions of parameters [default: 7].",
)
@click.option(
    "--model-access",
    type=click.Choice([a.value for a in ModelAccess]),
    help="Own the weights, or reach the model only through an API.",
)
@click.option(
    "--gpu-memory-gb",
    type=field_number(Profile, "gpu_memory_gb"),
    help="Memory of your largest GPU in GB; 0 = none (cloud prices are used).",
)
@click.option(
    "--gpu-count", type=field_number(Profile, "gpu_count"), help="How many such GPUs you have."
)
@click.option(
    "--gpu",
    "gpu_type",
    help="GPU type from the price table to price with, e.g. t4-16gb, l4-24gb, a10-24gb, a100-40gb, a100-80gb, h100-80gb [default: the closest to --gpu-memory-gb].",
)
@click.option(
    "--api",
    "api_model",
    help="API model from the price table for --model-access api_only, e.g. openai-gpt-4o-mini, openai-gpt-4o, anthropic-claude-3-5-haiku.",
)
@click.option(
    "--task-type",
    type=click.Choice([t.value for t in TaskType]),
    help="Kind of task; sets the default output length.",
)
@click.option(
    "--examples",
    type=field_number(Profile, "labeled_examples"),
    help="Labeled training examples [default: profile's, 500].",
)
@click.option(
    "--avg-tokens",
    type=field_number(CostInputs, "avg_tokens"),
    help="Average tokens per example, input plus output [default: 256].",
)
@click.option(
    "--epochs",
    type=field_number(CostInputs, "epochs"),
    help="Passes over the training data [default: 3].",
)
@click.option(
    "--monthly-queries",
    type=field_number(Profile, "monthly_queries"),
    help="Production queries per month [default: profile's, 10000].",
)
@click.option(
    "--shots",
    type=field_number(CostInputs, "shots"),
    help="Examples in the few-shot prompt [default: 5].",
)
@click.option(
    "--prompt-tokens",
    type=field_number(CostInputs, "prompt_tokens"),
    help="Tokens of a zero-shot prompt, instruction plus input [default: 200].",
)
@click.option(
    "--output-tokens",
    type=field_number(CostInputs, "output_tokens"),
    help="Generated tokens per query [default: by task type].",
)
@click.option(
    "--horizon-months",
    type=field_number(CostInputs, "horizon_months"),
    help="Months to spread the training cost over [default: 12].",
)
@click.option(
    "--scales-to-zero",
    is_flag=True,
    help="The self-hosted deployment scales to zero when idle: serving is paid per use"
    " [default: at least one always-on GPU instance].",
)
@click.option(
    "--prices",
    "prices_file",
    type=click.Path(dir_okay=False),
    help="Your own price table (YAML or JSON, same structure as the shipped one).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
def cost(
    profile_file: str | None,
    model_params_b: float | None,
    model_access: str | None,
    gpu_memory_gb: float | None,
    gpu_count: int | None,
    gpu_type: str | None,
    api_model: str | None,
    task_type: str | None,
    examples: int | None,
    avg_tokens: int | None,
    epochs: float | None,
    monthly_queries: int | None,
    shots: int | None,
    prompt_tokens: int | None,
    output_tokens: int | None,
    horizon_months: int | None,
    scales_to_zero: bool,
    prices_file: str | None,
    as_json: bool,
) -> None:
    """What adapting a model costs: memory, training compute, dollars, and per-query cost.

    \b
    For a model size it shows the memory each training method needs (full fine-tune,
    LoRA, QLoRA, IA3) and whether it fits your GPU; the FLOPs, GPU-hours and dollars to
    train on your data; what a query costs with a zero-shot prompt, a k-shot prompt and
    a fine-tuned model; and the monthly volume above which the fine-tune is the cheaper
    choice. A self-hosted fine-tune pays for the GPU capacity it is served on (at least one
    always-on instance unless --scales-to-zero); prompts and provider-hosted fine-tunes pay
    the API's token prices. Prices come from a dated snapshot shipped with advisor; pass
    --prices to use your own.

    \b
    Examples:
      advisor cost --model-params-b 7 --gpu-memory-gb 24 --gpu-count 1
      advisor cost --examples 5000 --monthly-queries 200000 --shots 8 --json
      advisor cost --model-access api_only --api openai-gpt-4o-mini
    """
    from advisor.cost import build_inputs, estimate, load_prices
    from advisor.methods import with_plugins
    from advisor.plugins import get_plugins
    from advisor.profile import load_profile

    profile = load_profile(
        profile_file,
        model_params_b=model_params_b,
        model_access=model_access,
        gpu_memory_gb=gpu_memory_gb,
        gpu_count=gpu_count,
        task_type=task_type,
        labeled_examples=examples,
        monthly_queries=monthly_queries,
    )
    inputs = build_inputs(
        {
            "avg_tokens": avg_tokens,
            "epochs": epochs,
            "shots": shots,
            "prompt_tokens": prompt_tokens,
            "output_tokens": output_tokens,
            "horizon_months": horizon_months,
            "gpu": gpu_type,
            "api": api_model,
            "scales_to_zero": scales_to_zero,
        }
    )
    prices = load_prices(prices_file)
    # Plugins may add methods (advisor_methods): price them beside the built-in ones.
    est = estimate(profile, inputs, prices, methods=with_plugins(get_plugins()))
    if as_json:
        click.echo(est.model_dump_json(indent=2))
        return
    _render(est, prices, profile.monthly_queries)


def _usd(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "$0"
    if value < 0.01:
        return f"${value:.2g}"
    return f"${value:,.2f}"


def _count(value: int | None) -> str:
    return "never" if value is None else f"{value:,}"


def _render(est: Any, prices: Any, monthly: int) -> None:
    from rich.console import Console

    console = Console()
    what = f"a {est.model_params_b:g}B model" if est.gpu else "an API model"
    where = (
        f"{est.gpu_name} (${prices.gpus[est.gpu].usd_per_hour:g}/h)"
        if est.gpu
        else f"{prices.apis[est.api].provider} {prices.apis[est.api].model}"
    )
    console.print(f"[bold]Cost of adapting {what}[/bold], priced on {where}")
    if est.memory:
        console.print(_memory_table(est))
        inf = ", ".join(f"{k} {v:.1f} GB" for k, v in est.inference_memory_gb.items())
        console.print(f"Inference memory (bf16 weights + KV cache, one request): {inf}")
    train = _training_table(est)
    if train.row_count:
        console.print(train)
    console.print(_serving_table(est, monthly))
    _print_notes(console, est, prices, monthly)


def _table(title: str, columns: tuple[str, ...]) -> Any:
    """A rich table whose first column is left-aligned and the numbers right-aligned."""
    from rich.table import Table

    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    return table


def _memory_table(est: Any) -> Any:
    rows = {r.method: r for r in est.report.methods}
    have = (
        f"{max(est.gpu_count, 1)} x {est.gpu_memory_gb:g} GB"
        if est.gpu_memory_gb
        else "no GPU given"
    )
    needed_on = "yours" if est.gpu_memory_gb else est.gpu
    columns = ("method", "trainable", "weights", "optim.", "activ.", "total", "fits")
    mem = _table(f"Training memory in GB (your GPUs: {have})", (*columns, f"GPUs ({needed_on})"))
    for m in est.memory:
        fits = rows[m.method].fits_gpu
        needed = est.gpus_needed.get(m.method)
        mem.add_row(
            m.method,
            f"{m.trainable_params / 1e6:,.1f}M",
            f"{m.weights_gb:.1f}",
            f"{m.optimizer_gb:.1f}",
            f"{m.activations_gb:.1f}",
            f"{m.total_gb:.1f}",
            "-" if fits is None else ("[green]yes[/green]" if fits else "[red]no[/red]"),
            "too big" if needed is None else str(needed),
        )
    return mem


def _training_table(est: Any) -> Any:
    train = _table(
        f"Training on {est.training_tokens:,.0f} tokens",
        ("method", "FLOPs", "GPU-hours", "dollars"),
    )
    for r in est.report.methods:
        if r.train_usd is None:
            continue
        train.add_row(
            r.method,
            "-" if r.train_flops is None else f"{r.train_flops:.2e}",
            "-" if r.train_gpu_hours is None else f"{r.train_gpu_hours:,.3g}",
            _usd(r.train_usd),
        )
    return train


def _serving_table(est: Any, monthly: int) -> Any:
    columns = ("strategy", "served by", "prompt tokens", "output tokens", "per query")
    q = _table(
        f"Serving cost at {monthly:,} queries/month (training not included)",
        (*columns, "per 1k queries", "per month"),
    )
    for item in est.queries:
        q.add_row(
            item.strategy,
            item.serving,
            str(item.prompt_tokens),
            str(item.output_tokens),
            _usd(item.usd_per_query),
            _usd(item.usd_per_1k_queries),
            _usd(item.monthly_usd),
        )
    return q


def _print_notes(console: Any, est: Any, prices: Any, monthly: int) -> None:
    """Break-even (the recommendation's own sentence, from the same curves), prices, assumptions."""
    from advisor.report.recommendation.common import break_even_sentence

    sentence = break_even_sentence(est.report, monthly)
    if sentence is None:
        console.print("Break-even: none; no fine-tune to weigh against the prompt (see below).")
    else:
        console.print(sentence, highlight=False)
    console.print(
        f"Prices: {prices.name}, {prices.date} — a snapshot; check before spending. Sources: {'; '.join(prices.sources)}"
    )
    console.print("Assumptions:")
    for line in est.report.assumptions:
        console.print(f"  - {line}", highlight=False)
