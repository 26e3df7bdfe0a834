"""Built-in evidence rules: cited findings from papers and vendor guides, as data.

The rules live in ``rules.yaml`` beside this file (id, kind, statement, source with the figure
it rests on, the profile fields read, the weights or the constraint); ``weighers.py`` holds the
few functions that turn benefit rules into points and the hard constraints. Registered through the ``advisor`` entry-point
group like any third-party plugin.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor.hookspecs import hookimpl

__version__ = "0.1.0"
ADVISOR_HOOKSPEC = "2.0"

RULES_FILE = Path(__file__).with_name("rules.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WeighSpec(_Strict):
    kind: Literal["step", "enum", "custom"]
    field: str | None = None
    steps: list[tuple[float, float]] | None = None
    below: float = 0.0
    missing: float = 0.0
    map: dict[Any, float] | None = None
    default: float = 0.0
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> WeighSpec:
        if self.kind == "step" and (self.field is None or not self.steps):
            raise ValueError("a step weigher needs 'field' and 'steps'")
        if self.kind == "enum" and (self.field is None or self.map is None):
            raise ValueError("an enum weigher needs 'field' and 'map'")
        return self


class ExcludeSpec(_Strict):
    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class RuleSpec(_Strict):
    id: str
    kind: Literal["benefit", "constraint"]
    statement: str
    source: dict[str, Any]
    fields: list[str]
    weigh: WeighSpec | None = None
    when: dict[str, list[Any]] = Field(default_factory=dict)
    prompt_only_when: dict[str, list[Any]] = Field(default_factory=dict)
    excludes: ExcludeSpec | None = None

    @model_validator(mode="after")
    def _kind(self) -> RuleSpec:
        if self.kind == "benefit" and (self.weigh is None or self.excludes is not None):
            raise ValueError(f"benefit rule {self.id} needs 'weigh' and no 'excludes'")
        if self.kind == "constraint" and (
            self.excludes is None or self.weigh is not None or self.when or self.prompt_only_when
        ):
            raise ValueError(
                f"constraint rule {self.id} needs 'excludes' and no 'weigh', 'when' or "
                "'prompt_only_when': a constraint adds no points"
            )
        return self


class RuleFile(_Strict):
    rules: list[RuleSpec]


def _weigh_function(spec: RuleSpec):
    from advisor_evidence import weighers

    w = spec.weigh
    assert w is not None  # a benefit rule (RuleSpec checks it)
    if w.kind == "custom":
        if spec.id not in weighers.CUSTOM:
            raise ValueError(f"rule {spec.id}: no custom weigher named '{spec.id}' in weighers.py")
        fn, kwargs = weighers.CUSTOM[spec.id], dict(w.params)
    elif w.kind == "step":
        fn = weighers.step
        kwargs = {"field": w.field, "steps": w.steps, "below": w.below, "missing": w.missing}
    else:
        fn, kwargs = weighers.enum, {"field": w.field, "map": w.map, "default": w.default}
    read = {w.field} if w.field else set()
    read |= set(spec.when) | set(spec.prompt_only_when)
    if not read <= set(spec.fields):
        raise ValueError(
            f"rule {spec.id} reads {sorted(read - set(spec.fields))} without declaring them"
        )
    when = {f: {str(v) for v in values} for f, values in spec.when.items()}
    cap = {f: {str(v) for v in values} for f, values in spec.prompt_only_when.items()}

    def matches(profile, conditions: dict[str, set[str]]) -> bool:
        return all(str(weighers._plain(getattr(profile, f))) in ok for f, ok in conditions.items())

    def weigh(profile) -> float:
        if not matches(profile, when):
            return 0.0
        weight = float(fn(profile, **kwargs))
        # The finding is about teaching behaviour: for these profiles it can only warn.
        return min(weight, 0.0) if cap and matches(profile, cap) else weight

    return weigh


def _excludes_function(spec: RuleSpec):
    from advisor_evidence import weighers

    assert spec.excludes is not None  # a constraint rule (RuleSpec checks it)
    if spec.excludes.name not in weighers.CONSTRAINTS:
        raise ValueError(f"rule {spec.id}: unknown constraint '{spec.excludes.name}'")
    fn, kwargs = weighers.CONSTRAINTS[spec.excludes.name], dict(spec.excludes.params)
    return lambda profile: fn(profile, **kwargs)


def load_rules(path: Path = RULES_FILE) -> list[Any]:
    """Validate a rules file and build ``advisor.evidence.Rule`` objects from it."""
    import yaml

    from advisor.evidence import Rule
    from advisor.recommendation import Source

    # libyaml's loader when present: the pure-Python one takes most of `recommend`'s time.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    data = RuleFile.model_validate(raw)
    rules = []
    for spec in data.rules:
        if spec.kind == "constraint":
            function = {"excludes": _excludes_function(spec)}
        else:
            function = {"weigh": _weigh_function(spec)}
        rules.append(
            Rule(
                id=spec.id,
                kind=spec.kind,
                statement=" ".join(spec.statement.split()),
                source=Source.model_validate(
                    {
                        k: " ".join(v.split()) if isinstance(v, str) else v
                        for k, v in spec.source.items()
                    }
                ),
                fields=spec.fields,
                origin="evidence",
                **function,
            )
        )
    return rules


@functools.lru_cache(maxsize=1)
def _builtin_rules() -> tuple[Any, ...]:
    return tuple(load_rules())


@hookimpl
def advisor_evidence() -> list[Any]:
    """The built-in rules (parsed once per process)."""
    return list(_builtin_rules())
