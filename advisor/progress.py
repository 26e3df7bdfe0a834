"""The one progress display for long work (profiling, training, scoring): a rich bar on
stderr per phase, off when output is not a terminal or the user asked for none.

Third-party libraries draw their own bars and print their own warnings; ``quiet_libraries``
silences them for the length of one call into them, so that only this display is seen.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

Tick = Callable[[int, int], None]  # (done, total)


def progress_bar(
    *,
    enabled: bool,
    transient: bool = False,
    console: Any = None,
    fields: Sequence[str] = (),
) -> Any:
    """A rich ``Progress`` with the look every bar shares (on stderr, so that stdout stays
    clean for ``--json``). ``fields`` are extra text columns over task fields, e.g.
    ``"loss {task.fields[loss]:.4f}"``; a disabled bar draws nothing."""
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

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *(TextColumn(f) for f in fields),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=transient,
        disable=not enabled,
    )


@contextlib.contextmanager
def phase(
    description: str, *, enabled: bool, transient: bool = False, console: Any = None
) -> Iterator[Tick]:
    """A bar for one phase; the yielded callback sets (done, total). ``transient`` bars
    vanish when done (a step whose result is printed right after)."""
    if not enabled:
        yield lambda done, total: None
        return
    bar = progress_bar(enabled=True, transient=transient, console=console)
    with bar:
        task = bar.add_task(description, total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield tick
        t = bar.tasks[0]
        if t.total:
            bar.update(task, completed=t.total)


def _silenced(tqdm: Any) -> Callable[..., Any]:
    """``tqdm`` that never draws, whatever ``disable`` its caller passes."""

    def silent(*args: Any, **kwargs: Any) -> Any:
        return tqdm(*args, **{**kwargs, "disable": True})

    return silent


@contextlib.contextmanager
def quiet_libraries(*, bars_in: Iterable[str] = (), loggers: Iterable[str] = ()) -> Iterator[None]:
    """Inside the block: no tqdm bars from the modules ``bars_in`` names, the ``loggers`` at
    ERROR, and no FutureWarning or DeprecationWarning (notes to the library's own callers,
    nothing a user can act on). Everything is put back afterwards: plugins call this around
    their calls into a library, the core never sets anything globally.

    The libraries draw these bars with a module-level ``tqdm`` and offer no switch for them, so
    that name is replaced in each module for the call (modules that are missing, or have no
    such name in another version of the library, are skipped).
    """
    with contextlib.ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in loggers:
            logger = logging.getLogger(name)
            stack.callback(logger.setLevel, logger.level)
            logger.setLevel(logging.ERROR)
        for name in bars_in:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            original = getattr(module, "tqdm", None)
            if original is not None:
                stack.callback(setattr, module, "tqdm", original)
                module.tqdm = _silenced(original)
        yield
