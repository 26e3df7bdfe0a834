"""recommend(profile) -> Recommendation. (Skeleton: the evidence engine replaces the scoring.)"""

from __future__ import annotations

from advisor.profile import Profile
from advisor.recommendation import Recommendation


def recommend(profile: Profile | None = None, **kwargs) -> Recommendation:  # pragma: no cover
    raise NotImplementedError
