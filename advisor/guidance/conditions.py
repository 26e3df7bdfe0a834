"""Conditions and texts as data: a fact, a comparison, a threshold; a format string over facts.

guidance.yaml writes a condition as a mapping of fact names to tests (see the file's header);
it is parsed here into clauses, all of which must hold, plus optional alternatives (``any``).
Facts are a plain mapping of names to values, built by ``advisor.guidance.facts``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from string import Formatter
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

Facts = Mapping[str, Any]
Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in"]
Scalar = bool | int | float | str | None

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
_OPS = ("eq", "ne", *_ORDER, "in")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ref(Strict):
    """A threshold that is another fact, optionally scaled: {fact: gpu_memory_gb, times: 0.6}."""

    fact: str
    times: float = 1.0


class Clause(Strict):
    field: str
    op: Op
    value: Scalar | list[Scalar] | Ref

    @model_validator(mode="after")
    def _list_for_in(self) -> Clause:
        if (self.op == "in") != isinstance(self.value, list):
            raise ValueError(f"{self.field}: a list of values goes with 'in', and only there")
        return self

    def holds(self, facts: Facts) -> bool:
        actual, expected = facts[self.field], self.value
        if isinstance(expected, Ref):
            base = facts[expected.fact]
            # Written as factor * fact, the way the threshold used to be computed.
            expected = None if base is None else expected.times * base
        if self.op == "in":
            return actual in expected  # type: ignore[operator]
        if self.op in ("eq", "ne"):
            return (actual == expected) == (self.op == "eq")
        if actual is None or expected is None:
            return False  # a missing value is neither above nor below any threshold
        return _ORDER[self.op](actual, expected)


class Condition(Strict):
    """All clauses hold, and at least one of ``any`` when it is given."""

    clauses: list[Clause] = []
    any: list[Condition] = []

    @model_validator(mode="before")
    @classmethod
    def _from_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"a condition is a mapping of fact names to tests, not {data!r}")
        tests = dict(data)
        alternatives = tests.pop("any", [])
        return {
            "clauses": [c for f, t in tests.items() for c in _clauses(f, t)],
            "any": alternatives,
        }

    def holds(self, facts: Facts) -> bool:
        if not all(c.holds(facts) for c in self.clauses):
            return False
        return not self.any or any(a.holds(facts) for a in self.any)

    def walk(self) -> Iterator[Clause]:
        """Every clause, alternatives included, for the loader's reference checks."""
        yield from self.clauses
        for alternative in self.any:
            yield from alternative.walk()


def _clauses(field: str, test: Any) -> list[dict[str, Any]]:
    if isinstance(test, list):
        return [{"field": field, "op": "in", "value": test}]
    if not isinstance(test, dict):
        return [{"field": field, "op": "eq", "value": test}]
    unknown = sorted(set(test) - set(_OPS))
    if unknown:
        raise ValueError(f"{field}: unknown comparison {unknown[0]!r} (known: {', '.join(_OPS)})")
    return [{"field": field, "op": op, "value": value} for op, value in test.items()]


class Case(Strict):
    """One branch: it applies when ``when`` holds (always, without one)."""

    when: Condition | None = None
    text: str | None = None

    def applies(self, facts: Facts) -> bool:
        return self.when is None or self.when.holds(facts)


C = TypeVar("C", bound=Case)


def first_match(cases: list[C], facts: Facts) -> C:
    """The first case that applies; the loader guarantees the last one always does."""
    return next(case for case in cases if case.applies(facts))


def render(template: str, facts: Facts) -> str:
    return template.format_map(facts)


def template_names(template: str) -> set[str]:
    """The fact names a format string reads ("{labeled_examples:,}" -> labeled_examples)."""
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}
