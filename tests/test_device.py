"""The peft plugin's device, training dtype and default thread count (advisor_peft.device)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from advisor_peft import device as dev

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("env", "flags", "expected"),
    [
        ("auto", {"avx512f", "avx512_bf16"}, torch.bfloat16),
        ("auto", {"amx_bf16"}, torch.bfloat16),
        ("auto", {"avx512f", "avx2"}, None),  # bf16 would be emulated: slower than fp32
        ("fp32", {"avx512_bf16"}, None),
        ("bf16", set(), torch.bfloat16),
    ],
)
def test_cpu_training_dtype_follows_the_cpu_flags_and_the_override(
    monkeypatch, env, flags, expected
):
    monkeypatch.setenv(dev.DTYPE_ENV, env)
    monkeypatch.setattr(dev, "_cpu_flags", lambda: flags)
    assert dev.train_dtype(torch.device("cpu")) is expected


def test_autocast_is_bf16_only_when_chosen(monkeypatch):
    monkeypatch.setenv(dev.DTYPE_ENV, "bf16")
    layer = torch.nn.Linear(4, 4)
    with dev.autocast(torch.device("cpu")):
        assert layer(torch.ones(1, 4)).dtype == torch.bfloat16
    monkeypatch.setenv(dev.DTYPE_ENV, "fp32")
    with dev.autocast(torch.device("cpu")):
        assert layer(torch.ones(1, 4)).dtype == torch.float32


def test_the_device_is_cuda_exactly_when_cuda_is_there(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dev.device().type == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.device().type == "cuda"


@pytest.mark.parametrize(
    ("cores", "busy", "expected"), [(2, 0.0, 2), (2, 1.5, 1), (2, 9.0, 1), (16, 4.2, 12)]
)
def test_default_threads_leave_the_busy_cores_alone(monkeypatch, cores, busy, expected):
    monkeypatch.setattr(dev, "_cores", lambda: cores)
    monkeypatch.setattr(dev, "busy_cores", lambda: busy)
    assert dev.default_threads() == expected


def test_busy_cores_are_measured_now_not_read_off_the_load_average(monkeypatch):
    """The 1-minute load average remembers this run's own past work; /proc/stat over a short
    window says what the other processes do now."""
    readings = iter([(1000, 4000), (1150, 4200)])  # 150 of 200 jiffies busy
    monkeypatch.setattr(dev, "_cpu_times", lambda: next(readings))
    monkeypatch.setattr(dev.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(dev.os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    monkeypatch.setattr("time.sleep", lambda s: None)
    assert dev.busy_cores() == pytest.approx(1.5)


def test_busy_cores_fall_back_to_the_load_average_without_proc_stat(monkeypatch):
    monkeypatch.setattr(dev, "_cpu_times", lambda: None)
    monkeypatch.setattr(dev.os, "getloadavg", lambda: (0.7, 0.1, 0.1))
    assert dev.busy_cores() == pytest.approx(0.7)


def test_cpu_times_reads_this_machine():
    times = dev._cpu_times()
    if times is None:
        pytest.skip("no /proc/stat on this platform")
    busy, total = times
    assert 0 <= busy <= total and total > 0


def test_an_explicit_thread_setting_wins(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setattr(dev, "default_threads", lambda: 99)
    try:
        dev.use_default_threads()  # would set 99 threads if it ignored OMP_NUM_THREADS
        assert torch.get_num_threads() == before
    finally:
        torch.set_num_threads(before)


def test_no_module_names_a_device_but_device_py():
    """Every 'cpu'/'cuda' choice goes through advisor_peft.device (the issue: scoring hard-coded
    device='cpu'); moving tensors back with .cpu() for saving is fine."""
    offenders = []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        if path.name == "device.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"""device\(\s*["'](cpu|cuda)|device\s*=\s*["'](cpu|cuda)""", line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_short_cpu_batches_train_with_matmul_attention_long_ones_and_cuda_keep_sdpa(
    monkeypatch,
):
    monkeypatch.delenv(dev.ATTENTION_ENV, raising=False)
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    # The demo's longest batch on SmolLM2-135M (9 heads, 30 layers): 8 x 57 tokens.
    assert dev.training_attention(cpu, 8, 57, 9, 30) == "eager"
    assert dev.training_attention(cpu, 8, 512, 9, 30) is None  # 3.4 GB of attention weights
    assert dev.training_attention(cuda, 8, 57, 9, 30) is None
    monkeypatch.setenv(dev.ATTENTION_ENV, "sdpa")  # the override, for measuring
    assert dev.training_attention(cpu, 8, 57, 9, 30) == "sdpa"
