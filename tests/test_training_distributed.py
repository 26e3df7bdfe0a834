"""Training under `accelerate launch` with 2 CPU processes (gloo): the same command, data-parallel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_two_process_accelerate_run(tmp_path: Path):
    pytest.importorskip("accelerate")
    from advisor_peft.models import load_model

    load_model()  # make sure the cache exists, so the two workers do not both convert the GGUF
    data = tmp_path / "train.jsonl"
    rows = [
        ("great fun", "positive"),
        ("awful", "negative"),
        ("loved it", "positive"),
        ("dull", "negative"),
    ]
    data.write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in rows * 2))
    out = tmp_path / "out"
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    cmd = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
        "--dynamo_backend", "no", "-m", "advisor.cli",
        "train", "--data", str(data), "--output", str(out), "--max-steps", "2",
        "--batch-size", "2", "--grad-accum", "1", "--validation-fraction", "0", "--json", "--no-progress",
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["processes"] == 2 and metrics["steps"] == 2
    # 2 processes x 2 steps x batch 2: every process saw its own share of the data.
    assert metrics["examples_per_second"] * metrics["seconds"] == pytest.approx(8, rel=0.01)
    assert (out / "adapter_model.safetensors").is_file()
    printed = json.loads(proc.stdout[proc.stdout.index("{") :])  # only rank 0 prints
    assert printed["steps"] == 2
