"""The seed's fine-tuning challenges a benchmark run measured, beside `recommend`'s rating."""

from __future__ import annotations

from advisor.bench.forgetting import method_sentence
from advisor.bench.schema import BenchmarkResults, MeasuredChallenge, StrategyResult

# The seed's names: the challenges measured here, and the aspect the learning curve answers.
OVERFITTING = "Overfitting"
FORGETTING = "Catastrophic forgetting"
DATA_SCARCITY = "Data Scarcity"
TRAINING_DATA = "Training Data"
_SEVERITY = {"unknown": 0, "none": 1, "mild": 2, "overfitting": 3, "severe": 3}


def fine_tunes(results: BenchmarkResults) -> list[StrategyResult]:
    return [s for s in results.strategies if s.kind == "fine-tune"]


def worst_level(levels: list[str]) -> str | None:
    """The most severe of ``levels`` (overfitting or forgetting grades); None when empty."""
    return max(levels, key=lambda lv: _SEVERITY.get(lv, 0)) if levels else None


def measured_challenges(
    results: BenchmarkResults, rated: dict[str, str] | None = None
) -> list[MeasuredChallenge]:
    """The seed's challenges this run measured, each with `recommend`'s rating it replaces."""
    rated = rated or {}
    out: list[MeasuredChallenge] = []
    tuned = [s for s in fine_tunes(results) if s.overfitting is not None]
    if tuned:
        text = "; ".join(f"{s.name}: {s.overfitting.summary}" for s in tuned)  # type: ignore[union-attr]
        level = worst_level([s.overfitting.level for s in tuned])  # type: ignore[union-attr]
        out.append(
            MeasuredChallenge(
                name=OVERFITTING, measured=text, level=level, rated=rated.get(OVERFITTING)
            )
        )
    f = results.forgetting
    if f and f.methods:
        text = "after fine-tuning: " + "; ".join(
            f"{method_sentence(m)} (overall: {'no' if m.level == 'none' else m.level} forgetting)"
            for m in f.methods
        )
        if f.least_forgetting:
            text += f"; least forgetting: {f.least_forgetting}"
        out.append(
            MeasuredChallenge(
                name=FORGETTING,
                measured=text,
                level=worst_level([m.level for m in f.methods]),
                rated=rated.get(FORGETTING),
            )
        )
    if results.curve is not None:
        out.append(
            MeasuredChallenge(
                name=DATA_SCARCITY,
                measured=results.curve.summary,
                level=results.curve.status,
                rated=rated.get(DATA_SCARCITY),
            )
        )
    return out
