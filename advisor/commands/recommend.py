"""`advisor recommend`: a profile from flags, a file, data or questions -> one Recommendation.

One flag per Profile field, derived from ``Profile.model_fields`` so the two never drift.
Precedence, lowest first: default < measured from --data < --profile file < answers < flags.
"""

from __future__ import annotations

import inspect
import math
import sys
from enum import Enum
from typing import Any

import click

from advisor.answers import base_type, parse_answer, shown
from advisor.commands._options import profile_option
from advisor.errors import MAX_ERROR_CHARS, UsageError, excerpt, shorten
from advisor.profile import Profile, build_profile, field_range, read_profile_file

FORMATS = ("text", "markdown", "html", "json")
# The questions asked on a terminal with no input at all: the fields that move the verdict most.
QUESTIONS: dict[str, str] = {
    "task_type": "What kind of task is it?",
    "labeled_examples": "How many labeled examples (input/output pairs) do you have?",
    "model_access": "Is the model open weights, or only reachable through an API?",
    "model_params_b": "Size of the model in parameters (e.g. 7b, 135m; none = not chosen yet)?",
    "gpu_memory_gb": "Memory of your largest GPU in GB (0 = no GPU)?",
    "budget_usd": "One-off budget for adapting the model, in USD?",
    "monthly_queries": "Expected queries per month in production?",
    "data_can_leave": "May the training data be sent to a third-party API?",
    "requirements_change": "How often does the task definition change?",
}


# ---------------------------------------------------------------- flags from the model


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _negative_flag(name: str) -> str:
    # data_can_leave -> --data-cannot-leave; any other bool -> --no-<name>
    return (
        _flag(name.replace("_can_", "_cannot_")) if "_can_" in name else "--no-" + _flag(name)[2:]
    )


class FieldChoice(click.Choice):
    """click.Choice whose error is our one-line UsageError naming the field and allowed values."""

    def __init__(self, field: str, choices: list[str]):
        super().__init__(choices, case_sensitive=False)
        self.field = field

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            raise UsageError(
                f"invalid value for '{self.field}' ({_flag(self.field)}): {excerpt(value)} "
                f"(allowed: {', '.join(map(str, self.choices))})"
            ) from None


class FieldNumber(click.ParamType):
    """int or float for one field; the range is checked by the Profile model afterwards."""

    def __init__(self, field: str, kind: type):
        self.field = field
        self.kind = kind
        self.name = "integer" if kind is int else "number"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, self.kind):
            return value
        try:
            number = self.kind(str(value).replace("_", ""))
        except ValueError:
            number = None
        if number is None or (isinstance(number, float) and not math.isfinite(number)):
            kind = "an integer" if self.kind is int else "a finite number"
            raise UsageError(
                f"invalid value for '{self.field}' ({_flag(self.field)}): expected "
                f"{kind}{_range(self.field)}, got {excerpt(value)}"
            )
        return number


def _range(field: str) -> str:
    """' >= 0' or ' > 0' from the field's constraints, for error messages and help."""
    for constraint in Profile.model_fields[field].metadata:
        if getattr(constraint, "ge", None) is not None:
            return f" >= {constraint.ge}"
        if getattr(constraint, "gt", None) is not None:
            return f" > {constraint.gt}"
    return ""


def _field_option(name: str) -> click.Option:
    info = Profile.model_fields[name]
    base = base_type(info.annotation)
    default = info.get_default()
    shown = default.value if isinstance(default, Enum) else default
    if shown is None:
        shown = "not set"
    if name == "gpu_count":
        shown = "0, or 1 when --gpu-memory-gb is given"
    allowed = f"; {field_range(name)}" if field_range(name) else ""
    help_text = f"{info.description or ''} [default: {shown}{allowed}]"
    if base is bool:
        return click.Option(
            [f"{_flag(name)}/{_negative_flag(name)}", name], default=None, help=help_text
        )
    if isinstance(base, type) and issubclass(base, Enum):
        choices = [m.value for m in base]
        return click.Option([_flag(name), name], type=FieldChoice(name, choices), help=help_text)
    return click.Option([_flag(name), name], type=FieldNumber(name, base), help=help_text)


def add_profile_options(command: click.Command) -> click.Command:
    """Attach one option per Profile field (also used by commands that take a profile)."""
    command.params.extend(_field_option(name) for name in Profile.model_fields)
    return command


# ---------------------------------------------------------------- building the profile


def _validate_part(values: dict[str, Any], where: str) -> None:
    """Validate one source alone so the error says where the bad value came from."""
    try:
        build_profile(values)
    except UsageError as err:
        raise UsageError(f"{where}: {err}") from None


