"""Catastrophic forgetting: general ability before and after fine-tuning.

``general_ability`` scores a model (plain or PeftModel) on the shipped multiple-choice
check (``advisor/data/general/ability.jsonl``): for each item, the choice with the highest
log-probability per character after the question is the model's answer (like lm-eval's
``acc_norm``). On the embedded SmolLM2-135M this scores 59.7% on the 62 items, against
56.5% for the raw sum (which favours short choices) and 51.6% for the per-token mean
(which favours long ones); chance is 25%. ``forgetting_report`` compares the
scores after each method with the score before, with an exact McNemar test when per-item
results are given. Heavy imports stay inside the functions.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, Field

from advisor.bench.stats import mcnemar_exact

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


def _choice_scores(
    model: Any, tokenizer: Any, items: list[AbilityItem], batch_size: int
) -> list[list[float]]:
    """Log-probability per character of each choice given the question, per item."""
    import torch

    seqs: list[tuple[list[int], int, int]] = []  # (ids, continuation tokens, characters)
    for item in items:
        ctx = tokenizer(PROMPT.format(question=item.question), add_special_tokens=False)[
            "input_ids"
        ]
        for choice in item.choices:
            cont = tokenizer(" " + choice, add_special_tokens=False)["input_ids"]
            seqs.append((ctx + cont, len(cont), len(choice) + 1))
    pad = (
        tokenizer.pad_token_id
        if tokenizer.pad_token_id is not None
        else tokenizer.eos_token_id or 0
    )
    device = next(model.parameters()).device
    scores: list[float] = []
    for start in range(0, len(seqs), batch_size):
        chunk = seqs[start : start + batch_size]
        width = max(len(ids) for ids, _, _ in chunk)
        input_ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for i, (ids, _, _) in enumerate(chunk):
            input_ids[i, : len(ids)] = torch.tensor(ids)
            mask[i, : len(ids)] = 1
        with torch.inference_mode():
            logits = model(input_ids=input_ids.to(device), attention_mask=mask.to(device)).logits
        logprobs = torch.log_softmax(logits.float(), dim=-1).cpu()
        for i, (ids, n_cont, n_chars) in enumerate(chunk):
            positions = range(len(ids) - n_cont, len(ids))
            total = sum(float(logprobs[i, p - 1, ids[p]]) for p in positions)
            scores.append(total / n_chars)
    out: list[list[float]] = []
    k = 0
    for item in items:
        out.append(scores[k : k + len(item.choices)])
        k += len(item.choices)
    return out


def ability_results(
    model: Any, tokenizer: Any, items: list[AbilityItem] | None = None, batch_size: int = 16
) -> list[bool]:
    """Per item: did the model rank the right choice first?"""
    items = items if items is not None else load_items()
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        per_item = _choice_scores(model, tokenizer, items, batch_size)
    finally:
        if was_training:
            model.train()
    return [
        max(range(len(s)), key=s.__getitem__) == item.answer
        for s, item in zip(per_item, items, strict=True)
    ]


def general_ability(model: Any, tokenizer: Any, items: list[AbilityItem] | None = None) -> float:
    """Accuracy (0..1) on the general-ability check."""
    results = ability_results(model, tokenizer, items)
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
