"""When a fine-tune stops: its step budget (floor, ceiling, evaluation interval), the plateau
rule on the watched validation metric, the stop at a perfect score, and the one-line judgement
of whether it converged.

Pure functions of numbers: no torch and no model, so the rule is unit-tested on made-up curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from advisor.components import TrainConfig

# Training to convergence (epochs None): the ceiling is max_steps, else MAX_EPOCHS_DEFAULT
# passes (TrainConfig.max_epochs) capped at AUTO_MAX_STEPS. The floor is FLOOR_EPOCHS passes
# (small data must not stop on the noise of its first evaluations) and at least MIN_EVALS
# evaluations.
AUTO_MAX_STEPS = 400
FLOOR_EPOCHS = 3
MIN_EVALS = 8
# Smallest change that counts as a gain: accuracy must rise by at least one more correct row
# (any rise), loss must fall by a thousandth of a nat (below that it is rounding noise).
MIN_DELTA = {"acc": 0.0, "loss": 1e-3}

Metric = Literal["acc", "loss"]
Stop = Literal["plateau", "saturated", "steps", "minutes"]
# The best value each metric can take: once reached, no later evaluation can count as a gain
# (``improved``), so the kept weights are final and more steps would be thrown away.
BEST_POSSIBLE: dict[str, float] = {"acc": 1.0}


@dataclass(frozen=True)
class Budget:
    """The step limits of one run; ``converge`` False when a fixed budget was asked for."""

    floor: int
    ceiling: int
    eval_every: int
    converge: bool
    max_seconds: float | None


def plan_budget(config: TrainConfig, steps_per_epoch: int) -> Budget:
    """Floor, ceiling and evaluation interval for ``config`` on ``steps_per_epoch`` steps."""
    per_epoch = max(1, steps_per_epoch)
    converge = config.epochs is None
    if config.max_steps:
        ceiling = config.max_steps
    elif converge:
        ceiling = min(AUTO_MAX_STEPS, math.ceil(config.max_epochs * per_epoch))
    else:
        ceiling = math.ceil(config.epochs * per_epoch)  # type: ignore[operator]
    ceiling = max(1, ceiling)
    auto_floor = max(FLOOR_EPOCHS * per_epoch, MIN_EVALS)
    floor = min(ceiling, config.min_steps or auto_floor)
    # Even the shortest run (stopped at the floor) gets MIN_EVALS evaluations.
    eval_every = config.eval_every or max(1, floor // MIN_EVALS)
    seconds = config.max_minutes * 60 if config.max_minutes else None
    return Budget(floor, ceiling, eval_every, converge, seconds)


def improved(metric: Metric, value: float, best: float | None) -> bool:
    """Whether ``value`` beats the best so far by more than the metric's minimum gain."""
    if best is None:
        return True
    if metric == "acc":
        return value > best + MIN_DELTA["acc"]
    return value < best - MIN_DELTA["loss"]


def should_stop(bad_evals: int, step: int, budget: Budget, patience: int) -> bool:
    """The plateau rule: ``patience`` evaluations without gain, and never under the floor."""
    return bad_evals >= patience and step >= budget.floor


def saturated(metric: Metric, best: float | None) -> bool:
    """Whether the best score is the best the metric can take (validation accuracy 1.0).

    Not held to the floor: the floor guards the plateau rule against the noise of the first
    evaluations, but here the outcome is already fixed. The run keeps the best weights and
    a later evaluation must beat them strictly, so every further step would end with these
    same weights (the demo reached 1.0 at step 63 and trained on to step 99 for nothing)."""
    top = BEST_POSSIBLE.get(metric)
    return top is not None and best is not None and best >= top


def judge(
    stop: Stop,
    budget: Budget,
    *,
    step: int,
    best_step: int | None,
    bad_evals: int,
    evaluations: int,
) -> tuple[bool, str]:
    """(converged, one-line reason) for a run that ended for ``stop`` at ``step``."""
    best = f"best at step {best_step}" if best_step is not None else "no best step"
    if evaluations == 0:
        return False, f"no validation split: trained {step} steps, convergence not judged"
    if stop == "plateau":
        return True, f"plateau: no gain for {bad_evals} evaluations ({best})"
    if stop == "saturated":
        return (
            True,
            f"saturated: validation accuracy 1.0 at step {best_step}, which no later step can beat",
        )
    if stop == "minutes":
        minutes = (budget.max_seconds or 0) / 60
        return False, f"ceiling: max_minutes {minutes:g} reached before a plateau ({best})"
    if budget.converge:
        return False, f"ceiling: max_steps {budget.ceiling} reached while still improving ({best})"
    # A fixed budget is judged from the curve: a best at the last evaluation was still rising.
    if bad_evals == 0:
        return False, f"fixed budget of {budget.ceiling} steps: still improving ({best})"
    return (
        True,
        f"fixed budget of {budget.ceiling} steps: no gain in the last {bad_evals} evaluations ({best})",
    )
