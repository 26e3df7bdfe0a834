"""Turning examples into training batches: the shared prompt template, loss on answer tokens only,
dynamic padding and length-grouped batch order.

Batches are padded on the LEFT, so every answer ends at the last position. The model then only has
to compute logits for the last ``max answer length + 1`` positions (``logits_to_keep``) instead of
the whole sequence: the 49k-word output layer is a large share of a small model's compute.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from advisor.components import Example, TaskData
from advisor.template import render_prompt, render_target
from advisor_peft.chat import as_chat

IGNORE = -100


@dataclass(frozen=True)
class Encoded:
    """One example as token ids: prompt then answer; the loss covers the answer only."""

    prompt: list[int]
    answer: list[int]

    @property
    def length(self) -> int:
        return len(self.prompt) + len(self.answer)


def format_example(example: Example, data: TaskData) -> tuple[str, str]:
    """Prompt and target text, exactly as the prompt strategies render a zero-shot query."""
    labels = data.labels if data.task_type == "classification" else None
    return render_prompt(example.input, labels), render_target(example.output)


def encode(
    example: Example,
    data: TaskData,
    tokenizer: Any,
    max_length: int,
    add_eos: bool | None = None,
    *,
    chat: bool = False,
) -> Encoded:
    """Tokenise prompt and answer separately (the answer boundary is then exact) and fit
    ``max_length``: the answer keeps at most half the budget, the prompt loses its start.
    ``chat``: the prompt as the user's turn of the tokenizer's chat template (``chat.as_chat``;
    the template brings its own special tokens)."""
    prompt_text, target_text = format_example(example, data)
    if chat:
        prompt_text = as_chat(tokenizer, prompt_text)
    prompt = tokenizer(prompt_text, add_special_tokens=not chat)["input_ids"]
    answer = tokenizer(target_text, add_special_tokens=False)["input_ids"]
    if add_eos is None:
        add_eos = data.task_type != "classification"  # a generator must learn where to stop
    if add_eos and tokenizer.eos_token_id is not None:
        answer = [*answer, tokenizer.eos_token_id]
    if not answer:
        answer = [tokenizer.eos_token_id]
    if len(prompt) + len(answer) > max_length:
        answer = answer[: max(1, max_length - min(len(prompt), max_length // 2))]
        prompt = prompt[-max(1, max_length - len(answer)) :]
    return Encoded(prompt=list(prompt), answer=list(answer))


def collate(items: list[Encoded], pad_id: int) -> dict[str, Any]:
    """Left-pad to the longest item in the batch. Returns tensors plus token counts.

    ``targets`` has shape [batch, max answer length]: the answer tokens, right-aligned, with
    IGNORE elsewhere; logits for them come from the last ``targets.shape[1] + 1`` positions.
    """
    import torch

    width = max(i.length for i in items)
    answer_width = max(len(i.answer) for i in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    targets = torch.full((len(items), answer_width), IGNORE, dtype=torch.long)
    for row, item in enumerate(items):
        seq = item.prompt + item.answer
        ids[row, width - len(seq) :] = torch.tensor(seq)
        mask[row, width - len(seq) :] = 1
        targets[row, answer_width - len(item.answer) :] = torch.tensor(item.answer)
    # Positions count from each sequence's first real token, as without padding.
    positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "position_ids": positions,
        "targets": targets,
        "tokens": int(mask.sum()),
        "target_tokens": int((targets != IGNORE).sum()),
    }


def answer_logits(model: Any, batch: dict[str, Any]) -> Any:
    """Logits predicting each answer position of ``batch["targets"]``; only the batch's last
    (answer-long) positions are computed, so the vocabulary projection stays small."""
    import torch

    width, answer = batch["input_ids"].shape[1], batch["targets"].shape[1]
    # Positions as an index tensor, not an int: an int slices the hidden states into a strided
    # view, and while training torch then runs the output layer as a batched matmul with the
    # 49k-word weight copied per row (12% of a LoRA step on one CPU thread, torch.profiler);
    # indexing gives a contiguous copy and one plain matmul.
    keep = torch.arange(width - answer - 1, width - 1, device=batch["input_ids"].device)
    return model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        position_ids=batch["position_ids"],
        logits_to_keep=keep,
        use_cache=False,
    ).logits


def answer_loss(model: Any, batch: dict[str, Any], reduction: str = "mean") -> Any:
    """Cross-entropy on the answer tokens only, computing logits just where they are needed."""
    import torch.nn.functional as F

    targets = batch["targets"]
    logits = answer_logits(model, batch).float()
    loss = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),
        targets.reshape(-1),
        ignore_index=IGNORE,
        reduction="sum",
    )
    return loss / max(1, batch["target_tokens"]) if reduction == "mean" else loss


def plan_batches(
    lengths: list[int], batch_size: int, seed: int, epoch: int, group: bool = True
) -> list[list[int]]:
    """The batch order of one epoch, a pure function of (seed, epoch) so a resumed run replays it.

    With ``group``, examples are shuffled, cut into windows of 16 batches, sorted by length inside
    each window (little padding), and the batches are shuffled again (no length curriculum).
    """
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if group:
        window = batch_size * 16
        order = [
            i
            for start in range(0, len(order), window)
            for i in sorted(order[start : start + window], key=lambda j: -lengths[j])
        ]
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def eval_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Validation order: sorted by length, no shuffling."""
    order = sorted(range(len(lengths)), key=lambda j: -lengths[j])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
