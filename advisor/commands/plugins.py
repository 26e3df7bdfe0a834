"""`advisor plugins`: every plugin, its version, its hooks, what it provides and its errors."""

from __future__ import annotations

from pathlib import Path

import click


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List the built-in and installed plugins and what each provides.

    A plugin that fails to import or raises in a hook is listed with its error; the
    others still load. Set ADVISOR_PLUGINS=name1,name2 to load only those (empty: none).
    `advisor plugins new NAME` writes a plugin skeleton. Guide: docs/plugins.md.
    """
    if ctx.invoked_subcommand is not None:
        return
    from advisor.plugins import get_plugins

    infos = get_plugins().survey()
    if as_json:
        import json

        click.echo(json.dumps([i.model_dump() for i in infos], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    if not infos:
        click.echo("No plugins loaded (ADVISOR_PLUGINS is set to an empty list?).")
        return
    table = Table(title="advisor plugins", show_lines=False)
    for col in ("plugin", "version", "hooks", "provides", "status"):
        table.add_column(col, overflow="fold")
    for i in infos:
        provides = "; ".join(
            f"{h.removeprefix('advisor_')}: {_shorten(v)}" for h, v in i.provides.items()
        )
        status = f"[red]{len(i.errors)} error(s)[/red]" if i.errors else "[green]ok[/green]"
        name = i.name + (" (built-in)" if i.builtin else "")
        hooks = ", ".join(h.removeprefix("advisor_") for h in i.hooks)
        table.add_row(name, i.version or "-", hooks, provides, status)
    Console().print(table)
    # Errors in full, one per line and unwrapped, so that they can be read and grepped.
    problems = [(i, e) for i in infos for e in i.errors]
    if problems:
        click.echo("Problems (these plugins, or parts of them, were skipped; the rest work):")
        for i, e in problems:
            where = f" [{i.distribution}]" if i.distribution and not i.builtin else ""
            click.echo(f"  {i.name}{where}: {e}")


@plugins.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to create advisor-NAME in.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def new(name: str, directory: Path, as_json: bool) -> None:
    """Write a plugin skeleton advisor-NAME/ (pyproject with entry point, package, one
    evidence rule, a passing test) that installs with pip and shows in `advisor plugins`."""
    from advisor.scaffold import write_skeleton

    skeleton = write_skeleton(name, directory)
    if as_json:
        click.echo(skeleton.model_dump_json(indent=2))
        return
    click.echo(
        f"Wrote {skeleton.path}/ (plugin '{skeleton.name}', distribution "
        f"{skeleton.distribution}, package {skeleton.package}):"
    )
    for f in skeleton.files:
        click.echo(f"  {f}")
    click.echo("Next:")
    click.echo(f"  pip install -e {skeleton.path}")
    click.echo(f"  advisor plugins            # lists {skeleton.name}")
    click.echo(f"  pytest {skeleton.path / 'tests'}")


def _shorten(names: list[str], keep: int = 4) -> str:
    """A long list (the built-in rules) as its first names and a count; --json has them all."""
    if len(names) <= keep:
        return ", ".join(names)
    return f"{', '.join(names[: keep - 1])} +{len(names) - keep + 1} more"
