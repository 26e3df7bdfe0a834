"""`advisor recommend` (work in progress)."""

import click


@click.command()
def recommend() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
