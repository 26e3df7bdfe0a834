# ruff: noqa: F811
"""`advisor plugins new NAME`: name checks, what is written, and a real pip install of it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.errors import UsageError
from advisor.hookspecs import HOOKSPEC_VERSION
from advisor.scaffold import check_name, render, write_skeleton

# Importing a fixture registers it for this module; its parameters then "redefine" it (F811).
from advisor.testing import scratch_env  # noqa: F401


def new(*args: str):
    return CliRunner().invoke(cli, ["plugins", "new", *args])


@pytest.mark.parametrize("name", ["acme", "acme-rules", "x1", "team-42-rules"])
def test_valid_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "invalid plugin name"),
        ("Acme", "lowercase"),
        ("acme_rules", "lowercase letters, digits and single hyphens"),
        ("acme--rules", "single hyphens"),
        ("-acme", "starting with a letter"),
        ("1acme", "starting with a letter"),
        ("acme rules", "invalid plugin name"),
        ("../evil", "invalid plugin name"),
        ("a" * 41, "at most 40"),
        ("advisor-acme", "leave out 'advisor-'"),
        ("evidence", "built-in"),
        ("peft", "built-in"),
    ],
)
def test_bad_names_are_refused_with_exit_2(tmp_path, name, why):
    with pytest.raises(UsageError, match=why):
        check_name(name)
    result = new("--dir", str(tmp_path), "--", name)  # "--": "-acme" is a name, not an option
    assert result.exit_code == 2
    assert why.split("'")[0] in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_writes_a_complete_skeleton(tmp_path):
    result = new("acme-rules", "--dir", str(tmp_path / "plugins"), "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    root = tmp_path / "plugins" / "advisor-acme-rules"
    assert Path(info["path"]) == root
    assert info["package"] == "advisor_acme_rules"
    expected = {
        "pyproject.toml",
        "README.md",
        "advisor_acme_rules/__init__.py",
        "tests/conftest.py",
        "tests/test_plugin.py",
    }
    assert set(info["files"]) == expected
    written = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert written == expected
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points.advisor]\nacme-rules = "advisor_acme_rules"' in pyproject
    assert 'name = "advisor-acme-rules"' in pyproject
    init = (root / "advisor_acme_rules" / "__init__.py").read_text()
    assert f'ADVISOR_HOOKSPEC = "{HOOKSPEC_VERSION}"' in init and "@hookimpl" in init
    assert HOOKSPEC_VERSION.startswith("2.")
    assert "from advisor.api import" in init  # plugin authors import from the facade
    # No temporary folder is left beside it.
    assert [p.name for p in (tmp_path / "plugins").iterdir()] == ["advisor-acme-rules"]


def test_existing_directory_is_refused_and_left_alone(tmp_path):
    assert new("acme", "--dir", str(tmp_path)).exit_code == 0
    marker = tmp_path / "advisor-acme" / "README.md"
    marker.write_text("mine")
    result = new("acme", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert marker.read_text() == "mine"


def test_dir_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("")
    result = new("acme", "--dir", str(target))
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_text_output_says_what_to_do_next(tmp_path):
    result = new("acme", "--dir", str(tmp_path))
    assert result.exit_code == 0
    assert "pip install -e" in result.output
    assert "advisor plugins" in result.output


def test_generated_sources_are_valid_python_and_lint_clean(tmp_path):
    skeleton = write_skeleton("lint-me", tmp_path)
    for rel in skeleton.files:
        if rel.endswith(".py"):
            compile((skeleton.path / rel).read_text(), rel, "exec")
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        proc = subprocess.run(
            [str(ruff), "check", "--no-cache", "--select", "E,F,I,B,UP", str(skeleton.path)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_skeleton_loads_under_the_current_hookspec(tmp_path, monkeypatch):
    """The written package loads (by import path, as an entry point would) without errors."""
    from advisor.testing import make_profile, plugin_manager_with

    skeleton = write_skeleton("load-me", tmp_path)
    monkeypatch.syspath_prepend(str(skeleton.path))
    plugins = plugin_manager_with(modules={"load-me": skeleton.package})
    (rule,) = plugins.rules()
    assert plugins.info["load-me"].errors == []
    assert rule.weigh(make_profile(requirements_change="weekly")) == -1.0
    assert rule.weigh(make_profile(requirements_change="monthly")) == 0.0


def test_core_dependency_names_the_installed_distribution(monkeypatch):
    import advisor.scaffold as scaffold

    monkeypatch.setattr(scaffold, "version", lambda name: "7.3.1")
    assert 'dependencies = ["ft-advisor>=7.3.1"]' in render("acme")["pyproject.toml"]

    def missing(name: str) -> str:
        raise scaffold.PackageNotFoundError(name)

    monkeypatch.setattr(scaffold, "version", missing)
    pyproject = render("acme")["pyproject.toml"]
    assert "dependencies = []" in pyproject and "ft-advisor" in pyproject
    import tomllib

    assert tomllib.loads(pyproject)["project"]["dependencies"] == []


def test_render_is_deterministic_and_uses_the_name():
    a, b = render("acme"), render("acme")
    assert a == b
    assert all("__NAME__" not in text and "__PACKAGE__" not in text for text in a.values())


@pytest.mark.slow
def test_skeleton_installs_with_pip_and_shows_up(tmp_path, scratch_env):
    """Real pip install into a throwaway venv that sees this one's packages; the real .venv
    is never modified (other test runs share it)."""
    skeleton = write_skeleton("acme-check", tmp_path / "src")
    env = scratch_env(exclude=["advisor-acme-check"])

    # Its own tests pass before installing (the entry-point test skips) ...
    before = env.run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=skeleton.path)
    assert before.returncode == 0, before.stdout + before.stderr
    assert "1 passed, 1 skipped" in before.stdout

    # With its dependencies and no package index: the core requirement resolves from the
    # installed distribution (--no-build-isolation: setuptools is not downloadable offline).
    install = env.run(
        "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation", str(skeleton.path)
    )
    assert install.returncode == 0, install.stdout + install.stderr
    listed = env.advisor("plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    info = {i["name"]: i for i in json.loads(listed.stdout)}["acme-check"]
    assert info["errors"] == []
    assert info["distribution"] == "advisor-acme-check"
    assert info["version"] == "0.1.0"
    assert info["provides"] == {"advisor_evidence": ["acme-check.weekly-changes"]}

    # ... and all of them after (the entry point is now found by importlib.metadata).
    after = env.run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=skeleton.path)
    assert after.returncode == 0, after.stdout + after.stderr
    assert "2 passed" in after.stdout

    rec = env.advisor("recommend", "--requirements-change", "weekly", "--json")
    assert rec.returncode == 0, rec.stderr
    reasons = {r["rule_id"]: r for r in json.loads(rec.stdout)["reasons"]}
    assert reasons["acme-check.weekly-changes"]["origin"] == "acme-check"

    env.pip_uninstall("advisor-acme-check")
    gone = env.advisor("plugins", "--json")
    assert "acme-check" not in [i["name"] for i in json.loads(gone.stdout)]
    rec = env.advisor("recommend", "--requirements-change", "weekly", "--json")
    assert rec.returncode == 0, rec.stderr
    assert "acme-check.weekly-changes" not in {
        r["rule_id"] for r in json.loads(rec.stdout)["reasons"]
    }


def test_plugin_guide_lists_every_profile_field_and_value():
    """docs/plugins.md's Profile table: every field, every enum value, and the statements a
    plugin author needs (Source.figure required, the task-type mapping, shots)."""
    from enum import Enum
    from typing import get_args

    from advisor.profile import Profile

    guide = (Path(__file__).parents[1] / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name, field in Profile.model_fields.items():
        row = next((line for line in guide.splitlines() if line.startswith(f"| `{name}` |")), "")
        assert row, f"docs/plugins.md has no Profile row for {name}"
        for arg in get_args(field.annotation) or (field.annotation,):
            if isinstance(arg, type) and issubclass(arg, Enum):
                assert all(f"`{m.value}`" in row for m in arg), f"{name}: enum values missing"
    assert "**required**" in guide and "`figure`" in guide
    assert "Every strategy receives the same\n`SuiteOptions`" in guide
    assert "| `generation` | `input`, `output` |" in guide