def _from_data(path: str, measure_shift: bool) -> dict[str, Any]:
    try:
        from advisor.profiling import profile_from_data
    except ModuleNotFoundError as err:
        if err.name != "advisor.profiling":
            raise
        raise UsageError("--data needs advisor.profiling, which this installation lacks") from None
    kwargs: dict[str, Any] = {}
    params = inspect.signature(profile_from_data).parameters
    if "perplexity" in params:
        # The domain-shift measurement loads a model; recommend stays instant unless asked.
        kwargs["perplexity"] = measure_shift
    result = profile_from_data(path, **kwargs)
    for problem in getattr(result, "problems", None) or []:
        if getattr(problem, "severity", "") in ("error", "warning"):
            # A problem may quote a label: one short line, like an error.
            line = shorten(f"{path}: {problem.problem} -> {problem.action}", MAX_ERROR_CHARS)
            click.secho(line, fg="yellow", err=True)
    values = dict(getattr(result, "values", {}) or {})
    unknown = set(values) - set(Profile.model_fields)
    if unknown:  # a profiler newer than this Profile: keep what we understand
        values = {k: v for k, v in values.items() if k in Profile.model_fields}
    return values


def _question(name: str) -> str:
    kind = base_type(Profile.model_fields[name].annotation)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return f"{QUESTIONS[name]} ({'/'.join(m.value for m in kind)})"
    if kind is bool:
        return f"{QUESTIONS[name]} (yes/no)"
    return QUESTIONS[name]


def _read_line(name: str, label: str) -> str:
    """One answer from stdin, the question on stderr (stdout stays the report). Not click.prompt:
    it turns Ctrl-C into the same Abort as end of input, and Ctrl-C must exit 130."""
    click.echo(label, nl=False, err=True)
    try:
        return input()
    except EOFError:
        raise UsageError(f"no answer for '{name}' (end of input)") from None


def _ask(values: dict[str, Any], skip: set[str]) -> dict[str, Any]:
    """The few questions that matter, with the current value as default; re-asks until the
    answer is a valid value ("20k", "$50", "w" and the like: advisor.answers)."""
    answers: dict[str, Any] = {}
    current = Profile.model_validate(values)
    for name in QUESTIONS:
        if name in skip:  # already given as a flag
            continue
        default = shown(getattr(current, name))
        while True:
            raw = _read_line(name, f"{_question(name)} [{default}]: ").strip() or default
            try:
                value = parse_answer(name, raw)
                build_profile({**values, **answers, name: value})
            except UsageError as err:
                click.secho(str(err), fg="red", err=True)
                continue
            answers[name] = value
            break
    return answers


def _at_terminal(output_to_file: bool) -> bool:
    return sys.stdin.isatty() and (output_to_file or sys.stdout.isatty())


def gather_profile(
    flags: dict[str, Any],
    profile_file: str | None,
    data_file: str | None,
    interactive: bool | None,
    measure_shift: bool = False,
    output_to_file: bool = False,
) -> tuple[Profile, dict[str, str]]:
    """Merge the sources into a Profile and record where each field came from.

    The file and the flags are checked first: a bad value is reported before --data is read."""
    layers: list[tuple[str, dict[str, Any]]] = []
    file_values: dict[str, Any] | None = None
    if profile_file:
        file_values = read_profile_file(profile_file)
        _validate_part(file_values, f"profile file {profile_file}")
    given = {k: v for k, v in flags.items() if v is not None}
    for key, value in given.items():
        try:
            build_profile({key: value})
        except UsageError as err:  # name the flag as the user typed it
            message = str(err).replace(f"'{key}'", f"'{key}' ({_flag(key)})", 1)
            raise UsageError(message) from None
    if data_file:
        layers.append(("data", _from_data(data_file, measure_shift)))
    if file_values is not None:
        layers.append(("file", file_values))

    if interactive is None:
        # Only a person at a terminal: never block a pipe (`advisor recommend --json | jq`).
        interactive = not (given or profile_file or data_file) and _at_terminal(output_to_file)
    if interactive:
        so_far: dict[str, Any] = {}
        for _, layer in layers:
            so_far.update(layer)
        so_far.update(given)
        layers.append(("prompt", _ask(so_far, skip=set(given))))
    layers.append(("flag", given))

    values: dict[str, Any] = {}
    sources = dict.fromkeys(Profile.model_fields, "default")
    for source, layer in layers:
        for key, value in layer.items():
            values[key] = value
            sources[key] = source
    # A GPU memory figure without a count means one GPU; a count of 0 would hide the GPU.
    if "gpu_count" not in values and (values.get("gpu_memory_gb") or 0) > 0:
        values["gpu_count"] = 1
        sources["gpu_count"] = "inferred"
    return build_profile(values), sources


# ---------------------------------------------------------------- the command


