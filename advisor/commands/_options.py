"""Click pieces shared by the subcommands: the one numeric option type and one-line errors.

Every numeric option is a ``Number``: finite (``nan`` and ``inf`` are refused) and within a
documented range that the error states. Options that set a pydantic field take their range
from the field (``field_number``), so the flag and the model cannot disagree.
"""

from __future__ import annotations

import math
from typing import Any

import click
from pydantic import BaseModel

from advisor.errors import UsageError, excerpt

# Without a stated maximum an integer still fits the 32-bit counters and seeds of the
# libraries it reaches; a float stays far from overflow in any product of a few of them.
DEFAULT_MAX_INT = 2**31 - 1
DEFAULT_MAX_FLOAT = 1e12


class Number(click.ParamType):
    """An int or float in [low, high] (``low_open``: above low), never nan or infinite."""

    def __init__(
        self,
        kind: type[int] | type[float],
        low: float | None = None,
        high: float | None = None,
        *,
        low_open: bool = False,
    ) -> None:
        self.kind = kind
        self.low, self.low_open = low, low_open
        self.high = (
            (DEFAULT_MAX_INT if kind is int else DEFAULT_MAX_FLOAT) if high is None else high
        )
        self.name = "integer" if kind is int else "number"

    def describe(self) -> str:
        """'an integer from 1 to 1,024', 'a number above 0 up to 1e+12'."""
        what = "an integer" if self.kind is int else "a number"
        high = f"{self.high:,}" if self.kind is int else f"{self.high:g}"
        if self.low is None:
            return f"{what} up to {high}"
        low = f"{self.low:,}" if self.kind is int else f"{self.low:g}"
        return (
            f"{what} above {low} up to {high}" if self.low_open else f"{what} from {low} to {high}"
        )

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            number = value if isinstance(value, self.kind) else self.kind(str(value).strip())
        except ValueError:  # not a number, or an integer of over 4,300 digits
            number = None
        if not self._allowed(number):
            self.fail(f"expected {self.describe()}, got {excerpt(value)}", param, ctx)
        return number

    def _allowed(self, number: float | None) -> bool:
        if number is None or isinstance(number, bool):
            return False
        if isinstance(number, float) and not math.isfinite(number):
            return False
        if self.low is not None and (number <= self.low if self.low_open else number < self.low):
            return False
        return number <= self.high


def field_number(model: type[BaseModel], name: str) -> Number:
    """The option type of a numeric pydantic field, with the field's own bounds."""
    info = model.model_fields[name]
    kind = int if int in (info.annotation, *getattr(info.annotation, "__args__", ())) else float
    bounds: dict[str, Any] = {}
    for constraint in info.metadata:
        for attr in ("ge", "gt", "le"):
            if getattr(constraint, attr, None) is not None:
                bounds[attr] = getattr(constraint, attr)
    low = bounds.get("gt", bounds.get("ge"))
    return Number(kind, low, bounds.get("le"), low_open="gt" in bounds)


# Plain click ranges for `advisor train`, whose TrainConfig checks finiteness and maxima
# itself (with its own message) before the model loads; every other command uses Number.
POS_FLOAT = click.FloatRange(min=0, min_open=True)
NON_NEG_FLOAT = click.FloatRange(min=0)
POS_INT = click.IntRange(min=1)


class OneLineErrors(click.Command):
    """Report a bad flag value as one line (the CLI's UsageError), not click's usage block.

    The CLI's group does the same for every command; this keeps it when a command is invoked
    on its own (``CliRunner().invoke(cost, ...)``)."""

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[override]
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.Exit:
            raise
        except click.UsageError as err:
            where = f" (see {err.ctx.command_path} --help)" if err.ctx else ""
            raise UsageError(err.format_message() + where) from None


def profile_option(help_text: str):
    """The ``--profile FILE`` option of the commands that read a task profile (as ``profile_file``)."""
    return click.option(
        "--profile", "profile_file", type=click.Path(dir_okay=False), help=help_text
    )
