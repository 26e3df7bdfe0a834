"""`advisor benchmark` killed with SIGKILL at several moments, then resumed: the resumed run
ends with the same results as an uninterrupted one, ``results.json`` is valid JSON whenever it
exists, and a run that was killed never looks finished.

The fake plugin (tests/fake_plugin.py) stands in for the model, runner and backend, slowed by
FAKE_DELAY_S so that a kill lands between strategies and inside a fine-tune. Every wait is
bounded. (The verdict and report stages take milliseconds with the fake: a kill there is not
timed; they only read results.json and write through write_atomic.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_goldens import fake_benchmark

TESTS = Path(__file__).resolve().parent
CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_goldens import fake_benchmark
fake_benchmark(Path(sys.argv[1]), resume=sys.argv[2] == "resume")
"""
DELAY_S = 0.5
WAIT_LIMIT_S = 60.0


def _results(run: Path) -> dict[str, Any] | None:
    path = run / "run" / "results.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))  # must parse at every moment


def _strategies(n: int) -> Callable[[Path], bool]:
    def done(run: Path) -> bool:
        doc = _results(run)
        return doc is not None and len(doc["strategies"]) >= n

    return done


def _training(run: Path) -> bool:
    return (run / "run" / "finetunes" / "fake-ft").exists()


def _kill_when(run: Path, ready: Callable[[Path], bool]) -> None:
    env = dict(os.environ, FAKE_DELAY_S=str(DELAY_S))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(tests=str(TESTS)), str(run), "fresh"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + WAIT_LIMIT_S
    try:
        while not ready(run):
            doc = _results(run)
            assert doc is None or not doc["complete"], "finished before the kill point"
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "kill point never reached"
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    doc = _results(run)
    assert doc is None or not doc["complete"], "a killed run looks finished"
    assert not (run / "run" / "report.html").exists(), "reports of an unfinished run"


def _comparable(results: dict[str, Any]) -> dict[str, Any]:
    results["options"].pop("resume", None)  # the resumed run says so; nothing else may differ
    return results


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(_strategies(1), id="after-the-first-strategy"),
        pytest.param(_strategies(3), id="between-prompts-and-fine-tune"),
        pytest.param(_training, id="inside-the-fine-tune"),
    ],
)
def test_killed_benchmark_resumes_to_the_uninterrupted_results(tmp_path, moment) -> None:
    reference = _comparable(fake_benchmark(tmp_path / "reference"))
    run = tmp_path / "killed"
    _kill_when(run, moment)
    resumed = _comparable(fake_benchmark(run, resume=True))
    assert resumed == reference
    assert (run / "run" / "report.html").exists()
