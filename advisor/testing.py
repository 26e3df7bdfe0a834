"""Test helpers for plugin authors (and for advisor's own tests).

In your plugin's ``tests/conftest.py``::

    from advisor.testing import *  # noqa: F401,F403  (registers the fixtures below)

Fixtures: ``tiny_data`` (train, test), ``tiny_profile``, ``advisor_plugins`` (a plugin manager
with only the plugins you name), ``advisor_cli`` (run ``advisor ...`` in-process),
``fake_distribution`` (a throwaway installed distribution on ``sys.path``) and
``scratch_env`` (a throwaway virtual environment to ``pip install`` a plugin into for real).
The plain functions behind them work without pytest fixtures too. See docs/plugins.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import EntryPoint, PathDistribution
from pathlib import Path
from typing import Any

import pytest

from advisor.components import Example, TaskData
from advisor.hookspecs import PROJECT
from advisor.plugins import Plugins, reset_plugins, set_plugins
from advisor.profile import Profile

__all__ = [
    "ScratchEnv",
    "advisor_cli",
    "advisor_plugins",
    "fake_distribution",
    "make_distribution",
    "make_profile",
    "plugin_manager_with",
    "run_advisor",
    "scratch_env",
    "tiny_classification",
    "tiny_data",
    "tiny_profile",
]

# ---------------------------------------------------------------- tiny data

_POSITIVE = (
    "a great and wonderful film",
    "i loved every minute of it",
    "wonderful acting and a great story",
    "simply great fun i loved it",
    "a moving wonderful ending",
    "great cast great script",
    "loved the music and the great pace",
    "a wonderful warm funny film",
)
_NEGATIVE = (
    "an awful and boring film",
    "i hated every minute of it",
    "boring acting and an awful story",
    "simply awful i hated it",
    "a dull boring ending",
    "awful cast awful script",
    "hated the music and the boring pace",
    "a boring cold dull film",
)
_TEST = (
    ("great story and wonderful music", "positive"),
    ("i loved the cast", "positive"),
    ("a great warm ending", "positive"),
    ("wonderful film", "positive"),
    ("boring story and awful music", "negative"),
    ("i hated the cast", "negative"),
    ("a dull awful ending", "negative"),
    ("boring film", "negative"),
)


def tiny_classification() -> tuple[TaskData, TaskData]:
    """16 training and 8 test sentences, labels ``negative``/``positive``; a bag-of-words
    model separates them, a language model should too. Deterministic, no files."""
    pairs = []
    for good, bad in zip(_POSITIVE, _NEGATIVE, strict=True):
        pairs += [(good, "positive"), (bad, "negative")]
    train = [Example(input=t, output=y, line=n) for n, (t, y) in enumerate(pairs, 1)]
    test = [Example(input=t, output=y, line=n) for n, (t, y) in enumerate(_TEST, 1)]
    labels = ["negative", "positive"]
    return (
        TaskData(name="tiny-sentiment", task_type="classification", examples=train, labels=labels),
        TaskData(name="tiny-sentiment", task_type="classification", examples=test, labels=labels),
    )


def make_profile(**overrides: Any) -> Profile:
    """A valid Profile for a classification task with 2,000 labelled examples; override any
    field by name (``make_profile(labeled_examples=50)``)."""
    values: dict[str, Any] = {"task_type": "classification", "labeled_examples": 2000}
    values.update(overrides)
    return Profile(**values)


# ---------------------------------------------------------------- plugin managers


def plugin_manager_with(
    only: Iterable[str] | str = (), modules: Mapping[str, str] | None = None
) -> Plugins:
    """A plugin manager with only the named *installed* plugins (entry-point names), plus
    ``modules`` — ``{plugin_name: "import.path"}`` — loaded the same way without installing
    them. ``ADVISOR_PLUGINS`` is ignored. Nothing else is loaded, built-ins included."""
    from importlib.metadata import entry_points

    names = [only] if isinstance(only, str) else list(only)
    eps = [ep for ep in entry_points(group=PROJECT) if ep.name in names] if names else []
    eps += [EntryPoint(name=n, value=v, group=PROJECT) for n, v in (modules or {}).items()]
    return Plugins(eps=eps, only=[*names, *(modules or {})])


def run_advisor(
    *args: str, plugins: Plugins | None = None, env: Mapping[str, str] | None = None
) -> Any:
    """Run ``advisor ARGS`` in-process (click's CliRunner) and return its Result.

    ``plugins`` becomes the process-wide manager for the call (e.g. from
    ``plugin_manager_with``); otherwise plugins load afresh, honouring ``env``'s
    ``ADVISOR_PLUGINS``. Commands added by ``advisor_commands`` are those of the first load.
    """
    from click.testing import CliRunner

    from advisor.cli import cli

    set_plugins(plugins)
    try:
        return CliRunner().invoke(cli, list(args), env=dict(env or {}), catch_exceptions=True)
    finally:
        reset_plugins()


# ---------------------------------------------------------------- real installs


def make_distribution(
    root: Path,
    name: str,
    source: str,
    *,
    entry_point: str | None = None,
    version: str = "0.1.0",
    module: str | None = None,
) -> PathDistribution:
    """Write an installed-looking distribution into ``root``: a module and a ``.dist-info``
    with ``entry_points.txt`` in group ``advisor``. Put ``root`` on ``sys.path`` (or
    ``PYTHONPATH``) and ``importlib.metadata`` finds it like a pip-installed plugin.

    ``name`` is the distribution name; the module defaults to ``name`` with ``-`` -> ``_``.
    """
    module = module or name.replace("-", "_").replace(".", "_")
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{module}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[{PROJECT}]\n{entry_point or name} = {module}\n", encoding="utf-8"
    )
    return PathDistribution(info)


class ScratchEnv:
    """A throwaway virtual environment that sees the current one's packages (through a
    directory of symlinks) except the ``exclude``d distributions, so that tests can
    ``pip install`` and ``pip uninstall`` a plugin for real without touching the real venv."""

    def __init__(self, root: Path, exclude: Iterable[str] = ()) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        env_dir = self.root / "env"
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(env_dir)],
            check=True,
            capture_output=True,
        )
        self.python = env_dir / "bin" / "python"
        view = self.root / "view"
        view.mkdir(exist_ok=True)
        purelib = Path(sysconfig.get_paths()["purelib"])
        hidden = _entries_of(purelib, exclude)
        for entry in purelib.iterdir():
            if entry.name not in hidden:
                (view / entry.name).symlink_to(entry)
        site_packages = Path(
            subprocess.run(
                [
                    str(self.python),
                    "-c",
                    "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
        # addsitedir (not a bare path line) so that the view's own .pth files, e.g. editable
        # installs, are processed too.
        (site_packages / "_advisor_scratch_view.pth").write_text(
            f"import site; site.addsitedir({str(view)!r})\n", encoding="utf-8"
        )

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ADVISOR_PLUGINS")}
        env.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "NO_COLOR": "1"})
        env.update(extra or {})
        return env

    def run(
        self, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run this environment's python with ``args``."""
        return subprocess.run(
            [str(self.python), *args],
            capture_output=True,
            text=True,
            env=self.env(env),
            cwd=str(cwd or self.root),
        )

    def pip_install(self, path: Path | str, editable: bool = False) -> None:
        """``pip install`` a project folder (no network: no deps, no build isolation)."""
        cmd = ["-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
        target = str(Path(path).resolve())
        cmd += ["-e", target] if editable else [target]
        _checked(self.run(*cmd))

    def pip_uninstall(self, name: str) -> None:
        _checked(self.run("-m", "pip", "uninstall", "-y", "-q", name))

    def advisor(
        self, *args: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``advisor`` command line in this environment."""
        return self.run("-c", "from advisor.cli import main; main()", *args, env=env)


def _entries_of(purelib: Path, dists: Iterable[str]) -> set[str]:
    """Top-level names in ``purelib`` that belong to the given distributions (from RECORD)."""
    from importlib.metadata import PackageNotFoundError, distribution

    hidden: set[str] = set()
    for name in dists:
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        for file in dist.files or []:
            parts = Path(str(file)).parts
            if parts and parts[0] != ".." and (purelib / parts[0]).exists():
                hidden.add(parts[0])
    return hidden


def _checked(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, proc.args[1:4]))} failed ({proc.returncode}):\n"
            f"{proc.stdout}\n{proc.stderr}"
        )
    return proc


# ---------------------------------------------------------------- pytest fixtures


@pytest.fixture
def tiny_data() -> tuple[TaskData, TaskData]:
    """(train, test) of ``tiny_classification()``."""
    return tiny_classification()


@pytest.fixture
def tiny_profile() -> Profile:
    """A classification profile with 2,000 labelled examples (defaults elsewhere)."""
    return make_profile()


@pytest.fixture
def advisor_plugins() -> Iterator[Any]:
    """``plugin_manager_with``; the process-wide manager is reset afterwards."""
    yield plugin_manager_with
    reset_plugins()


@pytest.fixture
def advisor_cli() -> Any:
    """``run_advisor``: ``advisor_cli("plugins", "--json", plugins=...)``."""
    return run_advisor


@pytest.fixture
def fake_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``make(name, source, entry_point=None)``: a throwaway distribution on ``sys.path``."""
    import importlib

    root = tmp_path / "fake-site"
    monkeypatch.syspath_prepend(str(root))
    made: list[str] = []

    def make(name: str, source: str, **kwargs: Any) -> PathDistribution:
        dist = make_distribution(root, name, source, **kwargs)
        made.append(kwargs.get("module") or name.replace("-", "_").replace(".", "_"))
        importlib.invalidate_caches()
        return dist

    yield make
    for module in made:
        sys.modules.pop(module, None)
    reset_plugins()


@pytest.fixture
def scratch_env(tmp_path: Path) -> Any:
    """``make(exclude=())`` -> ScratchEnv in a temporary folder."""

    def make(exclude: Iterable[str] = ()) -> ScratchEnv:
        return ScratchEnv(tmp_path / "scratch", exclude=exclude)

    return make
