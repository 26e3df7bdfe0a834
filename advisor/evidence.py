"""Evidence rules: a cited claim plus a small function, of one of two kinds.

- A **constraint** rule decides what is *possible*: ``excludes(profile)`` returns
  ``{method: reason}`` for the methods that must never be recommended for this profile
  (memory that does not fit, no GPU, api-only weights, data that may not leave, no examples).
  It adds no points.
- A **benefit** rule says what *helps*: ``weigh(profile)`` returns signed points, positive
  favours fine-tuning, negative favours prompting, 0 means the rule does not apply. It never
  excludes a method, and it must not give points because something is possible or impossible
  (that is a constraint's job, counted once).

``kind`` may be given explicitly; when it is not, it follows from which function the rule has.
A rule with both functions is refused at load: split it into a constraint and a benefit rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor.profile import FIELD_NAMES, Profile
from advisor.recommendation import Reason, Source

RuleKind = Literal["benefit", "constraint"]


def _no_points(_: Profile) -> float:
    return 0.0


def _no_exclusions(_: Profile) -> dict[str, str]:
    return {}


class Rule(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    kind: RuleKind = Field(description="'benefit' (weigh) or 'constraint' (excludes).")
    statement: str
    source: Source
    fields: list[str] = Field(description="Profile fields the rule reads.")
    weigh: Callable[[Profile], float] = Field(default=_no_points, exclude=True)
    excludes: Callable[[Profile], dict[str, str]] = Field(default=_no_exclusions, exclude=True)
    origin: str = "unknown"

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        rule_id = data.get("id", "?")
        weighs = data.get("weigh") is not None
        excludes = data.get("excludes") is not None
        if weighs and excludes:
            raise ValueError(
                f"rule {rule_id} has both 'weigh' and 'excludes': a constraint decides what is "
                "possible and a benefit rule what helps; split it into one rule of each kind"
            )
        given = data.get("kind")
        implied = "constraint" if excludes else "benefit" if weighs else None
        if implied is None:
            raise ValueError(f"rule {rule_id} needs 'weigh' (benefit) or 'excludes' (constraint)")
        if given is not None and given != implied:
            need = "'excludes'" if given == "constraint" else "'weigh'"
            raise ValueError(f"rule {rule_id} is kind '{given}' and so needs {need}, only it")
        return {**data, "kind": implied}

    def model_post_init(self, _context: object) -> None:
        unknown = set(self.fields) - set(FIELD_NAMES)
        if unknown:
            raise ValueError(f"rule {self.id} reads unknown profile fields: {sorted(unknown)}")

    def reason(self, profile: Profile) -> Reason | None:
        """This rule's contribution for ``profile``, or None when it does not apply."""
        if self.kind != "benefit":
            return None
        weight = float(self.weigh(profile))
        if weight == 0:
            return None
        return Reason(
            rule_id=self.id,
            statement=self.statement,
            source=self.source,
            fields=self.fields,
            weight=round(weight, 3),
            origin=self.origin,
        )
