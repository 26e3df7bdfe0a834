"""A model's chat template, applied the same way wherever a prompt meets the model.

With ``--chat-template`` the benchmark's prompt text (a strategy's finished prompt, or the
zero-shot prompt a fine-tune trains on) becomes the user's turn of the tokenizer's own chat
template, followed by the template's opening of the assistant's turn; the answer (the label,
or the expected output) is what the assistant says next. Training (``collate.encode``), the
validation accuracy during training (``scoring.label_loglikelihoods``) and the lm-eval runner
all call ``as_chat``, so a fine-tune is scored in exactly the format it learned.
"""

from __future__ import annotations

from typing import Any

from advisor.errors import UsageError


def has_chat_template(tokenizer: Any) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def as_chat(tokenizer: Any, prompt: str) -> str:
    """``prompt`` as the user's turn, ready for the assistant's answer."""
    if not has_chat_template(tokenizer):
        raise UsageError("this model's tokenizer has no chat template; drop --chat-template")
    return tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )
