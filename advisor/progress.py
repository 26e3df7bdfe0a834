"""The one progress display for long work (profiling, training, scoring): a rich bar on
stderr per phase, off when output is not a terminal or the user asked for none."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

Tick = Callable[[int, int], None]  # (done, total)


@contextlib.contextmanager
def phase(
    description: str, *, enabled: bool, transient: bool = False, console: Any = None
) -> Iterator[Tick]:
    """A bar for one phase; the yielded callback sets (done, total). ``transient`` bars
    vanish when done (a step whose result is printed right after)."""
    if not enabled:
        yield lambda done, total: None
        return
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

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=transient,
    )
    with bar:
        task = bar.add_task(description, total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield tick
        t = bar.tasks[0]
        if t.total:
            bar.update(task, completed=t.total)
