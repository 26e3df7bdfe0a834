"""`advisor profile` (work in progress)."""

import click


@click.command()
def profile() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
