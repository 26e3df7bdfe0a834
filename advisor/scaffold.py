"""`advisor plugins new NAME`: write a plugin skeleton that installs with pip and loads.

The skeleton is a complete distribution: pyproject.toml with the entry point, a package with
one hook (an evidence rule), and tests that pass before and after ``pip install``.
"""

from __future__ import annotations

import keyword
import os
import re
import shutil
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic import BaseModel

from advisor.errors import UsageError
from advisor.files import plain_mode
from advisor.hookspecs import HOOKSPEC_VERSION, PROJECT
from advisor.plugins import BUILTIN_PLUGINS, CORE_DISTRIBUTION

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
MAX_NAME = 40


class Skeleton(BaseModel):
    """What ``write_skeleton`` wrote."""

    name: str
    distribution: str
    package: str
    path: Path
    files: list[str]


def check_name(name: str) -> str:
    """The plugin (entry-point) name, or a UsageError saying what is wrong with it."""
    if not NAME_PATTERN.match(name or ""):
        raise UsageError(
            f"invalid plugin name '{name}': use lowercase letters, digits and single hyphens, "
            "starting with a letter (e.g. 'acme-rules')"
        )
    if len(name) > MAX_NAME:
        raise UsageError(f"invalid plugin name '{name}': at most {MAX_NAME} characters")
    if name == "advisor" or name.startswith("advisor-"):
        raise UsageError(
            f"invalid plugin name '{name}': leave out 'advisor-', the distribution gets it "
            "as a prefix"
        )
    if name in BUILTIN_PLUGINS:
        raise UsageError(f"invalid plugin name '{name}': a built-in plugin has this name")
    if keyword.iskeyword(name):
        raise UsageError(f"invalid plugin name '{name}': a Python keyword")
    return name


def core_dependency() -> str:
    """The ``dependencies`` lines of pyproject.toml: the core as it is installed here.

    The core is not on any package index, so a plain ``ft-advisor>=0.1`` only resolves where it
    is installed already; naming the installed distribution and version says exactly which
    one that is. Run from a source tree (no distribution installed), nothing is required.
    """
    try:
        installed = version(CORE_DISTRIBUTION)
    except PackageNotFoundError:
        return (
            f"# The advisor core ({CORE_DISTRIBUTION}) was not installed where this skeleton was\n"
            "# made; add it here once it is. It is not on PyPI: pip finds it installed.\n"
            "dependencies = []"
        )
    return (
        f"# The advisor core, as installed where this skeleton was made ({CORE_DISTRIBUTION}\n"
        f"# {installed}). It is not on PyPI: pip finds it installed, so install the core first.\n"
        f'dependencies = ["{CORE_DISTRIBUTION}>={installed}"]'
    )


def render(name: str) -> dict[str, str]:
    """Relative path -> file content of the skeleton for plugin ``name``."""
    package = "advisor_" + name.replace("-", "_")
    values = {
        "__CORE_DEPENDENCY__": core_dependency(),
        "__NAME__": name,
        "__DIST__": f"advisor-{name}",
        "__PACKAGE__": package,
        "__GROUP__": PROJECT,
        "__HOOKSPEC__": HOOKSPEC_VERSION,
    }
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README,
        f"{package}/__init__.py": _INIT,
        "tests/conftest.py": _CONFTEST,
        "tests/test_plugin.py": _TEST,
    }
    out = {}
    for path, text in files.items():
        for key, value in values.items():
            text = text.replace(key, value)
        out[path] = text.lstrip("\n")
    return out


def write_skeleton(name: str, parent: Path | str = ".") -> Skeleton:
    """Write the skeleton to ``parent/advisor-NAME``; refuses to touch an existing path."""
    check_name(name)
    parent = Path(parent)
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"--dir {parent} is a file, expected a folder")
    target = parent / f"advisor-{name}"
    if target.exists():
        raise UsageError(f"{target} already exists; choose another name or --dir")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # Build in a temporary sibling, then rename: a half-written skeleton never appears.
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    except OSError as err:
        raise UsageError(f"cannot write to {parent}: {err.strerror or err}") from None
    files = render(name)
    try:
        for rel, text in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        os.chmod(tmp, plain_mode(directory=True))  # mkdtemp makes it private
        os.replace(tmp, target)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UsageError(f"cannot write {target}: {err.strerror or err}") from None
    return Skeleton(
        name=name,
        distribution=f"advisor-{name}",
        package="advisor_" + name.replace("-", "_"),
        path=target,
        files=sorted(files),
    )


