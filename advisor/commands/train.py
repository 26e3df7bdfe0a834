"""`advisor train`: fine-tune a model on a JSONL/CSV file with a training backend plugin."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from advisor.commands._options import (
    NON_NEG_FLOAT,
    POS_FLOAT,
    POS_INT,
    OneLineErrors,
    profile_option,
)
from advisor.errors import UsageError


@click.command(cls=OneLineErrors)
@click.option(
    "--data",
    "data_file",
    required=True,
    help="Training data: JSONL or CSV with text/label or input/output.",
)
@click.option(
    "--output",
    "output_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the adapter (or model), config and metrics.",
)
@click.option(
    "--method",
    default="lora",
    show_default=True,
    help="Training backend: lora, ia3, full (or a plugin's).",
)
@click.option(
    "--model",
    "model_name",
    help="Model name or local folder / .gguf path [default: the model plugins' default, the embedded SmolLM2-135M].",
)
@click.option(
    "--epochs",
    type=POS_FLOAT,
    help="A fixed number of passes [default: train to convergence, up to the plan's epochs].",
)
@click.option(
    "--max-steps",
    type=POS_INT,
    help="Step ceiling (with --epochs: stop after exactly this many steps).",
)
@click.option("--max-minutes", type=POS_FLOAT, help="Time ceiling of the run.")
@click.option(
    "--min-steps",
    type=POS_INT,
    help="Floor: never stop on a plateau before this step [default: 3 epochs, 8 evaluations].",
)
@click.option(
    "--lr", "learning_rate", type=POS_FLOAT, help="Peak learning rate [default: from the plan]."
)
@click.option(
    "--batch-size", type=POS_INT, help="Examples per batch and process [default: from the plan]."
)
@click.option("--grad-accum", type=POS_INT, help="Batches per optimizer step [default: 1].")
@click.option("--weight-decay", type=NON_NEG_FLOAT, help="AdamW weight decay.")
@click.option(
    "--warmup-ratio", type=click.FloatRange(0, 1), help="Share of steps spent warming up."
)
@click.option(
    "--scheduler",
    type=click.Choice(["linear", "cosine", "constant"]),
    help="Learning-rate decay after warmup, with --epochs (converging holds the rate).",
)
@click.option(
    "--validation-fraction",
    type=click.FloatRange(0, 0.5),
    help="Share held out for validation loss / early stopping.",
)
@click.option("--eval-every", type=POS_INT, help="Steps between evaluations [default: 8+ per run].")
@click.option(
    "--patience", type=POS_INT, help="Evaluations without gain before stopping [default: 4]."
)
@click.option(
    "--stop-on",
    type=click.Choice(["auto", "loss", "acc"]),
    help="Metric the stopping rule watches [default: auto: accuracy for classification, else loss].",
)
@click.option(
    "--max-length", type=POS_INT, help="Longest sequence in tokens (prompt is cut from the start)."
)
@click.option("--save-every", type=POS_INT, help="Steps between checkpoints.")
@click.option("--lora-r", type=POS_INT, help="LoRA rank.")
@click.option("--lora-alpha", type=POS_INT, help="LoRA scaling alpha.")
@click.option("--seed", type=int, help="Random seed (split, batch order, initialisation, dropout).")
@click.option("--text-field", help="Input column, when not text/input.")
@click.option("--label-field", help="Output column, when not label/output.")
@profile_option("Task profile; defaults come from the plan `advisor recommend` makes for it.")
@click.option(
    "--no-plan", is_flag=True, help="Ignore the recommended plan; use the backend's own defaults."
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run in the same --output.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an earlier finished `advisor train` output (never any other folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def train(
    data_file: str,
    output_dir: str,
    method: str,
    model_name: str | None,
    text_field: str | None,
    label_field: str | None,
    profile_file: str | None,
    no_plan: bool,
    resume: bool,
    overwrite: bool,
    as_json: bool,
    no_progress: bool,
    **hyper: Any,
) -> None:
    """Fine-tune a model on your data; writes an adapter PeftModel.from_pretrained can load.

    Unset options come from the fine-tuning plan `advisor recommend` makes for this data
    (and --profile), then from the backend's defaults; --no-plan skips the plan.

    \b
    advisor train --data train.jsonl --output runs/lora
    advisor train --data train.jsonl --method ia3 --output runs/ia3 --epochs 2
    advisor train --data train.jsonl --output runs/lora --resume     # after Ctrl-C or a crash
    accelerate launch --multi_gpu --num_processes 2 -m advisor.cli train --data ... --output ...
    """
    from advisor.data import load_task_data
    from advisor.plugins import get_plugins
    from advisor.train_output import check_output

    plugins = get_plugins()
    backend = plugins.get("backend", method)
    data = load_task_data(data_file, text_field=text_field, label_field=label_field)
    plan = {} if no_plan else _plan_defaults(backend.method, data, profile_file)
    config = _config(backend, plan, hyper)
    output = Path(output_dir)
    # Paths and resume state before the model: a bad --output fails in a second, not after
    # minutes of loading; a finished run resumed with the same options needs no model at all
    # (check_output returns its result).
    result = check_output(output, config, resume=resume, overwrite=overwrite)
    source = plugins.resolve_model(model_name)
    main = int(os.environ.get("RANK", "0")) == 0
    if result is None:
        if main and not as_json:
            _echo_config(config, bool(plan))
            click.echo(f"Loading {source.name} from {source.location} ...", err=True)
        base = source.load()
        progress = not no_progress and not as_json
        result = backend.train(
            base, data, config, output, resume=resume, progress=progress, overwrite=overwrite
        )
    if main:
        _echo_result(result, as_json)


def _config(backend: Any, plan: dict[str, Any], hyper: dict[str, Any]) -> Any:
    """The TrainConfig: the backend's defaults, then the plan's, then the flags given."""
    from pydantic import ValidationError

    from advisor.components import TrainConfig

    values = {**backend.defaults, **plan, **{k: v for k, v in hyper.items() if v is not None}}
    if values.get("max_grad_norm") == 0:
        values["max_grad_norm"] = None
    try:
        return TrainConfig(**{**values, "method": backend.method})
    except ValidationError as err:
        raise UsageError(_option_error(err)) from None


def _option_error(err: Any) -> str:
    """One line naming the first bad option, its value (shortened) and the allowed range."""
    from advisor.components import TrainConfig

    first = err.errors()[0]
    name = ".".join(str(part) for part in first["loc"])
    field = TrainConfig.model_fields.get(name)
    bounds = []
    for rule in field.metadata if field else []:
        for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            if getattr(rule, attr, None) is not None:
                bounds.append(f"{sign} {getattr(rule, attr):g}")
    allowed = f" (allowed: a finite number {' and '.join(bounds)})" if bounds else ""
    got = repr(first.get("input"))
    got = got if len(got) <= 40 else got[:37] + "..."
    return f"bad training option {name}={got}: {first['msg'].lower()}{allowed}"


def _echo_config(config: Any, from_plan: bool) -> None:
    if config.epochs is not None:
        length = (
            f"max {config.max_steps} steps" if config.max_steps else f"{config.epochs:g} epochs"
        )
    else:
        ceiling = (
            f"{config.max_steps} steps" if config.max_steps else f"{config.max_epochs:g} epochs"
        )
        length = f"to convergence (ceiling {ceiling}, patience {config.patience})"
    click.echo(
        f"{config.method}: {length}, lr {config.learning_rate:g}, batch {config.batch_size}"
        f" x {config.grad_accum}, {config.scheduler} schedule, validation {config.validation_fraction:.0%}"
        + (" (defaults from the recommended plan)" if from_plan else ""),
        err=True,
    )


def _echo_result(result: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.model_dump(mode="json"), indent=2))
        return
    from advisor.bench.overfitting import convergence_summary

    last = result.train_loss[-1][1] if result.train_loss else float("nan")
    click.echo(
        f"Trained {result.method}: {convergence_summary(result)}; last train loss {last:.4f}; "
        f"{result.examples_per_second:.2f} examples/s, {result.tokens_per_second:.0f} tokens/s."
    )
    click.echo(f"Saved to {result.output_dir}")


def _plan_defaults(method: str, data: Any, profile_file: str | None) -> dict[str, Any]:
    """The hyperparameters of the fine-tuning plan `advisor recommend` gives for this data
    (and profile file), restricted to TrainConfig fields; empty when no plan can be made."""
    from advisor.components import TrainConfig
    from advisor.profile import load_profile

    try:
        from advisor.guidance import hyperparameters
    except ImportError:
        return {}
    measured = {
        "labeled_examples": len(data.examples),
        "task_type": data.task_type,
        "num_labels": len(data.labels) if data.labels else None,
    }
    profile = load_profile(profile_file, **measured)
    hp = hyperparameters(profile, method)
    # The plan reads "train up to N epochs, stop after `patience` evaluations without gain":
    # its epochs are the ceiling of a run to convergence, and the stopping rule picks its own
    # evaluation interval (at least 8 per run) rather than the plan's per-epoch one.
    hp["max_epochs"] = hp.pop("epochs", None)
    hp.pop("eval_every", None)
    return {
        k: v
        for k, v in hp.items()
        if k in TrainConfig.model_fields and k != "method" and v is not None
    }
