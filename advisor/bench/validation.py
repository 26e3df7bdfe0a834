"""The one validation split both arms of a benchmark are tuned on.

Carved from the training data with the run's seed, stratified by label for classification
(``advisor.data.split``): fine-tunes train on the rest and stop on it, the prompt search
draws demonstrations from the rest and chooses its configuration on it. The test set is
never used for any choice.
"""

from __future__ import annotations

from advisor.components import TaskData
from advisor.data import split

# About a fifth of the training data, enough rows to rank configurations and few enough to
# leave most data for training; under MIN_TRAIN rows there is nothing to spare.
VALIDATION_SHARE = 0.2
MIN_ROWS, MAX_ROWS, MIN_TRAIN = 8, 100, 20


def validation_size(n: int) -> int:
    """Rows the validation split takes from ``n`` training rows (0: no split)."""
    if n < MIN_TRAIN:
        return 0
    return min(MAX_ROWS, max(MIN_ROWS, round(n * VALIDATION_SHARE)))


def carve_validation(train: TaskData, seed: int) -> tuple[TaskData, TaskData | None]:
    """(the rest of ``train``, the validation split), or (``train``, None) when too small."""
    size = validation_size(len(train.examples))
    if not size:
        return train, None
    # A seed of its own: the split must not move when another seeded choice changes.
    rest, validation = split(train, size / len(train.examples), seed + 7919)
    return rest, validation.model_copy(update={"name": train.name})
