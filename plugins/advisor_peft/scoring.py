"""Shared-prefix multiple-choice scoring: the one kernel behind lm-eval's multiple-choice tasks
(``advisor_lmeval.lm``), ``HFModel.score_choices`` and the validation accuracy of a training run.

Each context is run once, with its key/value cache kept; all of its continuations are then
scored from that cache in one batched pass over the continuation tokens only (a single-token
continuation needs no second pass: the context's last logits score it). Logits are computed
only where a continuation token is predicted, and log-softmax in float32 only on those rows, so
no ``[batch, sequence, vocabulary]`` tensor is ever built. The result is what one full sequence
per (context, continuation) gives, as lm-eval's ``HFLM`` computes it: the summed log-probability
and whether every continuation token is the greedy one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from advisor.components import Example, TaskData
from advisor_peft.collate import encode

# Continuation rows per pass over a cache: each row carries a copy of its context's keys and
# values (about 37 KB per token for a 135M model), so this bounds the memory of many labels.
MAX_ROWS = 64


@dataclass(frozen=True)
class ChoiceGroup:
    """One context (token ids, non-empty) and the continuations to score after it."""

    context: list[int]
    continuations: list[list[int]]


def pad_id_of(tokenizer: Any) -> int:
    if tokenizer.pad_token_id is not None:
        return int(tokenizer.pad_token_id)
    return int(tokenizer.eos_token_id or 0)


def score_groups(
    model: Any,
    groups: Sequence[ChoiceGroup],
    *,
    pad_id: int,
    batch_size: int = 16,
    max_rows: int = MAX_ROWS,
    on_batch: Callable[[int], None] | None = None,
) -> list[list[tuple[float, bool]]]:
    """``(summed log-probability, is greedy)`` of every continuation of every group, in order.

    Contexts are batched ``batch_size`` at a time, longest first, left-padded (positions count
    from each context's first token, as unpadded). ``on_batch`` gets the number of
    continuations scored after each batch of contexts."""
    import torch

    out: list[list[tuple[float, bool]]] = [[] for _ in groups]
    order = sorted(range(len(groups)), key=lambda g: -len(groups[g].context))
    was_training = getattr(model, "training", False)
    model.eval()
    device = next(model.parameters()).device
    try:
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                scored = _score_batch(model, [groups[g] for g in idx], pad_id, max_rows, device)
                for g, row in zip(idx, scored, strict=True):
                    out[g] = row
                if on_batch:
                    on_batch(sum(len(groups[g].continuations) for g in idx))
    finally:
        model.train(was_training)
    return out


def _score_batch(
    model: Any, groups: list[ChoiceGroup], pad_id: int, max_rows: int, device: Any
) -> list[list[tuple[float, bool]]]:
    """One batch of contexts: the context pass, then the continuation passes from its cache."""
    import torch

    width = max(len(g.context) for g in groups)
    ids = torch.full((len(groups), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(groups), width), dtype=torch.long)
    for row, g in enumerate(groups):
        ids[row, width - len(g.context) :] = torch.tensor(g.context)
        mask[row, width - len(g.context) :] = 1
    positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
    ids, mask, positions = ids.to(device), mask.to(device), positions.to(device)
    needs_cache = any(len(c) > 1 for g in groups for c in g.continuations)
    first = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=positions,
        use_cache=needs_cache,
        logits_to_keep=1,
    )
    logp_first = torch.log_softmax(first.logits[:, -1, :].float(), dim=-1).cpu()  # [b, vocab]
    greedy_first = logp_first.argmax(dim=-1)
    # (sum, greedy) from the first token of every continuation; longer ones add the rest below.
    scores = [
        [
            [float(logp_first[r, c[0]]), bool(greedy_first[r] == c[0])] if c else [0.0, True]
            for c in g.continuations
        ]
        for r, g in enumerate(groups)
    ]
    rows = [
        (r, j) for r, g in enumerate(groups) for j, c in enumerate(g.continuations) if len(c) > 1
    ]
    if rows:
        cache = getattr(first, "cache", None) or first.past_key_values
        lengths = mask.sum(dim=1)
        for chunk_start in range(0, len(rows), max_rows):
            chunk = rows[chunk_start : chunk_start + max_rows]
            conts = [groups[r].continuations[j] for r, j in chunk]
            rest = _continuation_pass(model, cache, mask, lengths, [r for r, _ in chunk], conts)
            for (r, j), (logp, greedy) in zip(chunk, rest, strict=True):
                scores[r][j][0] += logp
                scores[r][j][1] = scores[r][j][1] and greedy
    return [[(float(s), bool(gr)) for s, gr in row] for row in scores]


def _continuation_pass(
    model: Any,
    cache: Any,
    ctx_mask: Any,
    ctx_lengths: Any,
    ctx_rows: list[int],
    conts: list[list[int]],
) -> list[tuple[float, bool]]:
    """Tokens 2..n of each continuation (row i continues context ``ctx_rows[i]``), from a
    per-row copy of the context cache: one batched pass, right-padded continuations."""
    import torch
    from transformers import DynamicCache

    device = ctx_mask.device
    select = torch.tensor(ctx_rows, dtype=torch.long, device=device)
    rows_cache = DynamicCache(
        [(k.index_select(0, select), v.index_select(0, select), s) for k, v, s in cache]
    )
    width = max(len(c) for c in conts) - 1
    ids = torch.zeros((len(conts), width), dtype=torch.long)
    targets = torch.zeros((len(conts), width), dtype=torch.long)
    valid = torch.zeros((len(conts), width), dtype=torch.bool)
    for i, c in enumerate(conts):
        n = len(c) - 1
        ids[i, :n] = torch.tensor(c[:-1])
        targets[i, :n] = torch.tensor(c[1:])
        valid[i, :n] = True
    ids, targets, valid = ids.to(device), targets.to(device), valid.to(device)
    mask = torch.cat([ctx_mask.index_select(0, select), valid.long()], dim=1)
    positions = ctx_lengths.index_select(0, select).unsqueeze(1) + torch.arange(
        width, device=device
    ).unsqueeze(0)
    logits = model(
        input_ids=ids, attention_mask=mask, position_ids=positions, cache=rows_cache, use_cache=True
    ).logits
    logp = torch.log_softmax(logits.float(), dim=-1)
    picked = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1).masked_fill(~valid, 0.0)
    greedy = ((logp.argmax(dim=-1) == targets) | ~valid).all(dim=1)
    return [(float(s), bool(g)) for s, g in zip(picked.sum(dim=1).cpu(), greedy.cpu(), strict=True)]


def continuation_logprobs(
    model: Any, pad_id: int, sequences: Sequence[tuple[list[int], int]], batch_size: int = 16
) -> list[float]:
    """Summed log-probability of the last ``n`` tokens of each ``(ids, n)`` given the tokens
    before them, one full right-padded sequence each: the reference the kernel is checked by."""
    import torch

    was_training = getattr(model, "training", False)
    model.eval()
    device = next(model.parameters()).device
    scores: list[float] = []
    try:
        for start in range(0, len(sequences), batch_size):
            chunk = sequences[start : start + batch_size]
            width = max(len(ids) for ids, _ in chunk)
            input_ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for i, (ids, _) in enumerate(chunk):
                input_ids[i, : len(ids)] = torch.tensor(ids)
                mask[i, : len(ids)] = 1
            with torch.inference_mode():
                out = model(input_ids=input_ids.to(device), attention_mask=mask.to(device))
            logprobs = torch.log_softmax(out.logits.float(), dim=-1).cpu()
            for i, (ids, n_cont) in enumerate(chunk):
                positions = range(len(ids) - n_cont, len(ids))
                scores.append(sum(float(logprobs[i, p - 1, ids[p]]) for p in positions))
    finally:
        model.train(was_training)
    return scores


def _label_groups(
    tokenizer: Any, data: TaskData, examples: list[Example]
) -> tuple[list[ChoiceGroup], list[list[int]]]:
    """Each example's prompt and every label's answer tokens, in the training format."""
    labels = data.labels or []
    label_ids = [
        encode(examples[0].model_copy(update={"output": y}), data, tokenizer, 512).answer
        for y in labels
    ]
    prompts = [encode(e, data, tokenizer, 512).prompt for e in examples]
    return [ChoiceGroup(p, label_ids) for p in prompts], label_ids


def label_loglikelihoods(
    model: Any, tokenizer: Any, data: TaskData, examples: list[Example], batch_size: int = 16
) -> list[list[float]]:
    """For each example, the summed log-probability of every label in ``data.labels`` after the
    example's prompt, as the model is trained on it (the validation accuracy of a run)."""
    if not data.labels or not examples:
        return [[] for _ in examples]
    groups, _ = _label_groups(tokenizer, data, examples)
    rows = score_groups(model, groups, pad_id=pad_id_of(tokenizer), batch_size=batch_size)
    return [[s for s, _ in row] for row in rows]


def label_loglikelihoods_plain(
    model: Any, tokenizer: Any, data: TaskData, examples: list[Example], batch_size: int = 32
) -> list[list[float]]:
    """The same scores from one full sequence per (example, label): the reference way."""
    if not data.labels or not examples:
        return [[] for _ in examples]
    groups, label_ids = _label_groups(tokenizer, data, examples)
    sequences = [(g.context + a, len(a)) for g in groups for a in label_ids]
    scores = continuation_logprobs(model, pad_id_of(tokenizer), sequences, batch_size)
    n = len(label_ids)
    return [scores[k * n : (k + 1) * n] for k in range(len(examples))]


def accuracy(model: Any, tokenizer: Any, data: TaskData, examples: list[Example]) -> float:
    labels = data.labels or []
    if not labels or not examples:
        raise ValueError("accuracy needs a classification task with labels and examples")
    rows = label_loglikelihoods(model, tokenizer, data, examples)
    hits = sum(
        labels[max(range(len(r)), key=r.__getitem__)] == e.output
        for r, e in zip(rows, examples, strict=True)
    )
    return hits / len(examples)
