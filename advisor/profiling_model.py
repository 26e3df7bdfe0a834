"""The model-dependent parts of profiling: token counts and the domain-shift estimate.

Heavy libraries are imported inside the functions. Without a model (plugin missing, model
not installed) profiling still works: token counts fall back to ``chars / 4`` (a common
rule of thumb for English BPE tokenizers; SmolLM2's tokenizer gives 4.8 characters
per token on the shipped general prose, 4.2 on the demo tickets, 4.3 on TREC questions)
and the domain shift is left unmeasured.

Domain shift: the model's per-character perplexity (exp of the mean negative
log-likelihood per character, so tokenisation does not decide it) on a sample of the
user's texts divided by the same on the shipped general prose, cut into segments of the same token length as
the user's texts (short texts are always more surprising than long ones, so comparing
unequal lengths would measure length, not domain). Thresholds on that ratio:

    ratio < 1.35 -> low     (reads like everyday English to the model)
    ratio < 2.5  -> medium  (a register of its own: tokenised reviews, ids and codes in text)
    otherwise    -> high    (another language, hex codes, heavy jargon or markup)

Calibration on the embedded SmolLM2-135M (32 texts each): the general prose itself 1.02,
demo tickets 1.25, TREC questions 1.26, SST-2 reviews 1.40, demo order messages 2.23,
German sentences 2.76, random hex codes 7.7; short code snippets 1.14 (SmolLM2 saw much
code in training: the ratio measures unfamiliarity to *this* model).
"""

from __future__ import annotations

import functools
import json
import math
import re
from importlib import resources
from pathlib import Path
from typing import Any

from advisor.profiling_stats import iter_batches

CHARS_PER_TOKEN = 4.0
SHIFT_LOW = 1.35
SHIFT_HIGH = 2.5
MAX_TOKENS = 128  # per text, for the perplexity estimate


def shift_level(ratio: float) -> str:
    if ratio < SHIFT_LOW:
        return "low"
    if ratio < SHIFT_HIGH:
        return "medium"
    return "high"


def approx_tokens(text: str) -> int:
    return max(1, round(len(text) / CHARS_PER_TOKEN)) if text else 0


def load_tokenizer(model: str | None = None) -> tuple[Any | None, str]:
    """(tokenizer, description) for ``model`` without loading its weights; (None, why) if unavailable."""
    try:
        from advisor_peft.models import resolve_model
    except ImportError:
        return None, "the advisor_peft plugin is not installed"
    try:
        source = resolve_model(model)
        location = Path(source.location)
        from transformers import AutoTokenizer

        if location.is_dir():
            tok = AutoTokenizer.from_pretrained(location)
        elif location.suffix.lower() == ".gguf" and location.is_file():
            tok = AutoTokenizer.from_pretrained(location.parent, gguf_file=location.name)
        else:
            return None, f"no tokenizer at {location}"
    except Exception as err:  # any failure here only downgrades to the approximation
        return None, f"tokenizer unavailable ({str(err).splitlines()[0][:120]})"
    return tok, f"{source.name} tokenizer"


def count_tokens(tokenizer: Any, texts: list[str]) -> list[int]:
    out: list[int] = []
    for batch in iter_batches(texts, 256):
        enc = tokenizer(batch, add_special_tokens=False)["input_ids"]
        out.extend(len(ids) for ids in enc)
    return out


def general_text() -> list[str]:
    path = resources.files("advisor") / "data" / "general" / "text.jsonl"
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def general_segments(tokenizer: Any, target_tokens: int, limit: int = 32) -> list[str]:
    """Runs of consecutive sentences from the general text, each about ``target_tokens`` long."""
    target = max(6, min(target_tokens, MAX_TOKENS))
    segments: list[str] = []
    for paragraph in general_text():
        current: list[str] = []
        length = 0
        for sentence in _SENTENCE.split(paragraph):
            n = len(tokenizer(sentence, add_special_tokens=False)["input_ids"])
            if current and length + n > target * 1.25:
                segments.append(" ".join(current))
                current, length = [], 0
            current.append(sentence)
            length += n
            if length >= target:
                segments.append(" ".join(current))
                current, length = [], 0
        if current and length >= target * 0.5:
            segments.append(" ".join(current))
    # Spread the pick over all paragraphs rather than taking the first ones.
    step = max(1, len(segments) // limit)
    return segments[::step][:limit]


def nll_per_char(model: Any, tokenizer: Any, texts: list[str], batch_size: int = 16) -> float:
    """Mean negative log-likelihood per character of ``texts`` (each cut to MAX_TOKENS tokens).

    Per character, not per token: a text that splits into many easy tokens (hex codes,
    digits) would otherwise look less surprising than ordinary prose.
    """
    import torch

    total_nll = 0.0
    total_chars = 0
    device = next(model.parameters()).device
    for batch in iter_batches([t for t in texts if t.strip()], batch_size):
        enc = tokenizer(
            batch,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
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


def perplexity_per_char(model: Any, tokenizer: Any, texts: list[str]) -> float:
    return math.exp(nll_per_char(model, tokenizer, texts))


@functools.lru_cache(maxsize=4)
def _loaded(model: str | None) -> Any:
    from advisor_peft.models import load_model

    return load_model(model)


@functools.lru_cache(maxsize=16)
def _general_perplexity(model: str | None, target_tokens: int) -> tuple[float, int]:
    loaded = _loaded(model)
    segments = general_segments(loaded.tokenizer, target_tokens)
    return perplexity_per_char(loaded.model, loaded.tokenizer, segments), len(segments)


def domain_shift(texts: list[str], median_tokens: int, model: str | None = None) -> dict[str, Any]:
    """Per-character perplexity of ``texts`` vs length-matched general prose, and its level."""
    loaded = _loaded(model)
    tok = loaded.tokenizer
    if getattr(tok, "padding_side", "right") != "right":
        tok.padding_side = "right"  # the mask logic above assumes right padding
    data_ppl = perplexity_per_char(loaded.model, tok, texts)
    general_ppl, n_segments = _general_perplexity(model, max(6, min(median_tokens, MAX_TOKENS)))
    ratio = data_ppl / general_ppl
    return {
        "model": loaded.name,
        "sample_size": len(texts),
        "general_segments": n_segments,
        "perplexity_data": round(data_ppl, 3),
        "perplexity_general": round(general_ppl, 3),
        "ratio": round(ratio, 3),
        "level": shift_level(ratio),
    }
