# ruff: noqa: F811
"""Start-up stays light: the CLI and its instant commands never import the heavy ML stack,
and a command's module is imported only when that command runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from advisor.cli import AdvisorGroup, LazyCommand, cli
from advisor.commands import BUILTIN_COMMANDS
from advisor.plugins import Plugins, set_plugins

# Importing a fixture registers it for this module; its parameters then "redefine" it (F811).
from advisor.testing import fake_distribution  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "peft", "lm_eval", "datasets", "sklearn")
HELLO = """
import click
from advisor.hookspecs import hookimpl

@click.command()
def hello():
    \"\"\"Say hello from a plugin.\"\"\"

@hookimpl
def advisor_commands(cli):
    cli.add_command(hello)
"""

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
    "command_modules": sorted(m for m in sys.modules if m.startswith("advisor.commands.")),
}}))
"""


def _env(**extra: str) -> dict[str, str]:
    return dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", **extra)


def probe(args: list[str]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def listed_commands(help_text: str) -> set[str]:
    """The names in the ``Commands:`` section of a click help page."""
    section = help_text.split("\nCommands:\n", 1)[1]
    # A name follows two spaces; a wrapped help line is indented further.
    return set(re.findall(r"^  (\S+)", section, flags=re.MULTILINE))


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


def test_help_lists_every_command_and_imports_none():
    got = probe(["--help"])
    assert listed_commands(got["output"]) >= set(BUILTIN_COMMANDS)
    assert got["command_modules"] == []


def test_a_command_imports_only_its_own_module():
    got = probe(["recommend", "--json"])
    # recommend.py itself and the shared options; never benchmark's or train's module.
    assert got["command_modules"] == ["advisor.commands._options", "advisor.commands.recommend"]


def test_the_table_names_every_command_module():
    modules = {p.stem for p in (ROOT / "advisor" / "commands").glob("[!_]*.py")}
    assert {
        entry.target.split(":")[0].rsplit(".", 1)[1] for entry in BUILTIN_COMMANDS.values()
    } == modules
    for name, entry in BUILTIN_COMMANDS.items():
        command = LazyCommand(name, entry).load()
        assert isinstance(command, click.Command) and command.name == name
    # A stand-in run on its own runs the real command, never an empty one.
    alone = CliRunner().invoke(LazyCommand("cost", BUILTIN_COMMANDS["cost"]), ["--json"])
    assert alone.exit_code == 0 and json.loads(alone.output)


def test_python_dash_m_advisor_is_the_cli():
    proc = subprocess.run(
        [sys.executable, "-m", "advisor", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: advisor ")
    assert listed_commands(proc.stdout) >= set(BUILTIN_COMMANDS)


def test_plugin_commands_are_listed_and_run(fake_distribution):
    fake_distribution("adv-hello", HELLO, entry_point="hello")
    group = AdvisorGroup("advisor", help=cli.help)  # fresh: the real one adds plugins once
    set_plugins(Plugins(only=["hello"]))
    try:
        page = CliRunner().invoke(group, ["--help"])
        ran = CliRunner().invoke(group, ["hello", "--help"])
    finally:
        set_plugins(None)
    assert page.exit_code == 0, page.output
    assert listed_commands(page.output) == {*BUILTIN_COMMANDS, "hello"}
    assert "Say hello from a plugin." in page.output
    assert ran.exit_code == 0 and "Usage: advisor hello" in ran.output


def test_a_plugin_command_shows_in_the_installed_help(fake_distribution):
    dist = fake_distribution("adv-hello", HELLO, entry_point="hello")
    site = str(dist.locate_file(""))  # the folder that holds the plugin and its .dist-info
    path = os.pathsep.join([site, os.environ.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "advisor", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(PYTHONPATH=path),
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert "hello" in listed_commands(proc.stdout)


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
    assert "x floor" in proc.stdout and "x python" in proc.stdout
    assert "the import floor" in proc.stdout
    assert "heavy modules after importing advisor.cli: none" in proc.stdout
