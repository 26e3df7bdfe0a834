"""Start-up stays light: the CLI and its instant commands never import the heavy ML stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "peft", "lm_eval", "datasets", "sklearn")

# A fresh interpreter: this test process may already hold torch from other tests.
PROBE = """
import json, sys
from click.testing import CliRunner
import advisor.cli
after_import = sorted(m for m in {heavy!r} if m in sys.modules)
result = CliRunner().invoke(advisor.cli.cli, {args!r})
print(json.dumps({{
    "exit_code": result.exit_code,
    "output": result.output,
    "after_import": after_import,
    "after_run": sorted(m for m in {heavy!r} if m in sys.modules),
}}))
"""


def probe(args: list[str]) -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [["--help"], ["recommend", "--json"], ["cost", "--json"]],
    ids=["help", "recommend", "cost"],
)
def test_instant_commands_leave_heavy_modules_unimported(args):
    got = probe(args)
    assert got["exit_code"] == 0, got["output"][-500:]
    assert got["after_import"] == []
    assert got["after_run"] == []
    if "--json" in args:
        json.loads(got["output"])  # the command printed one JSON document


def test_startup_benchmark_script_runs():
    script = ROOT / "benchmarks" / "startup"
    assert os.access(script, os.X_OK)
    proc = subprocess.run(
        [sys.executable, str(script), "--runs", "1", "--command", "cost --json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "x python" in proc.stdout
        and "heavy modules after importing advisor.cli: none" in proc.stdout
    )
