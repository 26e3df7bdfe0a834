"""Per-example scores for generation tasks: exact match and token F1.

This file is standalone on purpose: the benchmark copies it next to each generated lm-eval
task (as ``advisor_metrics.py``) so that ``lm_eval --include_path DIR`` can import it through
``process_results: !function advisor_metrics.process_results`` without the advisor package.
"""

from __future__ import annotations

import re
from collections import Counter

ANSWER_MARK = "Answer:"


def normalise(text: str) -> str:
    """Trim, drop a trailing full stop and collapse whitespace; case is kept (ids matter)."""
    text = " ".join(str(text).split())
    return text[:-1] if text.endswith(".") else text


def final_answer(text: str) -> str:
    """The part after the last 'Answer:' (chain-of-thought output), else the first line."""
    if ANSWER_MARK in text:
        text = text.rsplit(ANSWER_MARK, 1)[1]
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else ""


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text.lower())


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall (SQuAD-style bag of tokens)."""
    pred, ref = _tokens(prediction), _tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def score(prediction: str, reference: str) -> dict[str, float]:
    pred = normalise(final_answer(prediction))
    ref = normalise(reference)
    return {"exact_match": float(pred == ref), "token_f1": token_f1(pred, ref)}


def process_results(doc: dict, results: list[str]) -> dict[str, float]:
    """lm-eval hook: ``results[0]`` is the generated text for ``doc``."""
    return score(results[0] if results else "", doc["target"])
