"""What a benchmark run cost the machine: wall time, CPU time and peak memory, measured the way
``/usr/bin/time -v`` reports them (getrusage of this process and its waited-for children)."""

from __future__ import annotations

import sys

from advisor.bench.schema import RunResources


def _rusage() -> tuple[float, float]:
    """(CPU seconds, peak resident set in GB) of this process plus its children so far."""
    try:
        import resource
    except ImportError:  # not a Unix: nothing to measure with
        return 0.0, 0.0
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    # ru_maxrss is kilobytes on Linux, bytes on macOS; /usr/bin/time -v prints the larger of the
    # process and its biggest child, the same peak as here.
    unit = 1 if sys.platform == "darwin" else 1024
    return cpu, max(me.ru_maxrss, kids.ru_maxrss) * unit / 1e9


def measure(wall_seconds: float, earlier: RunResources | None = None) -> RunResources:
    """This process's usage, added to ``earlier`` (the runs before a ``--resume``)."""
    cpu, peak = _rusage()
    if earlier is not None:
        cpu += earlier.cpu_seconds
        peak = max(peak, earlier.peak_rss_gb)
    return RunResources(
        wall_seconds=round(wall_seconds, 1), cpu_seconds=round(cpu, 1), peak_rss_gb=round(peak, 3)
    )


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def describe(r: RunResources) -> str:
    """The one line printed at the end of a run."""
    return (
        f"resources: {_clock(r.wall_seconds)} wall, {_clock(r.cpu_seconds)} CPU "
        f"(user + system, children included), peak RSS {r.peak_rss_gb:.2f} GB"
    )
