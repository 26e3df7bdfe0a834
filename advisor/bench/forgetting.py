"""Catastrophic forgetting: general ability before and after fine-tuning.

``general_ability`` scores a ``LoadedModel`` (the base, or a fine-tune attached to it) on
the shipped multiple-choice check (``advisor/data/general/ability.jsonl``): for each item,
the choice with the highest log-probability per character after the question is the model's
answer (like lm-eval's ``acc_norm``). On the embedded SmolLM2-135M this scores 59.7% on the
62 items, against 56.5% for the raw sum (which favours short choices) and 51.6% for the
per-token mean (which favours long ones); chance is 25%. ``forgetting_report`` compares the
scores after each method with the score before, with an exact McNemar test when per-item
results are given. The model plugin computes the log-likelihoods
(``LoadedModel.score_choices``); the maths here is plain Python.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Literal

from pydantic import BaseModel, Field

from advisor.bench.stats import mcnemar_exact
from advisor.components import ChoiceRequest, LoadedModel

PROMPT = "Question: {question}\nAnswer:"
# Drops in accuracy points that we call mild / severe (rules of thumb for a 62-item check,
# where one item is 1.6 points: below 3 points is within noise).
MILD_DROP = 3.0
SEVERE_DROP = 10.0


class AbilityItem(BaseModel):
    id: str | None = None
    question: str
    choices: list[str] = Field(min_length=2)
    answer: int = Field(ge=0)


def load_items() -> list[AbilityItem]:
    path = resources.files("advisor") / "data" / "general" / "ability.jsonl"
    with path.open(encoding="utf-8") as fh:
        return [AbilityItem.model_validate(json.loads(line)) for line in fh if line.strip()]


def ability_requests(items: list[AbilityItem]) -> list[ChoiceRequest]:
    """Each item as a multiple-choice request: the question prompt, each choice after a space."""
    return [
        ChoiceRequest(
            context=PROMPT.format(question=it.question), choices=[" " + c for c in it.choices]
        )
        for it in items
    ]


def ability_results(
    model: LoadedModel, items: list[AbilityItem] | None = None, batch_size: int = 16
) -> list[bool]:
    """Per item: did the model rank the right choice first, by log-probability per character?

    A choice's characters are its own plus the space before it, as in lm-eval's ``acc_norm``."""
    items = items if items is not None else load_items()
    sums = model.score_choices(ability_requests(items), batch_size=batch_size)
    results = []
    for item, per_choice in zip(items, sums, strict=True):
        norm = [s / (len(c) + 1) for s, c in zip(per_choice, item.choices, strict=True)]
        results.append(max(range(len(norm)), key=norm.__getitem__) == item.answer)
    return results


def general_ability(model: LoadedModel, items: list[AbilityItem] | None = None) -> float:
    """Accuracy (0..1) on the general-ability check."""
    results = ability_results(model, items)
    return sum(results) / len(results)


# --------------------------------------------------------------------------- report


class MethodForgetting(BaseModel):
    method: str
    before: float
    after: float
    drop_points: float = Field(description="(before - after) x 100; positive = forgot")
    items_lost: int | None = None
    items_gained: int | None = None
    p_value: float | None = Field(
        None, description="exact McNemar, when per-item results are given"
    )
    level: Literal["none", "mild", "severe"]


class ForgettingReport(BaseModel):
    items: int | None
    before: float
    methods: list[MethodForgetting]
    least_forgetting: str | None = None
    summary: str


def _level(drop: float, p_value: float | None) -> str:
    if drop < MILD_DROP or (p_value is not None and p_value >= 0.05 and drop < SEVERE_DROP):
        return "none"
    return "severe" if drop >= SEVERE_DROP else "mild"


def _acc(x: float | list[bool]) -> float:
    return sum(x) / len(x) if isinstance(x, list) else float(x)


def forgetting_report(
    before: float | list[bool], after_by_method: dict[str, float | list[bool]]
) -> ForgettingReport:
    """Compare general ability after each method with before. Accepts accuracies or per-item results."""
    base = _acc(before)
    rows: list[MethodForgetting] = []
    for method, after in after_by_method.items():
        acc = _acc(after)
        drop = round((base - acc) * 100, 2)
        lost = gained = p = None
        if isinstance(before, list) and isinstance(after, list):
            p_value, gained, lost = mcnemar_exact(before, after)
            p = round(p_value, 4)
        rows.append(
            MethodForgetting(
                method=method,
                before=round(base, 4),
                after=round(acc, 4),
                drop_points=drop,
                items_lost=lost,
                items_gained=gained,
                p_value=p,
                level=_level(drop, p),  # type: ignore[arg-type]
            )
        )
    best = min(rows, key=lambda r: r.drop_points).method if rows else None
    if not rows:
        summary = "no fine-tuned model to compare"
    else:
        parts = [f"{r.method}: {r.before:.0%} -> {r.after:.0%} ({r.level})" for r in rows]
        summary = "general ability " + "; ".join(parts)
        if len(rows) > 1:
            summary += f". Least forgetting: {best}."
    return ForgettingReport(
        items=len(before) if isinstance(before, list) else None,
        before=round(base, 4),
        methods=rows,
        least_forgetting=best if len(rows) > 1 else None,
        summary=summary,
    )