def _note_skipped_plugins() -> None:
    """One line on stderr when a plugin (or a part of one) was skipped: advice without its rules
    must not pass for the whole story. ``advisor plugins`` lists the details."""
    from advisor.plugins import get_plugins

    plugins = get_plugins()
    broken = [i for i in [*plugins.info.values(), *plugins.rejected] if i.errors]
    if not broken:
        return
    names = ", ".join(f"'{i.name}'" for i in broken)
    first = broken[0].errors[0]
    first = first if len(first) <= 120 else first[:119] + "…"
    plural = "s" if len(broken) > 1 else ""
    click.echo(
        f"note: plugin{plural} {names} skipped ({first}); `advisor plugins` shows why", err=True
    )


def _print_schema() -> None:
    import json

    from advisor.recommendation import Recommendation

    click.echo(json.dumps(Recommendation.model_json_schema(), indent=2))


@click.command()
@profile_option(
    "YAML, TOML or JSON file with Profile fields. Precedence: flags > file > --data > defaults."
)
@click.option(
    "--data",
    "data_file",
    type=click.Path(dir_okay=False),
    help="JSONL or CSV training data: measures examples, task type, labels, format.",
)
@click.option(
    "--measure-domain-shift",
    is_flag=True,
    help="With --data: measure domain shift with the embedded model (slower).",
)
@click.option(
    "--interactive/--no-interactive",
    default=None,
    help="Ask the key questions (default: only on a terminal when no profile input is given).",
)
@click.option(
    "--scales-to-zero",
    is_flag=True,
    help="Price a self-hosted fine-tune per use: the deployment scales to zero when idle"
    " [default: at least one always-on GPU instance].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format [default: from --output's extension (.html, .md, .json), else text].",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--json-schema", is_flag=True, help="Print the JSON schema of the output and exit.")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write the report to FILE (atomically)."
)
@click.option(
    "--save-profile",
    type=click.Path(dir_okay=False),
    help="Also write the profile (answers, flags, file and data together) to FILE (.yaml) "
    "for --profile FILE.",
)
def recommend(
    profile_file: str | None,
    data_file: str | None,
    measure_domain_shift: bool,
    interactive: bool | None,
    scales_to_zero: bool,
    fmt: str | None,
    as_json: bool,
    json_schema: bool,
    output: str | None,
    save_profile: str | None,
    **flags: Any,
) -> None:
    """Advice for a task profile: fine-tune or prompt, why, risks, plan and cost.

    \b
    advisor recommend --labeled-examples 5000 --budget-usd 200 --gpu-memory-gb 24
    advisor recommend --profile task.yaml --monthly-queries 1000000 --json
    advisor recommend --data train.jsonl --format html --output advice.html
    advisor recommend --interactive --save-profile task.yaml   # then: --profile task.yaml
    """
    if json_schema:
        _print_schema()
        return
    if as_json and fmt not in (None, "json"):
        raise UsageError(f"--json conflicts with --format {fmt}; use one of them")
    from advisor.report import format_for

    fmt = "json" if as_json else format_for(output, fmt)
    if output:
        from advisor.files import check_writable

        check_writable(output, "--output")

    if save_profile and not save_profile.lower().endswith((".yaml", ".yml")):
        raise UsageError(
            f"--save-profile writes YAML: name the file .yaml or .yml, not {save_profile}"
        )
    try:
        profile, sources = gather_profile(
            flags,
            profile_file,
            data_file,
            interactive,
            measure_shift=measure_domain_shift,
            output_to_file=bool(output),
        )
    except KeyboardInterrupt:  # Ctrl-C at a question: nothing to keep, one line, the shell's code
        click.echo("\nInterrupted.", err=True)
        click.get_current_context().exit(130)
    if save_profile:
        from advisor.answers import profile_yaml
        from advisor.files import write_atomic

        click.echo(
            f"saved the profile to {write_atomic(save_profile, profile_yaml(profile))}", err=True
        )
    from advisor.cost import CostInputs
    from advisor.engine import recommend as run_engine

    # Not a Profile field: how the deployment is run, which only the cost depends on.
    cost_inputs = CostInputs(scales_to_zero=scales_to_zero)
    # The suggested benchmark runs on the data the advice was measured from.
    rec = run_engine(profile, profile_sources=sources, data=data_file, cost_inputs=cost_inputs)
    _note_skipped_plugins()

    if output:
        from advisor.files import write_atomic
        from advisor.report import render

        path = write_atomic(output, render(rec, fmt))
        click.echo(
            f"wrote {path} ({rec.verdict}, {rec.method}, confidence {rec.confidence:.0%})", err=True
        )
    elif fmt == "text":
        from advisor.report.recommendation.text import print_text

        print_text(rec)
    else:
        from advisor.report import render

        click.echo(render(rec, fmt), nl=False)


add_profile_options(recommend)
