"""Names the benchmark and the prompt strategies share: suite (task) names, primary metrics."""

from __future__ import annotations

import re

PRIMARY_METRIC = {"classification": "acc", "generation": "exact_match"}


def task_name(dataset: str, strategy: str) -> str:
    """A task name lm-eval accepts: advisor_<dataset>_<strategy>, lower-case, underscores."""
    slug = re.sub(r"[^a-z0-9]+", "_", f"advisor_{dataset}_{strategy}".lower()).strip("_")
    return slug
