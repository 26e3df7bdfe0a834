"""What a training run measures on its validation rows, between steps: the benchmark's own
accuracy (with the loss of the true labels from the same pass) or the answer-token loss."""

from __future__ import annotations

from typing import Any

from advisor.components import Example, TaskData
from advisor_peft.collate import Encoded, answer_loss, collate, eval_batches
from advisor_peft.device import autocast
from advisor_peft.loop import to_device
from advisor_peft.scoring import accuracy_and_loss


def validation_accuracy(
    model: Any, base: Any, data: TaskData, rows: list[Example], where: Any
) -> tuple[float, float]:
    """Accuracy by the benchmark's own scoring (the label with the highest log-likelihood
    wins) and the loss on the true labels, from one pass over every row, in each process:
    all of them reach the same decision."""
    chat = getattr(base, "chat", False)
    # In the training dtype: the frozen weights may be stored in it (advisor_peft.frozen).
    with autocast(where):
        return accuracy_and_loss(model, base.tokenizer, data, rows, chat=chat)


def validation_loss(
    model: Any,
    items: list[Encoded],
    *,
    batch_size: int,
    pad_id: int,
    where: Any,
    acc: Any = None,
    shard: tuple[int, int] = (0, 1),
) -> float:
    """Mean answer-token loss over ``items``; each process scores its ``shard`` (rank, world)
    and ``acc`` (an Accelerator) sums them."""
    import torch

    rank, world = shard
    model.eval()
    total = torch.zeros(2, device=where)
    mine = eval_batches([i.length for i in items], batch_size)
    with torch.no_grad():
        for idx in mine[rank::world]:
            batch = to_device(collate([items[i] for i in idx], pad_id), where)
            with autocast(where):
                total[0] += answer_loss(model, batch, reduction="sum")
            total[1] += batch["target_tokens"]
    if acc:
        total = acc.reduce(total, reduction="sum")
    model.train()
    return float(total[0] / total[1].clamp(min=1))
