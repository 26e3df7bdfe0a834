"""advisor: fine-tune or prompt? Evidence-based advice, then proof on your own data.

Public API: ``Profile``, ``Recommendation``, ``recommend()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Profile", "Recommendation", "recommend", "__version__"]

if TYPE_CHECKING:
    from advisor.profile import Profile
    from advisor.recommendation import Recommendation


def __getattr__(name: str) -> Any:
    # Lazy so that `import advisor` (and so the CLI) stays fast.
    if name == "Profile":
        from advisor.profile import Profile

        return Profile
    if name == "Recommendation":
        from advisor.recommendation import Recommendation

        return Recommendation
    if name == "recommend":
        from advisor.engine import recommend

        return recommend
    raise AttributeError(name)
