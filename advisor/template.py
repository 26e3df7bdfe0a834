"""The prompt format that training and evaluation share.

A fine-tune is trained on exactly the zero-shot prompt the benchmark evaluates it with, so
the only difference between 'prompt' and 'fine-tune' rows is the weights.
"""

from __future__ import annotations

from collections.abc import Sequence

ANSWER_PREFIX = "Answer:"


def render_prompt(
    text: str, labels: Sequence[str] | None = None, instruction: str | None = None
) -> str:
    """The input part: optional instruction, the allowed labels, the text, then 'Answer:'."""
    parts = []
    if instruction:
        parts.append(instruction.strip())
    if labels:
        parts.append("Options: " + ", ".join(labels) + ".")
    parts.append(f"Input: {text.strip()}")
    parts.append(ANSWER_PREFIX)
    return "\n".join(parts)


def render_target(output: str) -> str:
    """The answer part the loss is computed on (a leading space, as after 'Answer:')."""
    return " " + output.strip()
