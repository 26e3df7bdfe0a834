"""Catastrophic forgetting: general ability before and after fine-tuning, measured so that
learning the task's answer format cannot pass for keeping knowledge.

Two checks, on shipped data that is unrelated to any task (``advisor/data/general/``):

1. **General-text loss** (the forgetting signal): the mean negative log-likelihood per
   character (``LoadedModel.nll_per_char``) of ``knowledge.jsonl``, 50 short general-knowledge
   paragraphs written for this project. Plain prose has no answer slot, so a fine-tune cannot
   improve it by learning where labels go; a rise means the weights moved away from general
   language. Relative rise: below ``MILD_RISE`` (2%) it is within what a light adapter does to
   any text, from ``MILD_RISE`` mild, from ``SEVERE_RISE`` (10%) severe forgetting.
2. **Multiple-choice check** (``ability.jsonl``, 62 items), scored the same way before and
   after: each choice is a continuation of a *neutral* context, the question followed by
   "The correct answer is", which is not the fine-tune's prompt template (no "Input:" or
   "Answer:" cue the fine-tune was trained to answer after), and its score is its
   log-probability after the question minus its log-probability after the bare phrase
   (domain-conditional PMI, Holtzman et al. 2021, "Surface form competition"). Whatever a
   fine-tune does to how likely a choice is *whatever the question* (favouring short,
   label-like words, say) cancels in the difference; what is left is how much the question
   makes the right answer more likely. Even so a fine-tune can gain here (it may sharpen the
   model's answering in general), so a gain is reported as "probable format learning, not
   evidence of no forgetting" and never offsets a rise in general-text loss. Losses are graded
   mild from ``MILD_DROP`` (3 points: one item is 1.6) and severe from ``SEVERE_DROP`` (10).

Changes are worded as they read: "gained 14.5 points", "lost 3.2 points", "unchanged". The
model plugin computes the log-likelihoods; the maths here is plain Python.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Literal

from pydantic import BaseModel, Field

from advisor.bench.stats import mcnemar_exact
from advisor.components import ChoiceRequest, LoadedModel

NEUTRAL = "The correct answer is"
CONTEXT = "{question}\n" + NEUTRAL
MILD_DROP = 3.0  # points lost on the multiple-choice check
SEVERE_DROP = 10.0
MILD_RISE = 2.0  # % rise of the general-text loss per character
SEVERE_RISE = 10.0
FORMAT_FLAG = "probable format learning, not evidence of no forgetting"
Level = Literal["none", "mild", "severe"]


class AbilityItem(BaseModel):
    id: str | None = None
    question: str
    choices: list[str] = Field(min_length=2)
    answer: int = Field(ge=0)


def _general(name: str) -> list[dict]:
    path = resources.files("advisor") / "data" / "general" / name
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_items() -> list[AbilityItem]:
    return [AbilityItem.model_validate(row) for row in _general("ability.jsonl")]


def load_general_text() -> list[str]:
    """The shipped general-knowledge paragraphs of the general-text loss."""
    return [str(row["text"]) for row in _general("knowledge.jsonl")]


def ability_requests(items: list[AbilityItem]) -> list[ChoiceRequest]:
    """Per item two requests: the choices after the question in the neutral context, then
    the same choices after the neutral phrase alone (each choice after a space)."""
    out = []
    for it in items:
        choices = [" " + c for c in it.choices]
        out.append(ChoiceRequest(context=CONTEXT.format(question=it.question), choices=choices))
        out.append(ChoiceRequest(context=NEUTRAL, choices=choices))
    return out


def ability_results(
    model: LoadedModel, items: list[AbilityItem] | None = None, batch_size: int = 16
) -> list[bool]:
    """Per item: does the right choice gain the most log-probability from the question?"""
    items = items if items is not None else load_items()
    sums = model.score_choices(ability_requests(items), batch_size=batch_size)
    results = []
    for i, item in enumerate(items):
        given, bare = sums[2 * i], sums[2 * i + 1]
        pmi = [g - b for g, b in zip(given, bare, strict=True)]
        results.append(max(range(len(pmi)), key=pmi.__getitem__) == item.answer)
    return results


def general_ability(model: LoadedModel, items: list[AbilityItem] | None = None) -> float:
    """Accuracy (0..1) on the multiple-choice check."""
    results = ability_results(model, items)
    return sum(results) / len(results)


def general_text_loss(model: LoadedModel, texts: list[str] | None = None) -> float:
    """Mean negative log-likelihood per character of the shipped general text."""
    return float(model.nll_per_char(texts if texts is not None else load_general_text()))


# --------------------------------------------------------------------------- words


def change_words(points: float) -> str:
    """A change in points as it reads: 'gained 14.5 points', 'lost 3.2 points', 'unchanged'."""
    if round(points, 1) == 0:
        return "unchanged"
    return f"{'gained' if points > 0 else 'lost'} {abs(points):.1f} points"


def loss_words(percent: float) -> str:
    """A relative change of the general-text loss: 'rose 4.1%', 'fell 0.8%', 'unchanged'."""
    if round(percent, 1) == 0:
        return "unchanged"
    return f"{'rose' if percent > 0 else 'fell'} {abs(percent):.1f}%"


# --------------------------------------------------------------------------- report


class MethodForgetting(BaseModel):
    method: str
    before: float = Field(description="Multiple-choice accuracy of the base model.")
    after: float
    change_points: float = Field(description="(after - before) x 100; negative = lost")
    change: str = Field(description="The change in words: gained / lost N points, unchanged.")
    items_lost: int | None = None
    items_gained: int | None = None
    p_value: float | None = Field(
        None, description="exact McNemar, when per-item results are given"
    )
    format_learning: bool = Field(
        False, description="The check gained: probable format learning, not evidence."
    )
    choice_level: Level = Field(description="What the multiple-choice loss alone says.")
    text_loss_before: float | None = None
    text_loss_after: float | None = None
    text_change_percent: float | None = Field(None, description="Relative rise of the text loss.")
    text_change: str | None = None
    text_level: Level | None = None
    level: Level = Field(description="The worse of the two checks.")


class ForgettingReport(BaseModel):
    items: int | None
    before: float
    text_loss_before: float | None = None
    methods: list[MethodForgetting]
    least_forgetting: str | None = None
    summary: str


def _choice_level(lost: float, p_value: float | None) -> Level:
    if lost < MILD_DROP or (p_value is not None and p_value >= 0.05 and lost < SEVERE_DROP):
        return "none"
    return "severe" if lost >= SEVERE_DROP else "mild"


def _text_level(rise: float) -> Level:
    return "severe" if rise >= SEVERE_RISE else "mild" if rise >= MILD_RISE else "none"


_ORDER: dict[str, int] = {"none": 0, "mild": 1, "severe": 2}


def _acc(x: float | list[bool]) -> float:
    return sum(x) / len(x) if isinstance(x, list) else float(x)


def _method(
    method: str,
    before: float | list[bool],
    after: float | list[bool],
    text: tuple[float, float] | None,
) -> MethodForgetting:
    base, acc = _acc(before), _acc(after)
    change = round((acc - base) * 100, 2)
    lost = gained = p = None
    if isinstance(before, list) and isinstance(after, list):
        p_value, gained, lost = mcnemar_exact(before, after)
        p = round(p_value, 4)
    choice = _choice_level(-change, p)
    row = MethodForgetting(
        method=method,
        before=round(base, 4),
        after=round(acc, 4),
        change_points=change,
        change=change_words(change),
        items_lost=lost,
        items_gained=gained,
        p_value=p,
        format_learning=round(change, 1) > 0,
        choice_level=choice,
        level=choice,
    )
    if text is not None:
        rise = round((text[1] - text[0]) / text[0] * 100, 2)
        row.text_loss_before, row.text_loss_after = round(text[0], 4), round(text[1], 4)
        row.text_change_percent, row.text_change = rise, loss_words(rise)
        row.text_level = _text_level(rise)
        row.level = max(choice, row.text_level, key=_ORDER.__getitem__)
    return row


def method_sentence(m: MethodForgetting) -> str:
    """One method's forgetting in words, the general-text loss first (it is the signal)."""
    parts = []
    if m.text_change is not None:
        level = "no" if m.text_level == "none" else m.text_level  # "no forgetting", "mild ..."
        parts.append(f"general-text loss {m.text_change} ({level} forgetting)")
    choice = f"multiple-choice check {m.change}"
    if m.format_learning:
        choice += f" ({FORMAT_FLAG})"
    parts.append(choice)
    return f"{m.method}: " + "; ".join(parts)


def forgetting_report(
    before: float | list[bool],
    after_by_method: dict[str, float | list[bool]],
    *,
    text_before: float | None = None,
    text_after: dict[str, float] | None = None,
) -> ForgettingReport:
    """Compare general ability after each method with before: the multiple-choice check
    (accuracies or per-item results) and, when given, the general-text loss."""
    text_after = text_after or {}
    rows = []
    for method, after in after_by_method.items():
        loss = text_after.get(method)
        pair = (text_before, loss) if text_before and loss is not None else None
        rows.append(_method(method, before, after, pair))

    def harm(r: MethodForgetting) -> tuple[int, float, float]:
        return (_ORDER[r.level], r.text_change_percent or 0.0, -r.change_points)

    best = min(rows, key=harm).method if len(rows) > 1 else None
    summary = "; ".join(method_sentence(r) for r in rows) or "no fine-tuned model to compare"
    if best:
        summary += f". Least forgetting: {best}."
    return ForgettingReport(
        items=len(before) if isinstance(before, list) else None,
        before=round(_acc(before), 4),
        text_loss_before=round(text_before, 4) if text_before else None,
        methods=rows,
        least_forgetting=best,
        summary=summary,
    )
