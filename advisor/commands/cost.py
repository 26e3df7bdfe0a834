"""`advisor cost` (work in progress)."""

import click


@click.command()
def cost() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