# ---------------------------------------------------------------- templates

_PYPROJECT = """
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "__DIST__"
version = "0.1.0"
description = "An advisor plugin: __NAME__"
readme = "README.md"
requires-python = ">=3.10"
__CORE_DEPENDENCY__

[project.optional-dependencies]
test = ["pytest>=8"]

# advisor finds plugins through entry points in the group "__GROUP__":
#   <plugin name> = "<module that holds the @hookimpl functions>"
[project.entry-points.__GROUP__]
__NAME__ = "__PACKAGE__"

[tool.setuptools]
packages = ["__PACKAGE__"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]  # the tests also run before `pip install`
"""

_README = """
# __DIST__

An `advisor` plugin. It registers the entry point `__NAME__` in the
group `__GROUP__` and adds one evidence rule, `__NAME__.weekly-changes`.

```bash
pip install -e .                 # offline: pip install --no-build-isolation -e .
advisor plugins                  # lists __NAME__ with its rule
advisor recommend --requirements-change weekly   # the rule shows among the reasons
pytest tests                     # passes before and after installing
```

Edit `__PACKAGE__/__init__.py`: replace the example rule with your own evidence, or add
other hooks (prompt strategies, training backends, benchmark runners, models, commands).
Import what you need from `advisor.api`; the author guide (hookspec __HOOKSPEC__) is
docs/plugins.md in the advisor repository.

`pip install` needs the advisor core installed first (it is not on PyPI; pyproject.toml names
the version this skeleton was made with). Without a package index, `--no-build-isolation`
builds with the setuptools already installed instead of downloading it.
"""

_INIT = '''
"""__DIST__: an advisor plugin (entry point `__NAME__`)."""

from __future__ import annotations

from advisor.api import Profile, Rule, Source, hookimpl

__version__ = "0.1.0"
# The hook-specification version this plugin was written for; another major is refused.
ADVISOR_HOOKSPEC = "__HOOKSPEC__"


def weigh_weekly_changes(profile: Profile) -> float:
    """Negative points favour prompting: a prompt is edited in minutes, a fine-tune retrained."""
    return -1.0 if profile.requirements_change == "weekly" else 0.0


@hookimpl
def advisor_evidence() -> list[Rule]:
    return [
        Rule(
            id="__NAME__.weekly-changes",
            statement=(
                "Requirements that change every week favour prompting: each change is a prompt "
                "edit instead of a new training run."
            ),
            source=Source(
                title="Replace with your source (paper, guide, or your own measurement)",
                kind="measurement",
                figure="Replace with the figure this rule rests on",
            ),
            fields=["requirements_change"],
            weigh=weigh_weekly_changes,
        )
    ]
'''

_CONFTEST = """
# advisor's fixtures for plugin authors: tiny_data, tiny_profile, advisor_plugins, advisor_cli,
# fake_distribution, scratch_env (see advisor.testing).
from advisor.testing import *  # noqa: F401,F403
"""

_TEST = '''
"""Tests for the __NAME__ plugin; they pass before and after `pip install`."""

from importlib.metadata import PackageNotFoundError, distribution

import pytest

from advisor.testing import make_profile


def test_rule_loads_and_weighs(advisor_plugins):
    # Loaded by import path the way an entry point is, without installing the package.
    plugins = advisor_plugins(modules={"__NAME__": "__PACKAGE__"})
    rules = {rule.id: rule for rule in plugins.rules()}
    assert plugins.info["__NAME__"].errors == []
    rule = rules["__NAME__.weekly-changes"]
    assert rule.weigh(make_profile(requirements_change="weekly")) < 0
    assert rule.weigh(make_profile(requirements_change="rarely")) == 0


def test_installed_entry_point(advisor_plugins):
    try:
        distribution("__DIST__")
    except PackageNotFoundError:
        pytest.skip("not installed; run `pip install -e .` to test the entry point")
    plugins = advisor_plugins(only=["__NAME__"])
    info = plugins.survey()[0]
    assert info.errors == []
    assert info.provides["advisor_evidence"] == ["__NAME__.weekly-changes"]
'''
