"""Shared-prefix multiple-choice scoring: the one kernel behind lm-eval's multiple-choice tasks
(``advisor_lmeval.lm``), ``HFModel.score_choices`` and the validation accuracy of a training run.

Three passes instead of one full sequence per (context, choice):

1. the tokens every context starts with (a few-shot prompt's instruction and demonstrations)
   run once per call;
2. each context's own rest runs once, batched, on top of that cache; its last position's
   logits score the first token of every choice (a single-token label set is done here);
3. the remaining choice tokens of all choices of a context run together as one sequence on top
   of the context's cache, a 4D attention mask keeping each choice to the context and its own
   earlier tokens (tree attention), so the cache is never copied per choice.

Logits are computed only where a choice token is predicted, and log-softmax in float32 only on
those rows: no ``[batch, sequence, vocabulary]`` tensor over the prompt is built. The result is
what one full sequence per choice gives, as lm-eval's ``HFLM`` computes it: the summed
log-probability and whether every choice token is the greedy one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from advisor.components import Example, TaskData
from advisor_peft.collate import encode

# Choice tokens per pass 3 (over the batch): bounds its float32 logits (about 200 KB per token
# for a 49k vocabulary) when a context has many or long choices.
MAX_TREE_TOKENS = 512


@dataclass(frozen=True)
class ChoiceGroup:
    """One context (token ids, non-empty) and the continuations to score after it."""

    context: list[int]
    continuations: list[list[int]]

    @property
    def tree_tokens(self) -> int:
        """Tokens of pass 3: every choice but its last token (that one is only predicted)."""
        return sum(len(c) - 1 for c in self.continuations if len(c) > 1)


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
    max_tree_tokens: int = MAX_TREE_TOKENS,
    on_batch: Callable[[int], None] | None = None,
) -> list[list[tuple[float, bool]]]:
    """``(summed log-probability, is greedy)`` of every continuation of every group, in order.

    Contexts go ``batch_size`` at a time (fewer when their choices exceed
    ``max_tree_tokens``), longest first, left-padded; positions count on from the shared
    prefix, as unpadded. ``on_batch`` gets the number of continuations scored per batch."""
    import torch

    out: list[list[tuple[float, bool]]] = [[] for _ in groups]
    was_training = getattr(model, "training", False)
    model.eval()
    device = next(model.parameters()).device
    try:
        with torch.inference_mode():
            prefix = _shared_prefix(model, [g.context for g in groups], device)
            for idx in _batches(groups, batch_size, max_tree_tokens):
                batch = [groups[g] for g in idx]
                scored = _score_batch(model, batch, prefix, pad_id, device)
                for g, row in zip(idx, scored, strict=True):
                    out[g] = row
                if on_batch:
                    on_batch(sum(len(g.continuations) for g in batch))
    finally:
        model.train(was_training)
    return out


def _batches(groups: Sequence[ChoiceGroup], size: int, max_tree: int) -> list[list[int]]:
    """Longest context first; a batch closes at ``size`` contexts or when its pass 3 (rows x
    the widest row) would exceed ``max_tree`` tokens (a batch always takes one context)."""
    batches: list[list[int]] = []
    current: list[int] = []
    widest = 0
    for g in sorted(range(len(groups)), key=lambda g: -len(groups[g].context)):
        tree = groups[g].tree_tokens
        if current and (len(current) == size or (len(current) + 1) * max(widest, tree) > max_tree):
            batches.append(current)
            current, widest = [], 0
        current.append(g)
        widest = max(widest, tree)
    return [*batches, current] if current else batches


def _shared_prefix(model: Any, contexts: list[list[int]], device: Any) -> tuple[int, Any]:
    """Pass 1: ``(length, key/value cache)`` of the tokens all contexts start with, leaving
    each at least one token of its own; ``(0, None)`` for one context or no common start."""
    import torch

    if len(contexts) < 2:
        return 0, None
    n = min(len(c) for c in contexts) - 1
    first = contexts[0]
    for c in contexts[1:]:
        n = next((i for i in range(n) if c[i] != first[i]), n)
    if n <= 0:
        return 0, None
    ids = torch.tensor([first[:n]], device=device)
    return n, _cache_of(model(input_ids=ids, use_cache=True, logits_to_keep=1))


def _cache_of(output: Any) -> Any:
    # transformers 5 names it ``cache``; 4.x called it ``past_key_values``.
    return getattr(output, "cache", None) or output.past_key_values


def _score_batch(
    model: Any, groups: list[ChoiceGroup], prefix: tuple[int, Any], pad_id: int, device: Any
) -> list[list[tuple[float, bool]]]:
    """Passes 2 and 3 for one batch of contexts."""
    import torch
    from transformers import DynamicCache

    shared, prefix_cache = prefix
    b = len(groups)
    width = max(len(g.context) for g in groups) - shared
    ids = torch.full((b, width), pad_id, dtype=torch.long)
    own = torch.zeros((b, width), dtype=torch.long)
    for row, g in enumerate(groups):
        rest = g.context[shared:]
        ids[row, width - len(rest) :] = torch.tensor(rest)
        own[row, width - len(rest) :] = 1
    positions = shared + (own.cumsum(dim=1) - 1).clamp(min=0)
    mask = torch.cat([torch.ones((b, shared), dtype=torch.long), own], dim=1)
    ids, mask, positions = ids.to(device), mask.to(device), positions.to(device)
    cache = None
    if prefix_cache is not None:  # one copy of the prefix per row (the rows then diverge)
        cache = DynamicCache(
            [(k.expand(b, -1, -1, -1), v.expand(b, -1, -1, -1), s) for k, v, s in prefix_cache]
        )
    first = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=positions,
        cache=cache,
        use_cache=True,
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
    if any(g.tree_tokens for g in groups):
        rest = _tree_pass(model, _cache_of(first), mask, groups)
        for (r, j), (logp, greedy) in rest.items():
            scores[r][j][0] += logp
            scores[r][j][1] = scores[r][j][1] and greedy
    return [[(float(s), bool(gr)) for s, gr in row] for row in scores]


def _tree_pass(
    model: Any, cache: Any, ctx_mask: Any, groups: list[ChoiceGroup]
) -> dict[tuple[int, int], tuple[float, bool]]:
    """Pass 3: tokens 2..n of every choice, all choices of a context in one row after its
    cache; a choice's tokens see the context and their own choice's earlier tokens only.
    Returns ``(row, choice) -> (log-probability of tokens 2..n, all greedy)``."""
    import torch

    device = ctx_mask.device
    b, width = len(groups), max(g.tree_tokens for g in groups)
    ids = torch.zeros((b, width), dtype=torch.long)
    targets = torch.zeros((b, width), dtype=torch.long)
    offset = torch.zeros((b, width), dtype=torch.long)
    choice = torch.full((b, width), -1, dtype=torch.long)  # -1: padding
    spans: list[tuple[int, int, int, int]] = []  # row, choice, start, length
    for r, g in enumerate(groups):
        t = 0
        for j, c in enumerate(g.continuations):
            n = len(c) - 1
            if n < 1:
                continue
            ids[r, t : t + n] = torch.tensor(c[:-1])
            targets[r, t : t + n] = torch.tensor(c[1:])
            offset[r, t : t + n] = torch.arange(n)
            choice[r, t : t + n] = j
            spans.append((r, j, t, n))
            t += n
    ids, targets, offset, choice = (
        ids.to(device),
        targets.to(device),
        offset.to(device),
        choice.to(device),
    )
    q = torch.arange(width, device=device)
    same = (choice.unsqueeze(2) == choice.unsqueeze(1)) & (choice.unsqueeze(1) >= 0)
    allowed = torch.cat(
        [
            ctx_mask.bool().unsqueeze(1).expand(b, width, -1),  # padding rows see the context
            same & (q.unsqueeze(0) <= q.unsqueeze(1)).unsqueeze(0),
        ],
        dim=2,
    )
    dtype = model.get_output_embeddings().weight.dtype
    mask4 = torch.zeros(allowed.shape, dtype=dtype, device=device)
    mask4 = mask4.masked_fill(~allowed, torch.finfo(dtype).min).unsqueeze(1)
    positions = ctx_mask.sum(dim=1, keepdim=True) + offset
    logits = model(
        input_ids=ids, attention_mask=mask4, position_ids=positions, cache=cache, use_cache=True
    ).logits
    logp = torch.log_softmax(logits.float(), dim=-1)
    picked = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1).cpu()
    greedy = (logp.argmax(dim=-1) == targets).cpu()
    return {
        (r, j): (float(picked[r, t : t + n].sum()), bool(greedy[r, t : t + n].all()))
        for r, j, t, n in spans
    }


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
    tokenizer: Any, data: TaskData, examples: list[Example], chat: bool = False
) -> tuple[list[ChoiceGroup], list[list[int]]]:
    """Each example's prompt and every label's answer tokens, in the training format."""
    labels = data.labels or []
    label_ids = [
        encode(examples[0].model_copy(update={"output": y}), data, tokenizer, 512).answer
        for y in labels
    ]
    prompts = [encode(e, data, tokenizer, 512, chat=chat).prompt for e in examples]
    return [ChoiceGroup(p, label_ids) for p in prompts], label_ids


def label_loglikelihoods(
    model: Any,
    tokenizer: Any,
    data: TaskData,
    examples: list[Example],
    batch_size: int = 16,
    *,
    chat: bool = False,
) -> list[list[float]]:
    """For each example, the summed log-probability of every label in ``data.labels`` after the
    example's prompt, as the model is trained on it (the validation accuracy of a run)."""
    if not data.labels or not examples:
        return [[] for _ in examples]
    groups, _ = _label_groups(tokenizer, data, examples, chat)
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


