"""Classification accuracy the way lm-eval's multiple-choice scoring does it: the label whose tokens
get the highest log-likelihood after the shared prompt wins. Used by the throughput benchmark."""

from __future__ import annotations

from typing import Any

from advisor.components import Example, TaskData
from advisor_peft.collate import Encoded, collate, encode, eval_batches


def label_loglikelihoods(
    model: Any, tokenizer: Any, data: TaskData, examples: list[Example], batch_size: int = 16
) -> list[list[float]]:
    """For each example, the summed log-probability of every label in ``data.labels``.

    The prompt is run once per example; its key/value cache is then repeated for the labels, so
    k labels cost one prompt plus k short continuations instead of k full sequences."""
    import torch

    labels = data.labels or []
    if not labels:
        return [[] for _ in examples]
    label_ids = [
        encode(examples[0].model_copy(update={"output": y}), data, tokenizer, 512).answer
        for y in labels
    ]
    prompts = [encode(e, data, tokenizer, 512) for e in examples]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    k, width = len(labels), max(len(a) for a in label_ids)
    cont = torch.full((k, width), pad, dtype=torch.long)
    cont_mask = torch.zeros((k, width), dtype=torch.long)
    for j, a in enumerate(label_ids):
        cont[j, : len(a)] = torch.tensor(a)
        cont_mask[j, : len(a)] = 1
    out: list[list[float]] = [[] for _ in examples]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for idx in eval_batches([p.length for p in prompts], batch_size):
            b = len(idx)
            # Prompt only (answer dropped): left-padded, positions from each prompt's start.
            batch = collate([Encoded(prompts[i].prompt, []) for i in idx], pad)
            first = model(
                input_ids=batch["input_ids"],
                attention_mask=batch["attention_mask"],
                position_ids=batch["position_ids"],
                use_cache=True,
                logits_to_keep=1,
            )
            logp_first = torch.log_softmax(first.logits[:, -1, :].float(), dim=-1)  # [b, vocab]
            score = logp_first[:, cont[:, 0]]  # [b, k]: the first label token
            if width > 1:
                cache = getattr(first, "cache", None) or first.past_key_values
                cache.batch_repeat_interleave(k)  # row i*k + j = example i, label j
                starts = batch["attention_mask"].sum(dim=1)  # each prompt's length
                ids = cont[:, :-1].repeat(b, 1)
                mask = torch.cat(
                    [
                        batch["attention_mask"].repeat_interleave(k, dim=0),
                        cont_mask[:, :-1].repeat(b, 1),
                    ],
                    dim=1,
                )
                pos = starts.repeat_interleave(k).unsqueeze(1) + torch.arange(width - 1).unsqueeze(
                    0
                )
                rest = model(
                    input_ids=ids,
                    attention_mask=mask,
                    position_ids=pos,
                    cache=cache,
                    use_cache=True,
                ).logits
                logp = torch.log_softmax(rest.float(), dim=-1)  # predicts label tokens 2..width
                nxt = cont[:, 1:].repeat(b, 1)
                picked = logp.gather(-1, nxt.unsqueeze(-1)).squeeze(-1) * cont_mask[:, 1:].repeat(
                    b, 1
                )
                score = score + picked.sum(dim=1).view(b, k)
            for row, i in enumerate(idx):
                out[i] = [float(x) for x in score[row]]
    model.train(was_training)
    return out


def label_loglikelihoods_plain(
    model: Any, tokenizer: Any, data: TaskData, examples: list[Example], batch_size: int = 32
) -> list[list[float]]:
    """The same scores from one full sequence per (example, label): the reference way, used to
    check the cached path above (the same scorer as ``HFModel.score_choices``)."""
    from advisor_peft.hf import continuation_logprobs

    labels = data.labels or []
    items = [
        encode(e.model_copy(update={"output": label}), data, tokenizer, 512)
        for e in examples
        for label in labels
    ]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    scores = continuation_logprobs(
        model, pad, [(i.prompt + i.answer, len(i.answer)) for i in items], batch_size
    )
    n = len(labels)
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
