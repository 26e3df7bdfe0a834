"""``HFModel``: a transformers causal LM and its tokenizer behind the core's ``LoadedModel``.

The core asks it for token counts, choice log-likelihoods and per-character loss; the peft
plugin's own code (training, attaching adapters) and the lm-eval runner use ``.model`` and
``.tokenizer`` directly. torch is imported inside the methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from advisor.components import ChoiceRequest, LoadedModel
from advisor.errors import UsageError

MAX_LOSS_TOKENS = 128  # per text, for the per-character loss (the domain-shift estimate)


def _batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class HFTokenizer:
    """A tokenizer alone, for token counts without loading weights (a ``TokenCounter``)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        out: list[int] = []
        for batch in _batches(list(texts), 256):
            enc = self.tokenizer(list(batch), add_special_tokens=False)["input_ids"]
            out.extend(len(ids) for ids in enc)
        return out


class HFModel(LoadedModel):
    """A model loaded once per run; ``model`` and ``tokenizer`` are the transformers objects."""

    def __init__(self, name: str, model: Any, tokenizer: Any, path: Path | None = None) -> None:
        self.name = name
        self.model = model
        self.tokenizer = tokenizer
        self.path = path
        self.chat = False  # prompts go through the tokenizer's chat template (advisor_peft.chat)

    def __repr__(self) -> str:
        return f"HFModel({self.name!r}, path={self.path})"

    @property
    def params_b(self) -> float | None:
        return sum(p.numel() for p in self.model.parameters()) / 1e9

    @property
    def context_window(self) -> int | None:
        # The positions the model was trained on (the tokenizer's model_max_length is often
        # a placeholder like 10**30).
        positions = getattr(getattr(self.model, "config", None), "max_position_embeddings", None)
        return int(positions) if isinstance(positions, int) else None

    def with_model(self, model: Any) -> HFModel:
        """The same tokenizer, name and prompt format around another model object (a
        fine-tune of this one)."""
        other = HFModel(self.name, model, self.tokenizer, self.path)
        other.chat = self.chat
        return other

    def use_chat_template(self) -> None:
        from advisor_peft.chat import has_chat_template

        if not has_chat_template(self.tokenizer):
            raise UsageError(f"{self.name}: its tokenizer has no chat template")
        self.chat = True

    def set_threads(self, threads: int) -> None:
        import torch

        # On shared, oversubscribed cores one thread can beat two spinning OpenMP threads.
        torch.set_num_threads(threads)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return HFTokenizer(self.tokenizer).count_tokens(texts)

    def score_choices(
        self, requests: Sequence[ChoiceRequest], *, batch_size: int = 16
    ) -> list[list[float]]:
        """Each request's context run once, its choices scored from the context's cache
        (``advisor_peft.scoring``); an empty context is conditioned on the BOS/EOS token."""
        from advisor_peft.scoring import ChoiceGroup, pad_id_of, score_groups

        tok = self.tokenizer
        prefix = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        groups = [
            ChoiceGroup(
                tok(r.context, add_special_tokens=False)["input_ids"] or [prefix],
                [tok(c, add_special_tokens=False)["input_ids"] for c in r.choices],
            )
            for r in requests
        ]
        rows = score_groups(self.model, groups, pad_id=pad_id_of(tok), batch_size=batch_size)
        return [[s for s, _ in row] for row in rows]

    def nll_per_char(self, texts: Sequence[str]) -> float:
        return _nll_per_char(self.model, self.tokenizer, list(texts))


def _nll_per_char(model: Any, tokenizer: Any, texts: list[str], batch_size: int = 4) -> float:
    """Mean negative log-likelihood per character (each text cut to MAX_LOSS_TOKENS tokens).

    Per character, not per token: a text that splits into many easy tokens (hex codes,
    digits) would otherwise look less surprising than ordinary prose. Small batches: every
    position's full-vocabulary logits are needed here, 25 MB per text in float32, twice over
    with the loss's log-softmax."""
    import torch

    if getattr(tokenizer, "padding_side", "right") != "right":
        tokenizer.padding_side = "right"  # the mask logic below assumes right padding
    total_nll = 0.0
    total_chars = 0
    device = next(model.parameters()).device
    for batch in _batches([t for t in texts if t.strip()], batch_size):
        enc = tokenizer(
            list(batch),
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=MAX_LOSS_TOKENS,
            add_special_tokens=False,
        ).to(device)
        with torch.inference_mode():
            logits = model(**enc).logits[:, :-1].float()
        targets = enc["input_ids"][:, 1:]
        mask = enc["attention_mask"][:, 1:].bool() & enc["attention_mask"][:, :-1].bool()
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
        total_nll += float(nll[mask].sum())
        for row, row_mask in zip(targets, mask, strict=True):  # characters of the scored tokens
            total_chars += len(tokenizer.decode(row[row_mask].tolist()))
    if total_chars == 0:
        raise ValueError("no text to score")
    return total_nll / total_chars
