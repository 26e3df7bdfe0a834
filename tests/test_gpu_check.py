"""benchmarks/gpu_check: refuses without CUDA in one line; its stage timing and speed table
(exercised on the CPU with the fake plugin, and once with the real model, marked slow)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_goldens import fake_benchmark_options, fake_plugins, run_fake_benchmark

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check"


def _script():
    loader = importlib.machinery.SourceFileLoader("gpu_check", str(SCRIPT))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("gpu_check", loader))
    loader.exec_module(module)
    return module


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env
    )


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_without_cuda_it_exits_non_zero_with_one_line():
    res = _run()
    assert res.returncode == 1
    assert res.stdout == ""
    assert res.stderr.strip().count("\n") == 0
    assert "CUDA is not available" in res.stderr


def test_every_stage_is_timed_and_the_table_has_the_speeds(tmp_path):
    gpu_check = _script()
    options = fake_benchmark_options(
        tmp_path / "run", strategies=["zero-shot", "fake-ft"], limit=20, train_limit=40
    )
    plugins = fake_plugins()
    timings = list(gpu_check.timed_stages(options, plugins))
    assert [name for name, _ in timings] == [
        "data",
        "prompt_arms",
        "tuned_prompt",
        "fine_tunes",
        "combined_arms",
        "verdict",
        "report",
    ]
    assert all(seconds >= 0 for _, seconds in timings)
    results = run_fake_benchmark(tmp_path / "again", strategies=["zero-shot", "fake-ft"])
    text = gpu_check.table(timings, results, "cpu")
    assert "| fine_tunes |" in text and "| **total** |" in text
    assert "fake-ft | training, useful tokens/s" in text
    assert "target < 300 s: met" in text and "resources: " in text


@pytest.mark.slow
def test_gpu_check_runs_the_real_demo_on_the_cpu_when_allowed():
    res = _run("--allow-cpu", "--limit", "10", "--train-limit", "24", "--max-steps", "2")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "| fine_tunes |" in res.stdout
    assert "lora | training, useful tokens/s" in res.stdout
    assert "scoring, prompt tokens/s" in res.stdout
