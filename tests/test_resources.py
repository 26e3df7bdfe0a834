"""The end-of-run resource line: wall, CPU and peak RSS, stored in results.json."""

from __future__ import annotations

import json

from test_goldens import run_fake_benchmark

from advisor.bench import resources
from advisor.bench.schema import RunResources


def test_a_benchmark_run_stores_what_it_cost(tmp_path):
    results = run_fake_benchmark(tmp_path / "run")
    r = results.resources
    assert r is not None
    assert r.wall_seconds == round(results.seconds["total"], 1)
    assert r.cpu_seconds > 0
    assert 0.05 < r.peak_rss_gb < 64  # a Python process with pydantic loaded, in GB not kB
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert RunResources(**saved["resources"]) == r


def test_a_resumed_run_adds_its_cpu_time_and_keeps_the_larger_peak(monkeypatch):
    monkeypatch.setattr(resources, "_rusage", lambda: (30.0, 1.5))
    earlier = RunResources(wall_seconds=50, cpu_seconds=40, peak_rss_gb=2.0)
    assert resources.measure(90.04, earlier) == RunResources(
        wall_seconds=90.0, cpu_seconds=70.0, peak_rss_gb=2.0
    )
    assert resources.measure(10, None).peak_rss_gb == 1.5


def test_the_line_reads_like_time():
    line = resources.describe(RunResources(wall_seconds=271.4, cpu_seconds=59, peak_rss_gb=2.314))
    assert line == (
        "resources: 4m31s wall, 59s CPU (user + system, children included), peak RSS 2.31 GB"
    )


def test_the_command_prints_the_line_last_on_stderr(monkeypatch, tmp_path):
    from click.testing import CliRunner

    import advisor.bench.run as run
    from advisor.cli import cli

    results = run_fake_benchmark(tmp_path / "fake")  # before the patch: it calls run_benchmark
    monkeypatch.setattr(run, "run_benchmark", lambda options, **_: results)
    res = CliRunner().invoke(cli, ["benchmark", "--json", "--output", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["resources"]["cpu_seconds"] > 0  # stdout stays one document
    assert res.stderr.strip().splitlines()[-1].startswith("resources: ")
