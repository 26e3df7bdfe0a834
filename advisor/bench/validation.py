"""The one validation split both arms of a benchmark are tuned on.

Carved from the training data with the run's seed, stratified by label for classification:
fine-tunes train on the rest and stop on it, the prompt search draws demonstrations from the
rest and chooses its configuration on it. The test set is never used for any choice.
"""

from __future__ import annotations

import math
import random

from advisor.components import Example, TaskData

# About a fifth of the training data, enough rows to rank configurations and few enough to
# leave most data for training; under MIN_TRAIN rows there is nothing to spare.
VALIDATION_SHARE = 0.2
MIN_ROWS, MAX_ROWS, MIN_TRAIN = 8, 100, 20


def validation_size(n: int) -> int:
    """Rows the validation split takes from ``n`` training rows (0: no split)."""
    if n < MIN_TRAIN:
        return 0
    return min(MAX_ROWS, max(MIN_ROWS, round(n * VALIDATION_SHARE)))


def _quotas(groups: dict[str, list[Example]], size: int) -> dict[str, int]:
    """Rows per group, proportional to its share (largest remainders get the leftovers);
    every group keeps at least one row for training."""
    n = sum(len(g) for g in groups.values())
    exact = {k: len(g) * size / n for k, g in groups.items()}
    quota = {k: min(math.floor(v), len(groups[k]) - 1) for k, v in exact.items()}
    by_remainder = sorted(groups, key=lambda k: (quota[k] - exact[k], k))
    while sum(quota.values()) < size:
        room = [k for k in by_remainder if quota[k] < len(groups[k]) - 1]
        if not room:
            break
        quota[room[0]] += 1
        by_remainder.remove(room[0])
        by_remainder.append(room[0])
    return quota


def carve_validation(train: TaskData, seed: int) -> tuple[TaskData, TaskData | None]:
    """(the rest of ``train``, the validation split), or (``train``, None) when too small."""
    size = validation_size(len(train.examples))
    if not size:
        return train, None
    # A seed of its own: the split must not move when another seeded choice changes.
    rng = random.Random(seed + 7919)
    classification = train.task_type == "classification"
    groups: dict[str, list[Example]] = {}
    for e in train.examples:
        groups.setdefault(e.output if classification else "", []).append(e)
    for key in sorted(groups):
        rng.shuffle(groups[key])
    quota = _quotas(groups, size)
    picked = {id(e) for key in sorted(groups) for e in groups[key][: quota[key]]}
    if not picked:  # every label has a single row: none can be spared
        return train, None
    rest = [e for e in train.examples if id(e) not in picked]
    validation = [e for e in train.examples if id(e) in picked]
    rng.shuffle(validation)
    return (
        train.model_copy(update={"examples": rest}),
        train.model_copy(update={"examples": validation}),
    )
