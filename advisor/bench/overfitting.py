"""Overfitting, measured from a fine-tune's loss curves (TrainResult.train_loss / validation_loss).

At each validation step the generalisation gap is validation loss minus the training loss
around that step (the mean of the training losses logged since the previous validation, so
one noisy batch does not decide it). The run is flagged when, after the best validation
step, validation loss rose by more than ``RISE`` (relative) *and* the gap widened by more
than ``WIDEN`` (relative to the gap at the best step, or by an absolute 0.05 nats when that
gap was near zero). Fewer than ``MIN_POINTS`` validation points judge nothing: two points of
a falling loss say nothing about what comes after. Pure functions: no model, no I/O.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

RISE = 0.05  # validation loss 5% above its minimum
WIDEN = 0.25  # gap 25% wider than at the best step
MIN_POINTS = 5  # validation points needed to read a curve


class GapPoint(BaseModel):
    step: int
    train_loss: float
    validation_loss: float
    gap: float


class OverfittingReport(BaseModel):
    points: list[GapPoint]
    best_step: int | None = Field(None, description="Step with the lowest validation loss.")
    best_validation_loss: float | None = None
    final_validation_loss: float | None = None
    validation_rise: float | None = Field(None, description="(final - best) / best")
    gap_at_best: float | None = None
    final_gap: float | None = None
    stopped_early: bool = False
    early_stop_step: int | None = Field(
        None, description="Last step trained when early stopping cut in."
    )
    level: Literal["none", "mild", "overfitting", "unknown"]
    summary: str


def _train_loss_near(train: list[tuple[int, float]], prev_step: int, step: int) -> float | None:
    window = [loss for s, loss in train if prev_step < s <= step]
    if window:
        return sum(window) / len(window)
    earlier = [(s, loss) for s, loss in train if s <= step]
    return earlier[-1][1] if earlier else (train[0][1] if train else None)


def overfitting_report(
    train_loss: list[tuple[int, float]],
    validation_loss: list[tuple[int, float]],
    *,
    stopped_early: bool = False,
    last_step: int | None = None,
) -> OverfittingReport:
    """Gap per validation step, where validation bottomed out, and whether the gap widened after."""
    train = sorted((int(s), float(v)) for s, v in train_loss)
    val = sorted((int(s), float(v)) for s, v in validation_loss)
    if not val or not train:
        return OverfittingReport(
            points=[],
            stopped_early=stopped_early,
            early_stop_step=last_step if stopped_early else None,
            level="unknown",
            summary="no validation loss recorded: overfitting not measured "
            "(train with a validation split to measure it)",
        )
    points: list[GapPoint] = []
    prev = -1
    for step, v in val:
        t = _train_loss_near(train, prev, step)
        prev = step
        if t is None:
            continue
        points.append(
            GapPoint(
                step=step, train_loss=round(t, 4), validation_loss=round(v, 4), gap=round(v - t, 4)
            )
        )
    if len(points) < MIN_POINTS:
        return OverfittingReport(
            points=points,
            stopped_early=stopped_early,
            early_stop_step=last_step if stopped_early else None,
            level="unknown",
            summary=f"not enough validation points to judge ({len(points)}; "
            f"{MIN_POINTS} needed): overfitting not measured",
        )
    best = min(points, key=lambda p: (p.validation_loss, p.step))
    final = points[-1]
    rise = (
        (final.validation_loss - best.validation_loss) / best.validation_loss
        if best.validation_loss
        else 0.0
    )
    widened = final.gap - best.gap > max(WIDEN * abs(best.gap), 0.05)
    if final.step == best.step:  # still falling at the end
        level = "none"
    elif rise > RISE and widened:
        level = "overfitting"
    elif widened or rise > RISE / 2:
        level = "mild"
    else:
        level = "none"
    stop = (last_step if last_step is not None else final.step) if stopped_early else None
    parts = [
        f"validation loss lowest at step {best.step} ({best.validation_loss:.3f})",
        f"final {final.validation_loss:.3f} at step {final.step} ({rise:+.0%})",
        f"train/validation gap {best.gap:.3f} -> {final.gap:.3f}",
    ]
    if stopped_early:
        parts.append(f"early stopping cut in at step {stop}")
    verdict = {
        "none": "no sign of overfitting",
        "mild": "the gap is starting to widen",
        "overfitting": "overfitting: validation loss rose while the gap widened",
    }[level]
    return OverfittingReport(
        points=points,
        best_step=best.step,
        best_validation_loss=best.validation_loss,
        final_validation_loss=final.validation_loss,
        validation_rise=round(rise, 4),
        gap_at_best=best.gap,
        final_gap=final.gap,
        stopped_early=stopped_early,
        early_stop_step=stop,
        level=level,  # type: ignore[arg-type]
        summary=f"{verdict}; " + "; ".join(parts),
    )


def overfitting_from_result(result: Any) -> OverfittingReport:
    """From a ``TrainResult`` (or anything with the same attributes)."""
    return overfitting_report(
        result.train_loss,
        result.validation_loss,
        stopped_early=bool(getattr(result, "stopped_early", False)),
        last_step=getattr(result, "steps", None),
    )


def convergence_summary(result: Any) -> str:
    """One line on how a fine-tune (a ``TrainResult``) ended: steps, epochs, best step and
    whether it converged, with the stopping rule's reason."""
    best = ""
    if result.best_step is not None and result.metric and result.best_score is not None:
        best = (
            f", best validation {result.metric} {result.best_score:.3f} at step {result.best_step}"
        )
    converged = "yes" if result.converged else "no"
    return f"{result.steps} steps ({result.epochs:g} epochs){best}; converged: {converged}" + (
        f" ({result.stop_reason})" if result.stop_reason else ""
    )
