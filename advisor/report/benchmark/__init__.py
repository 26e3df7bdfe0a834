"""Renderers of a benchmark's results: report.md and report.html, written beside results.json."""

from __future__ import annotations

from pathlib import Path

from advisor.bench.schema import BenchmarkResults
from advisor.files import write_atomic
from advisor.report.benchmark import html, markdown


def write_reports(results: BenchmarkResults, run_dir: Path) -> tuple[Path, Path]:
    md, page = run_dir / "report.md", run_dir / "report.html"
    write_atomic(md, markdown.render(results))
    write_atomic(page, html.render(results))
    return md, page
