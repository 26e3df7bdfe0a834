"""Evidence rules: a cited claim plus a small function that weighs a profile.

A rule's ``weigh(profile)`` returns signed points: positive favours fine-tuning, negative
favours prompting, 0 means the rule does not apply. A rule may also exclude methods outright
(a hard constraint) through ``excludes(profile)``, which returns
``{method: reason}`` for the methods that must never be recommended for this profile.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from advisor.profile import FIELD_NAMES, Profile
from advisor.recommendation import Reason, Source


def _no_exclusions(_: Profile) -> dict[str, str]:
    return {}


class Rule(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    statement: str
    source: Source
    fields: list[str] = Field(description="Profile fields the rule reads.")
    weigh: Callable[[Profile], float] = Field(exclude=True)
    excludes: Callable[[Profile], dict[str, str]] = Field(default=_no_exclusions, exclude=True)
    origin: str = "unknown"

    def model_post_init(self, _context: object) -> None:
        unknown = set(self.fields) - set(FIELD_NAMES)
        if unknown:
            raise ValueError(f"rule {self.id} reads unknown profile fields: {sorted(unknown)}")

    def reason(self, profile: Profile) -> Reason | None:
        """This rule's contribution for ``profile``, or None when it does not apply."""
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
