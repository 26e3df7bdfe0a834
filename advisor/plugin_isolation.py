"""Isolation: what the plugin manager records about each plugin, and the guards that turn a
failing rule into a recorded error (counted 0) instead of an exception in ``recommend``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field


class PluginInfo(BaseModel):
    name: str
    module: str
    version: str | None = None
    distribution: str | None = None
    builtin: bool = False
    hooks: list[str] = Field(default_factory=list)
    provides: dict[str, list[str]] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)


def record(info: PluginInfo | None, message: str) -> None:
    if info is not None and message not in info.errors:
        info.errors.append(message)


def smoke_rules(rules: list[Any]) -> None:
    """Weigh every rule once on the default profile so that broken rules show up in
    ``advisor plugins`` rather than in the middle of a recommendation (guards record them)."""
    from advisor.profile import Profile

    profile = Profile()
    for rule in rules:
        rule.weigh(profile)
        rule.excludes(profile)


def guarded_weigh(rule: Any, info: PluginInfo | None) -> Callable[[Any], float]:
    weigh = rule.weigh

    def guarded(profile: Any) -> float:
        try:
            value = weigh(profile)
            points = float(value)
        except Exception as err:
            record(info, f"rule '{rule.id}' weigh raised {type(err).__name__}: {err}; counted 0")
            return 0.0
        if isinstance(value, bool) or not math.isfinite(points):
            record(info, f"rule '{rule.id}' weigh returned {value!r}, expected a number; counted 0")
            return 0.0
        return points

    return guarded


def guarded_excludes(rule: Any, info: PluginInfo | None) -> Callable[[Any], dict[str, str]]:
    excludes = rule.excludes

    def guarded(profile: Any) -> dict[str, str]:
        try:
            value = excludes(profile)
        except Exception as err:
            record(info, f"rule '{rule.id}' excludes raised {type(err).__name__}: {err}; ignored")
            return {}
        if not isinstance(value, dict):
            record(
                info, f"rule '{rule.id}' excludes returned {type(value).__name__}, expected a dict"
            )
            return {}
        return {str(k): str(v) for k, v in value.items()}

    return guarded
