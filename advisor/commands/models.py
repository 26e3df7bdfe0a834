"""`advisor models` (work in progress)."""

import click


@click.command()
def models() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
