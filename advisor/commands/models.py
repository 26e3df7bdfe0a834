"""`advisor models`: the models plugins provide, their size and where they load from."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def models(as_json: bool) -> None:
    """List available models (local only; nothing is downloaded).

    Any local Hugging Face folder or .gguf file also works as `--model PATH`;
    list extra folders here with ADVISOR_MODELS=/path/a:/path/b.
    """
    from advisor.plugins import get_plugins

    sources = get_plugins().models()
    rows = [
        {
            "name": s.name,
            "params_b": s.params_b,
            "location": s.location,
            "cached": s.cached,
            "available": s.available,
            "description": s.description,
            "plugin": s.origin,
        }
        for s in sources
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Models")
    for col in ("name", "size", "state", "plugin"):
        table.add_column(col, no_wrap=True)
    table.add_column("loads from", overflow="fold")
    for r in rows:
        size = (
            f"{r['params_b'] * 1000:.0f}M"
            if r["params_b"] and r["params_b"] < 1
            else (f"{r['params_b']}B" if r["params_b"] else "?")
        )
        state = "cached" if r["cached"] else ("available" if r["available"] else "missing")
        table.add_row(r["name"], size, state, r["plugin"], r["location"])
    Console().print(table)
    if not rows:
        click.echo("No model plugins loaded (is the peft plugin disabled by ADVISOR_PLUGINS?).")
