"""`advisor benchmark` (work in progress)."""

import click


@click.command()
def benchmark() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
