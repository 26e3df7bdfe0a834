"""Click pieces shared by the subcommands: value ranges and one-line flag errors."""

from __future__ import annotations

import click

from advisor.errors import UsageError

POS_FLOAT = click.FloatRange(min=0, min_open=True)
NON_NEG_FLOAT = click.FloatRange(min=0)
NON_NEG_INT = click.IntRange(min=0)
POS_INT = click.IntRange(min=1)


class OneLineErrors(click.Command):
    """Report a bad flag value as one line (the CLI's UsageError), not click's usage block."""

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[override]
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.Exit:
            raise
        except click.UsageError as err:
            raise UsageError(err.format_message()) from None


def profile_option(help_text: str):
    """The ``--profile FILE`` option of the commands that read a task profile (as ``profile_file``)."""
    return click.option(
        "--profile", "profile_file", type=click.Path(dir_okay=False), help=help_text
    )
