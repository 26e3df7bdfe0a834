"""`advisor train` (work in progress)."""

import click


@click.command()
def train() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
