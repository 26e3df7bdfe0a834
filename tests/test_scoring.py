"""Shared-prefix multiple-choice scoring (``advisor_peft.scoring`` and the lm-eval model
``advisor-hf`` built on it) gives what one full sequence per choice gives: lm-eval's ``HFLM``."""

from __future__ import annotations

import random

import pytest
from tiny_models import tiny_llama

from advisor.components import PromptDoc, PromptSuite


def _tiny_llama(vocab: int = 64):
    return tiny_llama(vocab)


@pytest.mark.parametrize("shared", [0, 1, 6])
def test_kernel_equals_one_sequence_per_choice(shared):
    """Groups of different sizes, continuations of 1 to 5 tokens, contexts of different lengths
    (with no, one or six tokens every context starts with), and a token cap that splits the
    batches: every sum matches the reference, and the greedy flag is the
    reference's argmax check."""
    import torch
    from advisor_peft.scoring import ChoiceGroup, continuation_logprobs, score_groups

    rng = random.Random(3 + shared)
    model = _tiny_llama()
    start = [rng.randrange(1, 64) for _ in range(shared)]
    groups = [
        ChoiceGroup(
            start + [rng.randrange(1, 64) for _ in range(rng.randint(1, 9))],
            [[rng.randrange(1, 64) for _ in range(rng.randint(1, 5))] for _ in range(k)],
        )
        for k in (1, 3, 7, 2, 5)
    ]
    # A continuation that is the model's own greedy choice, so the flag is true at least once.
    ctx = groups[0].context
    with torch.no_grad():
        greedy = int(model(torch.tensor([ctx])).logits[0, -1].argmax())
    groups.append(ChoiceGroup(ctx, [[greedy], [(greedy + 1) % 64]]))
    got = score_groups(model, groups, pad_id=0, batch_size=3, max_tree_tokens=12)
    flat = [(g.context + c, len(c)) for g in groups for c in g.continuations]
    want = continuation_logprobs(model, 0, flat, batch_size=4)
    assert [s for row in got for s, _ in row] == pytest.approx(want, abs=1e-5)
    whole = score_groups(model, groups, pad_id=0)  # one batch, one tree pass
    assert [s for row in whole for s, _ in row] == pytest.approx(want, abs=1e-5)
    assert [[g for _, g in row] for row in whole] == [[g for _, g in row] for row in got]
    with torch.no_grad():
        for g, row in zip(groups, got, strict=True):
            for c, (_, is_greedy) in zip(g.continuations, row, strict=True):
                logits = model(torch.tensor([g.context + c])).logits[0]
                picks = logits[len(g.context) - 1 : -1].argmax(dim=-1).tolist()
                assert is_greedy == (picks == c)
    assert got[-1][0][1] and not got[-1][1][1]


def _suite(name: str, labels: list[str], rows: int, seed: int) -> PromptSuite:
    """A generated classification task: the label list in the prompt, short inputs."""
    rng = random.Random(seed)
    words = [
        "order",
        "invoice",
        "parcel",
        "screen",
        "password",
        "refund",
        "card",
        "delivery",
        "account",
        "late",
        "broken",
    ]
    docs = []
    for i in range(rows):
        target = labels[i % len(labels)]
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 8)))
        prompt = f"Labels: {', '.join(labels)}.\nMessage: {text} ({target[:3]})\nLabel:"
        docs.append(PromptDoc(id=i, input=text, prompt=prompt, target=target))
    return PromptSuite(
        name=name,
        strategy="zero-shot",
        description=name,
        task_type="classification",
        docs=docs,
        choices=labels,
    )


TASKS = [
    # multi-token labels (the demo tickets' kind), many labels, single-token labels
    ("multi_token", ["billing", "refund request", "shipping delay", "technical issue"], 8),
    ("many_labels", [f"intent {w} {n}" for n in range(4) for w in ("card", "app", "pin")], 4),
    ("one_token", ["yes", "no", "maybe"], 8),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "labels", "rows"), TASKS, ids=[t[0] for t in TASKS])
def test_advisor_hf_equals_hflm(embedded_model, one_torch_thread, tmp_path, name, labels, rows):
    """On the embedded model: per-example log-likelihoods within 1e-4 of plain HFLM (fp32),
    the same greedy flags, predictions and accuracy, through lm-eval's own simple_evaluate;
    the progress callback goes from none to every request."""
    from advisor_lmeval.lm import AdvisorHFLM, make_lm
    from advisor_lmeval.runner import evaluate
    from lm_eval.api.registry import get_model
    from lm_eval.models.huggingface import HFLM

    assert get_model("advisor-hf") is AdvisorHFLM
    suite = _suite(name, labels, rows, seed=len(name))
    hf, tok = embedded_model.model, embedded_model.tokenizer
    seen: list[tuple[int, int]] = []
    ours = evaluate(
        make_lm(hf, tok, 8, lambda done, total: seen.append((done, total))), suite, tmp_path
    )
    plain = evaluate(
        HFLM(pretrained=hf, tokenizer=tok, batch_size=8, device="cpu"), suite, tmp_path
    )
    a = sorted(ours["samples"][name], key=lambda s: s["doc_id"])
    b = sorted(plain["samples"][name], key=lambda s: s["doc_id"])
    assert len(a) == len(b) == rows
    for x, y in zip(a, b, strict=True):
        lls_x = [r[0][0] for r in x["resps"]]
        lls_y = [r[0][0] for r in y["resps"]]
        assert lls_x == pytest.approx(lls_y, abs=1e-4)
        assert [r[0][1] for r in x["resps"]] == [r[0][1] for r in y["resps"]]
        assert max(range(len(lls_x)), key=lls_x.__getitem__) == max(
            range(len(lls_y)), key=lls_y.__getitem__
        )
    assert ours["results"][name]["acc,none"] == plain["results"][name]["acc,none"]
    total = rows * len(labels)  # progress starts at zero and reaches every request
    assert seen[0] == (0, total) and seen[-1] == (total, total)
