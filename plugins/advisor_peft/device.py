"""Where and how the peft plugin runs torch: the device, the training dtype, the thread count.

CUDA when present, the CPU otherwise; nothing else in the plugin names a device. Training runs
under bf16 autocast where the hardware has fast bf16 matmuls (the weights and the optimizer stay
fp32); scoring stays fp32 so log-likelihoods match lm-eval's reference scorer.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path
from typing import Any

# ADVISOR_TRAIN_DTYPE=fp32|bf16|auto (default auto) overrides the choice below: for measuring
# one against the other (benchmarks/train_throughput --dtype) and as an escape hatch.
DTYPE_ENV = "ADVISOR_TRAIN_DTYPE"
# CPU flags of native bf16 matmul units: with them oneDNN runs bf16 GEMMs 2.5x faster than fp32
# (measured: 205 vs 82 GFLOP/s on one thread of this session's AMD EPYC, avx512_bf16), and a
# LoRA step of SmolLM2-135M 1.5x faster (103 vs 68 useful tokens/s). Without them bf16 is
# emulated and slower than fp32.
FAST_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def device() -> Any:
    """The torch device models are loaded on and trained on."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: no flags, so fp32
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def train_dtype(where: Any) -> Any:
    """The autocast dtype for training on ``where``, or None for plain fp32."""
    import torch

    choice = os.environ.get(DTYPE_ENV, "auto").strip().lower()
    if choice == "fp32":
        return None
    if choice == "bf16":
        return torch.bfloat16
    if where.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if _cpu_flags() & set(FAST_BF16_FLAGS) else None


def autocast(where: Any) -> contextlib.AbstractContextManager[Any]:
    """Mixed precision for a training forward pass on ``where`` (a no-op for fp32)."""
    import torch

    dtype = train_dtype(where)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(where.type, dtype=dtype)


# Attention while training on the CPU: torch's flash-attention backward for the CPU is slow on
# short sequences (torch.profiler, a LoRA step of 8 x ~45 tokens: 23% of the step, 10.7 ms a
# layer against 1.3 ms forward); the plain matmul attention ("eager") runs the same step
# 1.24-1.37x faster on an idle machine (1.3-1.45x on a loaded one). It keeps the attention
# weights for the backward pass, about 6 bytes per (row, query, key, head, layer), so it is
# used only while that stays under this budget.
EAGER_ATTENTION_BYTES = 256 * 2**20


# ADVISOR_TRAIN_ATTENTION=auto|eager|sdpa (default auto) overrides the choice below, for
# measuring one against the other (as ADVISOR_TRAIN_DTYPE does for the dtype).
ATTENTION_ENV = "ADVISOR_TRAIN_ATTENTION"


def training_attention(where: Any, rows: int, width: int, heads: int, layers: int) -> str | None:
    """``"eager"`` for a CPU batch of ``rows`` x ``width`` tokens whose attention weights fit
    EAGER_ATTENTION_BYTES; None for the model's own choice (sdpa; always on CUDA)."""
    choice = os.environ.get(ATTENTION_ENV, "auto").strip().lower()
    if choice in ("eager", "sdpa"):
        return choice
    if where.type != "cpu":
        return None
    return "eager" if rows * width * width * heads * layers * 6 <= EAGER_ATTENTION_BYTES else None


@functools.cache
def _cores() -> int:
    """torch's own thread count before anyone sets it: the physical cores it may use."""
    import torch

    return torch.get_num_threads()


# How long ``busy_cores`` watches the machine: long enough to average out a scheduler tick
# (4 ms), short beside a model load.
BUSY_SAMPLE_SECONDS = 0.3


def _cpu_times() -> tuple[int, int] | None:
    """``(busy, total)`` jiffies of all CPUs since boot (``/proc/stat``), None off Linux."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    ticks = [int(x) for x in fields[:8]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def busy_cores(seconds: float = BUSY_SAMPLE_SECONDS) -> float:
    """Cores other processes keep busy right now: the machine's CPU use over ``seconds``
    while this process sleeps. The 1-minute load average is the fallback only: it remembers
    this run's own past (a model conversion, the ``make install`` before the demo) and then
    halves the threads of a run on an idle machine (measured: the demo on an idle 2-core
    machine ran at 100% CPU, one thread, after an install left the load average at 1.06)."""
    import time

    before = _cpu_times()
    if before is None:
        try:
            return os.getloadavg()[0]
        except OSError:  # no load average on this platform either
            return 0.0
    time.sleep(seconds)
    after = _cpu_times()
    if after is None or after[1] <= before[1]:
        return 0.0
    share = (after[0] - before[0]) / (after[1] - before[1])
    return share * (os.cpu_count() or 1)


def default_threads() -> int:
    """torch threads when the user names none: the physical cores (torch's own default) minus
    the cores other processes keep busy (``busy_cores``), at least one.

    Measured on this session's 2-core machine shared with other jobs (load average 1.5), one
    LoRA step of SmolLM2-135M: 1 thread 68 useful tokens/s, 2 threads 42 (fp32); bf16 103 vs 77.
    Two OpenMP threads on a core another process holds spin and wait for each other; on an
    idle machine both cores pay (matmul peak 82 vs 144 GFLOP/s)."""
    cores = _cores()
    return max(1, min(cores, round(cores - busy_cores())))


def use_default_threads() -> None:
    """Apply ``default_threads`` unless the user chose already (OMP_NUM_THREADS / MKL_NUM_THREADS;
    ``--threads`` comes later through HFModel.set_threads)."""
    import torch

    if os.environ.get("OMP_NUM_THREADS") or os.environ.get("MKL_NUM_THREADS"):
        return
    torch.set_num_threads(default_threads())


def return_free_memory() -> None:
    """Give the memory freed by earlier work back to the system before a memory-hungry stage.

    glibc keeps freed heap for reuse, so the scoring buffers of the stages before training
    stay resident and the training's activations land on top of them. Measured on the
    embedded model: 16 x 120 tokens scored, 1.23 GB resident, after this 1.05 GB. A no-op
    where glibc's ``malloc_trim`` is missing (macOS, musl)."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim = getattr(libc, "malloc_trim", None)
    except OSError:
        trim = None
    if trim is not None:
        trim(0)
