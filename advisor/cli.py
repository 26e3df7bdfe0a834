"""The ``advisor`` command line: one command per verb, each in ``advisor/commands/``.

Start-up stays light: a built-in command's module is imported only when that command runs
(``advisor.commands.BUILTIN_COMMANDS`` gives its name and help line before that), and nothing
here imports torch, transformers, peft or lm-eval.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from advisor import __version__
from advisor.commands import BUILTIN_COMMANDS, CommandEntry
from advisor.errors import AdvisorError, error_line


class LazyCommand(click.Command):
    """Stands in for a built-in command in ``cli.commands`` until it is used.

    It carries the name and help line, so ``advisor --help`` lists it, and a plugin that
    tries to add a command of the same name is refused exactly as if it were loaded.
    """

    def __init__(self, name: str, entry: CommandEntry) -> None:
        super().__init__(name, short_help=entry.help)
        self.target = entry.target

    def load(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        # The table's line, so that `advisor --help` reads the same before and after a load.
        command.short_help = command.short_help or self.short_help
        return command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Run on its own (not through the group, which swaps in the real command first).
        return self.load().main(*args, **kwargs)


class AdvisorGroup(click.Group):
    """Loads commands on first use, and turns user-facing errors into one line on stderr and
    an exit code, never a traceback.

    Plugins' commands are added (``advisor_commands``) only when a name that is not built in
    is asked for or the list of commands is needed: ``advisor cost`` never loads a plugin.
    """

    # `advisor plugins` reports what each plugin's advisor_commands added: add them first.
    needs_plugin_commands = frozenset({"plugins"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, entry in BUILTIN_COMMANDS.items():
            self.add_command(LazyCommand(name, entry))
        self.plugin_commands_added = False

    def add_plugin_commands(self) -> None:
        if not self.plugin_commands_added:
            self.plugin_commands_added = True
            from advisor.plugins import get_plugins

            get_plugins().call_commands(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.add_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in BUILTIN_COMMANDS or cmd_name in self.needs_plugin_commands:
            self.add_plugin_commands()  # built-in names always win, so only then can it matter
        command = self.commands.get(cmd_name)
        if isinstance(command, LazyCommand):
            command = self.commands[cmd_name] = command.load()
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own version calls get_command() for each name, importing every module.
        shown = [
            (n, self.commands[n]) for n in self.list_commands(ctx) if not self.commands[n].hidden
        ]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in shown])

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

    Start with `advisor recommend` (instant, no model needed); `advisor benchmark` then runs
    prompting and fine-tuning on your data and compares them. Every command has --help.
    """


def main() -> None:
    cli.main(prog_name="advisor")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
