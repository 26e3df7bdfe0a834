"""Confidence as a measured probability: P(the verdict is right), read from a fit on outcomes.

``data/calibration/outcomes.yaml`` lists profiles whose right answer is known (the reference
cases with their citations, and this project's own benchmarks with the commands that produced
them). ``benchmarks/calibration`` scores every row with the engine, fits Platt scaling
(a logistic curve) from the score's margin to "the verdict was right", and writes the fitted
parameters to ``data/calibration/fit.yaml``. This module only reads that file: nothing here is
tuned by hand, and a change to the rules is followed by a refit, not an edit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor.errors import UsageError
from advisor.recommendation import Reason, Verdict

CALIBRATION_DIR = Path(__file__).parent / "data" / "calibration"
FIT_FILE = CALIBRATION_DIR / "fit.yaml"
OUTCOMES_FILE = CALIBRATION_DIR / "outcomes.yaml"
# How many of the strongest reasons the confidence note counts.
STRONGEST = 4


class Outcome(BaseModel):
    """One row of the outcome table: a profile and the verdict that proved right for it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    source: Literal["reference", "benchmark"]
    outcome: Verdict
    profile: dict[str, Any]
    citation: str | None = Field(None, description="Reference rows: the published source.")
    command: str | None = Field(None, description="Benchmark rows: the command that measured it.")
    measured: str | None = Field(
        None, description="Benchmark rows: the numbers the outcome rests on."
    )
    also: list[Verdict] = Field(
        default_factory=list, description="Close sources: verdicts they support besides outcome."
    )
    max_confidence: float | None = Field(
        None, gt=0, le=1, description="Close sources: the most confidence they support."
    )

    @model_validator(mode="after")
    def _sourced(self) -> Outcome:
        if self.source == "reference" and not self.citation:
            raise ValueError(f"{self.id}: a reference row needs its citation")
        if self.source == "benchmark" and not (self.command and self.measured):
            raise ValueError(f"{self.id}: a benchmark row needs its command and what it measured")
        return self


def load_outcomes(path: Path = OUTCOMES_FILE) -> list[Outcome]:
    import yaml

    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8"))["outcomes"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as err:
        raise UsageError(f"cannot read the outcome table {path}: {err}") from None
    return [Outcome.model_validate(row) for row in rows]


class MarginBin(BaseModel):
    """Outcome-table rows whose margin fell in [low, high): how often their verdict was right."""

    model_config = ConfigDict(extra="forbid")

    low: float
    high: float | None = None  # None: no upper edge
    cases: int = Field(ge=0)
    right: int = Field(ge=0)

    def holds(self, margin: float) -> bool:
        return margin >= self.low and (self.high is None or margin < self.high)


class Fit(BaseModel):
    """The fitted mapping, as written by ``benchmarks/calibration``."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["platt", "platt-edge"] = Field(
        description="platt: a and b fitted; platt-edge: b = 0 (1/2 on the band's edge)."
    )
    a: float = Field(ge=0, description="Slope on the margin (>= 0: more margin, more confidence).")
    b: float = Field(description="Intercept: the log-odds of being right at margin 0.")
    cap: float = Field(
        gt=0, lt=1, description="Platt's target for a right verdict: the curve stops there."
    )
    forced: float = Field(
        gt=0, lt=1, description="P(right) when constraints force the verdict (no curve: a rate)."
    )
    forced_cases: int = Field(ge=0)
    forced_right: int = Field(ge=0)
    bins: list[MarginBin]
    rows: int = Field(ge=0)
    right: int = Field(ge=0)
    brier_before: float
    brier_after: float = Field(description="Leave-one-out Brier score of this fit.")
    brier_methods: dict[str, float] = Field(description="The same for every curve tried.")
    rejected: dict[str, list[str]] = Field(
        default_factory=dict, description="Curves not kept: the close sources' caps they exceed."
    )
    fitted: str = Field(description="UTC date of the fit.")
    command: str


@lru_cache(maxsize=1)
def load_fit(path: Path = FIT_FILE) -> Fit:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise UsageError(f"cannot read the confidence calibration {path}: {err}") from None
    return Fit.model_validate(data)


def platt(margin: float, a: float, b: float) -> float:
    """The logistic curve of the fit; written out once for the runtime and the fitting script."""
    z = a * margin + b
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def probability(margin: float, forced: bool, fit: Fit | None = None) -> float:
    """P(verdict right) for a margin (or a verdict forced by hard constraints), 3 decimals."""
    fit = fit or load_fit()
    return round(fit.forced if forced else min(fit.cap, platt(margin, fit.a, fit.b)), 3)


def _agreement(reasons: Sequence[Reason], verdict: str, forced: bool) -> str:
    top = list(reasons[:STRONGEST])
    if forced:
        return "hard constraints decide, not the score"
    if not top:
        return "no evidence rule applies"
    tuning = sum(1 for r in top if r.weight > 0)
    prompting = sum(1 for r in top if r.weight < 0)
    if verdict == "prompt-then-fine-tune":
        return (
            f"the {len(top)} strongest reasons are split ({tuning} fine-tune, {prompting} prompt)"
        )
    agree = tuning if verdict == "fine-tune" else prompting
    return f"{agree} of the {len(top)} strongest reasons agree"


def _track_record(margin: float, forced: bool, fit: Fit) -> str:
    if forced:
        cases, right, where = fit.forced_cases, fit.forced_right, "decided by constraints"
    else:
        found = next((b for b in fit.bins if b.holds(margin)), None)
        if found is None or not found.cases:
            return "no measured or published case had a similar margin"
        edge = f"{found.low:g}+" if found.high is None else f"{found.low:g}-{found.high:g}"
        cases, right, where = found.cases, found.right, f"with a margin of {edge} points"
    if not cases:
        return f"no known case was {where}"
    return f"{right} of {cases} known cases {where} went this way"


def note(reasons: Sequence[Reason], verdict: str, margin: float, forced: bool) -> str:
    """One line that says where the confidence comes from (shown by every renderer)."""
    fit = load_fit()
    return f"{_agreement(reasons, verdict, forced)}; {_track_record(margin, forced, fit)}"
