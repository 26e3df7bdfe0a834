"""What the core knows about prompt suites: their names and the metric that ranks them.

The suites themselves come from strategies (``PromptStrategy.build_suite``) and are written
and scored by runners (``BenchmarkRunner.write_task`` / ``run``); nothing here is runner-specific.
"""

from __future__ import annotations

import re

# The metric a suite of each task type is ranked by (the runner reports it per example).
PRIMARY_METRIC = {"classification": "acc", "generation": "exact_match"}
# The prompt arm the search tunes on the validation split, and the arm of a fine-tune scored
# with the configuration it chose (``<backend>+prompt``).
TUNED_PROMPT = "tuned-prompt"
COMBINED_SUFFIX = "+prompt"


def combined_name(backend: str) -> str:
    return backend + COMBINED_SUFFIX


def task_name(dataset: str, strategy: str) -> str:
    """A suite name every runner accepts: advisor_<dataset>_<strategy>, lower-case, underscores."""
    return re.sub(r"[^a-z0-9]+", "_", f"advisor_{dataset}_{strategy}".lower()).strip("_")
