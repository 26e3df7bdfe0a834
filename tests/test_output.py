"""Quiet, honest output: the format follows --output's extension, files get the mode a plain
open() gives, third-party bars and warnings stay out of the terminal, and a skipped plugin is
mentioned in one line."""

from __future__ import annotations

import logging
import os
import sys
import types
import warnings

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.files import write_atomic
from advisor.progress import quiet_libraries
from advisor.report import format_for


@pytest.mark.parametrize(
    ("output", "fmt", "expected"),
    [
        ("advice.html", None, "html"),
        ("ADVICE.HTM", None, "html"),
        ("advice.md", None, "markdown"),
        ("advice.json", None, "json"),
        ("advice.txt", None, "text"),
        ("advice", None, "text"),
        (None, None, "text"),
        ("advice.html", "markdown", "markdown"),  # --format, when given, wins
    ],
)
def test_format_follows_the_output_extension(output, fmt, expected):
    assert format_for(output, fmt) == expected


@pytest.mark.parametrize(
    ("name", "start"), [("x.html", "<!DOCTYPE html>"), ("x.md", "# "), ("x.json", "{")]
)
def test_recommend_writes_what_the_extension_says(tmp_path, name, start):
    out = tmp_path / name
    result = CliRunner().invoke(cli, ["recommend", "--no-interactive", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith(start)


@pytest.fixture
def umask():
    def set_umask(value: int) -> None:
        os.umask(value)

    old = os.umask(0o022)
    yield set_umask
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_respect_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    path = write_atomic(tmp_path / "report.html", "<p>hi</p>")
    assert path.stat().st_mode & 0o777 == mode


def test_plugin_skeleton_folder_respects_the_umask(tmp_path, umask):
    from advisor.scaffold import write_skeleton

    umask(0o022)
    skeleton = write_skeleton("modes", tmp_path)
    assert skeleton.path.stat().st_mode & 0o777 == 0o755
    assert (skeleton.path / "README.md").stat().st_mode & 0o777 == 0o644


def _noisy_module(monkeypatch) -> types.ModuleType:
    module = types.ModuleType("noisy_library")
    calls: list[dict] = []

    def tqdm(iterable=None, **kwargs):
        calls.append(kwargs)
        return iterable

    module.tqdm = tqdm
    module.calls = calls
    monkeypatch.setitem(sys.modules, "noisy_library", module)
    return module


def test_quiet_libraries_silences_bars_logs_and_deprecations_then_restores(monkeypatch):
    module = _noisy_module(monkeypatch)
    original = module.tqdm
    logger = logging.getLogger("noisy_library")
    logger.setLevel(logging.INFO)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet_libraries(
            bars_in=["noisy_library", "not_installed_at_all"], loggers=["noisy_library"]
        ):
            assert list(module.tqdm([1, 2], disable=False)) == [1, 2]
            assert logger.level == logging.ERROR
            warnings.warn("old API", FutureWarning, stacklevel=1)
            warnings.warn("older API", DeprecationWarning, stacklevel=1)
        warnings.warn("ours", UserWarning, stacklevel=1)
    assert module.calls == [{"disable": True}]  # whatever the caller asked for
    assert module.tqdm is original
    assert logger.level == logging.INFO
    assert [str(w.message) for w in caught] == ["ours"]


def test_recommend_names_a_skipped_plugin_in_one_line(monkeypatch):
    from advisor.plugins import reset_plugins

    monkeypatch.setenv("ADVISOR_PLUGINS", "evidence,not-installed")
    reset_plugins()
    try:
        result = CliRunner().invoke(cli, ["recommend", "--no-interactive", "--json"])
    finally:
        monkeypatch.delenv("ADVISOR_PLUGINS")
        reset_plugins()
    assert result.exit_code == 0, result.output
    (line,) = result.stderr.splitlines()
    assert "plugin 'not-installed' skipped" in line and "advisor plugins" in line
    assert result.stdout.startswith("{")


def test_recommend_is_silent_on_stderr_when_every_plugin_loads():
    result = CliRunner().invoke(cli, ["recommend", "--no-interactive", "--json"])
    assert result.exit_code == 0
    assert result.stderr == ""


@pytest.mark.slow
def test_lmeval_runner_runs_no_git_outside_a_checkout(tmp_path, monkeypatch):
    """lm-eval records `git describe` of the working folder; outside a checkout git prints
    "fatal: not a git repository" on stderr. Inside the runner's quiet block it is not run."""
    import subprocess

    from advisor_lmeval import runner
    from lm_eval import evaluator

    monkeypatch.chdir(tmp_path)
    spawned: list[object] = []
    monkeypatch.setattr(subprocess, "check_output", lambda *a, **k: spawned.append(a))
    with runner._quiet():
        assert evaluator.get_git_commit_hash() is None
        evaluator.add_env_info({})
    assert spawned == []
