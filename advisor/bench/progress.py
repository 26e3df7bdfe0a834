"""Rich progress bars for the benchmark phases (one live display at a time)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

Tick = Callable[[int, int], None]  # (done, total)


@contextlib.contextmanager
def phase(description: str, *, enabled: bool, console: Console | None = None) -> Iterator[Tick]:
    """A bar for one phase; the yielded callback sets (done, total)."""
    if not enabled:
        yield lambda done, total: None
        return
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield tick
        t = bar.tasks[0]
        if t.total:
            bar.update(task, completed=t.total)
