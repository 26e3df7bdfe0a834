"""`advisor plugins`: every plugin, its version, its hooks, what it provides and its errors."""

from __future__ import annotations

import click


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List the built-in and installed plugins and what each provides.

    A plugin that fails to import or raises in a hook is listed with its error; the
    others still load. Set ADVISOR_PLUGINS=name1,name2 to load only those.
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

    table = Table(title="advisor plugins", show_lines=False)
    for col in ("plugin", "version", "hooks", "provides", "status"):
        table.add_column(col, overflow="fold")
    for i in infos:
        provides = "; ".join(f"{h.removeprefix('advisor_')}: {', '.join(v)}" for h, v in i.provides.items())
        status = "[red]" + " | ".join(i.errors) + "[/red]" if i.errors else "[green]ok[/green]"
        name = i.name + (" (built-in)" if i.builtin else "")
        hooks = ", ".join(h.removeprefix("advisor_") for h in i.hooks)
        table.add_row(name, i.version or "-", hooks, provides, status)
    if not infos:
        click.echo("No plugins loaded (ADVISOR_PLUGINS is set to an empty list?).")
        return
    Console().print(table)