def accuracy(
    model: Any, tokenizer: Any, data: TaskData, examples: list[Example], *, chat: bool = False
) -> float:
    return accuracy_and_loss(model, tokenizer, data, examples, chat=chat)[0]


def accuracy_and_loss(
    model: Any, tokenizer: Any, data: TaskData, examples: list[Example], *, chat: bool = False
) -> tuple[float, float]:
    """Accuracy (the label with the highest log-likelihood wins) and the mean loss per answer
    token of the true labels, from one pass: the true label is one of the choices scored, so a
    separate loss pass over the same rows would repeat the work (the validation of a training
    run watches the first and reads the second for overfitting)."""
    labels = data.labels or []
    if not labels or not examples:
        raise ValueError("accuracy needs a classification task with labels and examples")
    groups, label_ids = _label_groups(tokenizer, data, examples, chat)
    rows = score_groups(model, groups, pad_id=pad_id_of(tokenizer))
    hits, nll, tokens = 0, 0.0, 0
    for row, e in zip(rows, examples, strict=True):
        scores = [s for s, _ in row]
        hits += labels[max(range(len(scores)), key=scores.__getitem__)] == e.output
        if e.output in labels:  # a label outside the set is a miss with no loss to add
            gold = labels.index(e.output)
            nll -= scores[gold]
            tokens += len(label_ids[gold])
    return hits / len(examples), nll / max(1, tokens)
