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
from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TypeVar

import pluggy

from advisor import hookspecs
from advisor.errors import AdvisorError, UsageError
from advisor.plugin_isolation import (
    PluginInfo,
    guarded_excludes,
    guarded_weigh,
    record,
    smoke_rules,
)

BUILTIN_PLUGINS: tuple[str, ...] = ("evidence", "prompts", "peft", "lmeval", "api")
# The distribution that ships the core and the built-ins; an entry point with a built-in name
# from any other distribution is a third-party plugin (and loses the name to the built-in).
CORE_DISTRIBUTION = "ft-advisor"
HOOK_NAMES: tuple[str, ...] = tuple(
    n for n in dir(hookspecs) if n.startswith("advisor_") and callable(getattr(hookspecs, n))
)

T = TypeVar("T")


class Plugins:
    """Loads plugins once and collects what their hooks return, isolating failures."""

    def __init__(
        self, eps: Iterable[EntryPoint] | None = None, only: Iterable[str] | None = None
    ) -> None:
        """Load ``eps`` (default: the installed entry points of group ``advisor``).

        ``only`` names the plugins to load and overrides ``ADVISOR_PLUGINS`` (tests use it).
        """
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.info: dict[str, PluginInfo] = {}
        self.rejected: list[PluginInfo] = []  # entry points that lost their name to another
        wanted = _wanted_names() if only is None else {n.strip() for n in only if n.strip()}
        self._load(
            list(entry_points(group=hookspecs.PROJECT)) if eps is None else list(eps), wanted
        )

    # -------------------------------------------------------------- loading

    def _load(self, eps: list[EntryPoint], wanted: set[str] | None) -> None:
        eps = [ep for ep in eps if wanted is None or ep.name in wanted]
        # Built-ins first (in a fixed order), then third-party by name: this order decides ties.
        eps.sort(key=lambda ep: (not _is_builtin(ep), _builtin_rank(ep.name), ep.name))
        for ep in eps:
            dist = getattr(ep, "dist", None)
            dist_name = getattr(dist, "name", None)
            earlier = self.info.get(ep.name)
            if earlier is not None:
                if earlier.distribution == dist_name:  # one distribution found twice on sys.path
                    continue
                self.rejected.append(
                    PluginInfo(
                        name=ep.name,
                        module=ep.value,
                        version=getattr(dist, "version", None),
                        distribution=dist_name,
                        errors=[
                            f"plugin name '{ep.name}' is already taken by "
                            f"'{earlier.distribution or earlier.module}' (first in load order "
                            "wins); not loaded"
                        ],
                    )
                )
                continue
            info = PluginInfo(
                name=ep.name,
                module=ep.value,
                version=getattr(dist, "version", None),
                distribution=dist_name,
                builtin=_is_builtin(ep),
            )
            self.info[ep.name] = info
            try:
                module = importlib.import_module(ep.value) if ":" not in ep.value else ep.load()
            except (Exception, SystemExit) as err:  # a broken plugin must not take the CLI down
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
            self._check_hooks(module, info)
        for name in sorted((wanted or set()) - set(self.info)):
            self.info[name] = PluginInfo(
                name=name,
                module="-",
                errors=["requested (ADVISOR_PLUGINS) but no installed plugin has this name"],
            )

    def _check_hooks(self, obj: Any, info: PluginInfo) -> None:
        """Record the hooks ``obj`` implements and the mistakes pluggy would pass over silently."""
        callers = self.pm.get_hookcallers(obj) or []
        info.hooks = sorted(h.name for h in callers if h.name in HOOK_NAMES)
        for h in callers:
            if not h.has_spec():
                info.errors.append(
                    f"implements unknown hook '{h.name}' (known: {', '.join(HOOK_NAMES)}); "
                    "never called"
                )
        for attr in dir(obj):
            if attr in HOOK_NAMES and attr not in info.hooks and callable(getattr(obj, attr)):
                info.errors.append(f"{attr} is not marked with @hookimpl; never called")

    def register(self, obj: Any, name: str) -> None:
        """Register an in-process plugin object (tests, embedding applications)."""
        self.pm.register(obj, name=name)
        info = PluginInfo(name=name, module=getattr(obj, "__name__", type(obj).__name__))
        self.info[name] = info
        self._check_hooks(obj, info)

    # -------------------------------------------------------------- calling

    def collect(
        self,
        hook: str,
        kind: type[T],
        adapt: Callable[[T, PluginInfo | None], T] | None = None,
        **kwargs: Any,
    ) -> list[T]:
        """Call ``hook`` on every plugin, one at a time, and return the valid items.

        Items must be instances of ``kind`` with a unique ``name`` (or ``id`` for rules).
        ``adapt(item, info)`` may wrap each accepted item, knowing which plugin gave it.
        """
        caller = getattr(self.pm.hook, hook)
        items: list[T] = []
        names: dict[str, str] = {}
        for impl in self._impls_in_load_order(caller):
            info = self.info.get(impl.plugin_name)
            try:
                result = impl.function(**{k: kwargs[k] for k in impl.argnames if k in kwargs})
            except Exception as err:
                record(info, f"{hook} raised {type(err).__name__}: {err}")
                continue
            if result is None:
                continue
            if not isinstance(result, list | tuple):
                record(info, f"{hook} returned {type(result).__name__}, expected a list")
                continue
            for item in result:
                if not isinstance(item, kind):
                    record(
                        info, f"{hook} returned a {type(item).__name__}, expected {kind.__name__}"
                    )
                    continue
                key = getattr(item, "name", None) or getattr(item, "id", None)
                if key in names:
                    record(
                        info,
                        f"{hook}: name '{key}' already provided by plugin '{names[key]}'; ignored",
                    )
                    continue
                names[key] = impl.plugin_name
                if getattr(item, "origin", None) in (None, "unknown"):
                    item = item.model_copy(update={"origin": impl.plugin_name})  # type: ignore[attr-defined]
                items.append(adapt(item, info) if adapt else item)
                if info is not None:
                    info.provides.setdefault(hook, []).append(str(key))
        return items

    def call_commands(self, cli: Any) -> None:
        """Let plugins add click commands. A command name that exists already (built-in, or
        from an earlier plugin) keeps its first owner; the plugin's replacement is dropped."""
        for impl in self._impls_in_load_order(self.pm.hook.advisor_commands):
            info = self.info.get(impl.plugin_name)
            before = dict(cli.commands)
            try:
                impl.function(cli=cli)
            except Exception as err:
                record(info, f"advisor_commands raised {err!r}")
            for name, command in before.items():  # removed ones come back too
                if name not in cli.commands:
                    cli.commands[name] = command
                    record(info, f"advisor_commands: removed command '{name}'; restored")
            added = []
            for name, command in list(cli.commands.items()):
                if name in before and before[name] is not command:
                    cli.commands[name] = before[name]
                    record(info, f"advisor_commands: command '{name}' already exists; ignored")
                elif name not in before:
                    added.append(name)
            if info is not None and added:
                info.provides["advisor_commands"] = sorted(added)

    def _impls_in_load_order(self, caller: Any) -> list[Any]:
        order = {name: i for i, name in enumerate(self.info)}
        return sorted(caller.get_hookimpls(), key=lambda i: order.get(i.plugin_name, len(order)))

    # -------------------------------------------------------------- typed helpers

    def rules(self) -> list[Any]:
        """Evidence rules whose ``weigh``/``excludes`` cannot take ``recommend`` down: a rule
        that raises or returns the wrong type counts 0 and is reported on its plugin."""
        from advisor.evidence import Rule

        def guard(rule: Rule, info: PluginInfo | None) -> Rule:
            return rule.model_copy(
                update={
                    "weigh": guarded_weigh(rule, info),
                    "excludes": guarded_excludes(rule, info),
                }
            )

        return self.collect("advisor_evidence", Rule, adapt=guard)

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

    def resolve_model(self, name: str | None = None) -> Any:
        """The ModelSource for ``name`` (None: the default model): a source some plugin lists
        under that name (``advisor_models``), else the first plugin that answers
        ``advisor_resolve_model`` (third-party before built-in); a UsageError listing what is
        available otherwise."""
        from advisor.components import ModelSource

        if name is not None:  # a model a plugin lists by name needs no resolver
            listed = next((s for s in self.models() if s.name == name and s.available), None)
            if listed is not None:
                return listed
        impls = self._impls_in_load_order(self.pm.hook.advisor_resolve_model)
        # Third-party plugins first: one may serve a name a built-in would also answer; a
        # catch-all resolver (``trylast``, the peft plugin's: it turns any other name into an
        # error) after every other.
        impls.sort(
            key=lambda i: (
                bool(getattr(self.info.get(i.plugin_name), "builtin", False)),
                bool(getattr(i, "trylast", False)),
            )
        )
        for impl in impls:
            info = self.info.get(impl.plugin_name)
            try:
                source = impl.function(name=name)
            except Exception as err:  # a model plugin's own error is the user's answer
                if isinstance(err, AdvisorError):
                    raise
                record(info, f"advisor_resolve_model raised {type(err).__name__}: {err}")
                continue
            if source is None:
                continue
            if not isinstance(source, ModelSource):
                record(info, f"advisor_resolve_model returned a {type(source).__name__}")
                continue
            return source
        available = ", ".join(s.name for s in self.models() if s.available) or "none"
        what = f"model '{name}'" if name else "the default model"
        raise UsageError(
            f"no model plugin provides {what}; available: {available} (or a local folder)"
        )

    def get(self, kind: str, name: str) -> Any:
        """One component by kind and name; the error lists the available names of that kind.

        ``kind``: strategy, backend, runner or model."""
        getters = {
            "strategy": self.prompt_strategies,
            "backend": self.training_backends,
            "runner": self.benchmarks,
            "model": self.models,
        }
        if kind not in getters:
            raise ValueError(f"unknown component kind '{kind}'; known: {', '.join(getters)}")
        items = {item.name: item for item in getters[kind]()}
        if name not in items:
            available = ", ".join(sorted(items)) or "none"
            raise UsageError(f"unknown {kind} '{name}'; available: {available}")
        return items[name]

    def methods(self) -> list[Any]:
        from advisor.methods import Method

        return self.collect("advisor_methods", Method)

    def survey(self) -> list[PluginInfo]:
        """Call every hook once so that ``info`` lists what each plugin provides."""
        for info in self.info.values():  # commands were added at start-up; keep those
            for hook in [h for h in info.provides if h != "advisor_commands"]:
                del info.provides[hook]
        rules = self.rules()
        self.prompt_strategies()
        self.training_backends()
        self.benchmarks()
        self.models()
        self.methods()
        smoke_rules(rules)
        return [*self.info.values(), *self.rejected]


def _is_builtin(ep: EntryPoint) -> bool:
    if ep.name not in BUILTIN_PLUGINS:
        return False
    dist = getattr(ep, "dist", None)
    # A hand-made EntryPoint (no distribution) with a built-in name is the built-in itself.
    return dist is None or _canonical(dist.name) == CORE_DISTRIBUTION


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


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


def set_plugins(plugins: Plugins | None) -> None:
    """Make ``plugins`` the process-wide manager (``advisor.testing`` uses it; None resets)."""
    global _default
    _default = plugins


def reset_plugins() -> None:
    """Forget the loaded plugins (tests that change ADVISOR_PLUGINS or install a plugin)."""
    global _default
    _default = None
