"""Plugin manager: built-in and third-party plugins load the same way, via entry points.

Rules (documented in docs/plugins.md):
- Every plugin is an entry point in the group ``advisor``; built-ins are declared in this
  project's pyproject.toml exactly like a third-party plugin's.
- ``ADVISOR_PLUGINS`` (comma-separated entry-point names) restricts which load; set to the
  empty string it loads none (core only).
- A plugin that fails to import, raises inside a hook or returns the wrong type is recorded
  with its error and skipped; the other plugins and the command carry on.
- Names are unique per kind. Built-ins load first, then third-party plugins in alphabetical
  order of entry-point name; the first provider of a name wins and later ones are reported.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TypeVar

import pluggy
from pydantic import BaseModel, Field

from advisor import hookspecs

BUILTIN_PLUGINS: tuple[str, ...] = ("evidence", "prompts", "peft", "lmeval")
HOOK_NAMES: tuple[str, ...] = tuple(
    n for n in dir(hookspecs) if n.startswith("advisor_") and callable(getattr(hookspecs, n))
)

T = TypeVar("T")


class PluginInfo(BaseModel):
    name: str
    module: str
    version: str | None = None
    distribution: str | None = None
    builtin: bool = False
    hooks: list[str] = Field(default_factory=list)
    provides: dict[str, list[str]] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)


class Plugins:
    """Loads plugins once and collects what their hooks return, isolating failures."""

    def __init__(self, eps: Iterable[EntryPoint] | None = None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.info: dict[str, PluginInfo] = {}
        self._load(list(entry_points(group=hookspecs.PROJECT)) if eps is None else list(eps))

    # -------------------------------------------------------------- loading

    def _load(self, eps: list[EntryPoint]) -> None:
        wanted = _wanted_names()
        eps = [ep for ep in eps if wanted is None or ep.name in wanted]
        # Built-ins first (in a fixed order), then third-party by name: this order decides ties.
        eps.sort(key=lambda ep: (ep.name not in BUILTIN_PLUGINS, _builtin_rank(ep.name), ep.name))
        seen: set[str] = set()
        for ep in eps:
            if ep.name in seen:  # the same distribution found twice on sys.path
                continue
            seen.add(ep.name)
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                name=ep.name,
                module=ep.value,
                version=getattr(dist, "version", None),
                distribution=getattr(dist, "name", None),
                builtin=ep.name in BUILTIN_PLUGINS,
            )
            self.info[ep.name] = info
            try:
                module = importlib.import_module(ep.value) if ":" not in ep.value else ep.load()
            except Exception as err:  # a broken plugin must not take the CLI down
                info.errors.append(f"import failed: {type(err).__name__}: {err}")
                continue
            problem = _version_problem(module)
            if problem:
                info.errors.append(problem)
                continue
            try:
                self.pm.register(module, name=ep.name)
            except Exception as err:
                info.errors.append(f"register failed: {type(err).__name__}: {err}")
                continue
            info.hooks = sorted(
                h.name for h in self.pm.get_hookcallers(module) or [] if h.name in HOOK_NAMES
            )

    def register(self, obj: Any, name: str) -> None:
        """Register an in-process plugin object (tests, embedding applications)."""
        self.pm.register(obj, name=name)
        self.info[name] = PluginInfo(
            name=name,
            module=getattr(obj, "__name__", type(obj).__name__),
            hooks=sorted(h.name for h in self.pm.get_hookcallers(obj) or []),
        )

    # -------------------------------------------------------------- calling

    def collect(self, hook: str, kind: type[T], **kwargs: Any) -> list[T]:
        """Call ``hook`` on every plugin, one at a time, and return the valid items.

        Items must be instances of ``kind`` with a unique ``name`` (or ``id`` for rules).
        """
        caller = getattr(self.pm.hook, hook)
        items: list[T] = []
        names: dict[str, str] = {}
        for impl in self._impls_in_load_order(caller):
            info = self.info.get(impl.plugin_name)
            try:
                result = impl.function(**{k: kwargs[k] for k in impl.argnames if k in kwargs})
            except Exception as err:
                _record(info, f"{hook} raised {type(err).__name__}: {err}")
                continue
            if result is None:
                continue
            if not isinstance(result, list | tuple):
                _record(info, f"{hook} returned {type(result).__name__}, expected a list")
                continue
            for item in result:
                if not isinstance(item, kind):
                    _record(
                        info, f"{hook} returned a {type(item).__name__}, expected {kind.__name__}"
                    )
                    continue
                key = getattr(item, "name", None) or getattr(item, "id", None)
                if key in names:
                    _record(
                        info,
                        f"{hook}: name '{key}' already provided by plugin '{names[key]}'; ignored",
                    )
                    continue
                names[key] = impl.plugin_name
                if getattr(item, "origin", None) in (None, "unknown"):
                    item = item.model_copy(update={"origin": impl.plugin_name})  # type: ignore[attr-defined]
                items.append(item)
                if info is not None:
                    info.provides.setdefault(hook, []).append(str(key))
        return items

    def call_commands(self, cli: Any) -> None:
        for impl in self._impls_in_load_order(self.pm.hook.advisor_commands):
            try:
                impl.function(cli=cli)
            except Exception as err:
                _record(self.info.get(impl.plugin_name), f"advisor_commands raised {err!r}")

    def _impls_in_load_order(self, caller: Any) -> list[Any]:
        order = {name: i for i, name in enumerate(self.info)}
        return sorted(caller.get_hookimpls(), key=lambda i: order.get(i.plugin_name, len(order)))

    # -------------------------------------------------------------- typed helpers

    def rules(self) -> list[Any]:
        from advisor.evidence import Rule

        return self.collect("advisor_evidence", Rule)

    def prompt_strategies(self) -> list[Any]:
        from advisor.components import PromptStrategy

        return self.collect("advisor_prompt_strategies", PromptStrategy)

    def training_backends(self) -> list[Any]:
        from advisor.components import TrainingBackend

        return self.collect("advisor_training_backends", TrainingBackend)

    def benchmarks(self) -> list[Any]:
        from advisor.components import BenchmarkRunner

        return self.collect("advisor_benchmarks", BenchmarkRunner)

    def models(self) -> list[Any]:
        from advisor.components import ModelSource

        return self.collect("advisor_models", ModelSource)

    def survey(self) -> list[PluginInfo]:
        """Call every hook once so that ``info`` lists what each plugin provides."""
        for info in self.info.values():
            info.provides.clear()
        self.rules()
        self.prompt_strategies()
        self.training_backends()
        self.benchmarks()
        self.models()
        return list(self.info.values())


def _record(info: PluginInfo | None, message: str) -> None:
    if info is not None and message not in info.errors:
        info.errors.append(message)


def _builtin_rank(name: str) -> int:
    return BUILTIN_PLUGINS.index(name) if name in BUILTIN_PLUGINS else 0


def _wanted_names() -> set[str] | None:
    raw = os.environ.get("ADVISOR_PLUGINS")
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


def _version_problem(module: Any) -> str | None:
    """A plugin may declare ``ADVISOR_HOOKSPEC = "1.0"``; a different major version is refused."""
    wanted = getattr(module, "ADVISOR_HOOKSPEC", None)
    if wanted is None:
        return None
    if str(wanted).split(".")[0] != hookspecs.HOOKSPEC_VERSION.split(".")[0]:
        return (
            f"built for hookspec {wanted}, this advisor provides {hookspecs.HOOKSPEC_VERSION}; "
            "not loaded"
        )
    return None


_default: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugin manager, loaded on first use."""
    global _default
    if _default is None:
        _default = Plugins()
    return _default


def reset_plugins() -> None:
    """Forget the loaded plugins (tests that change ADVISOR_PLUGINS or install a plugin)."""
    global _default
    _default = None
