"""The ``advisor`` command line: one command per verb, each in ``advisor/commands/``.

Start-up stays light: nothing here imports torch, transformers, peft or lm-eval.
"""

from __future__ import annotations

import sys

import click

from advisor import __version__
from advisor.errors import AdvisorError, error_line


class AdvisorGroup(click.Group):
    """Turns user-facing errors into one line on stderr and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        # Every error is one short line (errors.error_line), whatever input it quotes.
        try:
            return super().invoke(ctx)
        except AdvisorError as err:
            click.secho(error_line(err), fg="red", err=True)
            ctx.exit(err.exit_code)
        except click.UsageError as err:  # a subcommand's bad flag: click would print its usage
            where = f" (see {err.ctx.command_path} --help)" if err.ctx else ""
            click.secho(error_line(err.format_message() + where), fg="red", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.secho("Interrupted; finished work is kept (use --resume to go on).", err=True)
            ctx.exit(130)


@click.group(cls=AdvisorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="advisor")
def cli() -> None:
    """Fine-tune or prompt? Evidence-based advice, then proof on your own data.

    \b
    advisor recommend     advice for a task profile (instant, no model needed)
    advisor cost          memory, compute, dollars and break-even alone
    advisor benchmark     run prompting and fine-tuning on your data and compare
    advisor plugins       list installed plugins and what they provide
    """


def _add_builtin_commands() -> None:
    from advisor.commands import ALL_COMMANDS

    for command in ALL_COMMANDS:
        cli.add_command(command)


def _add_plugin_commands() -> None:
    from advisor.plugins import get_plugins

    get_plugins().call_commands(cli)


_add_builtin_commands()
_add_plugin_commands()


def main() -> None:
    cli.main(prog_name="advisor")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
