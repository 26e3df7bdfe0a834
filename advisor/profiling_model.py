"""The model-dependent parts of profiling: token counts and the domain-shift estimate.

Heavy libraries are imported inside the functions. Without a model (plugin missing, model
not installed) profiling still works: token counts fall back to ``chars / 4`` (a common
rule of thumb for English BPE tokenizers; SmolLM2's tokenizer gives about 4.2 characters
per token on the shipped general text) and the domain shift is left unmeasured.

Domain shift: the model's perplexity on a sample of the user's texts divided by its
perplexity on the shipped general prose, cut into segments of the same token length as
the user's texts (short texts are always more surprising than long ones, so comparing
unequal lengths would measure length, not domain). Thresholds on that ratio:

    ratio < 1.6  -> low     (the texts read like ordinary prose to the model)
    ratio < 3.0  -> medium  (a recognisable register: tickets, questions, reviews)
    otherwise    -> high    (jargon, codes, another language, markup)
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
SHIFT_LOW = 1.6
SHIFT_HIGH = 3.0
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


def perplexity(model: Any, tokenizer: Any, texts: list[str], batch_size: int = 16) -> float:
    """Token-weighted perplexity of ``texts`` (each cut to MAX_TOKENS tokens)."""
    import torch

    total_nll = 0.0
    total_tokens = 0
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
        total_tokens += int(mask.sum())
    if total_tokens == 0:
        raise ValueError("no tokens to score")
    return math.exp(total_nll / total_tokens)


@functools.lru_cache(maxsize=4)
def _loaded(model: str | None) -> Any:
    from advisor_peft.models import load_model

    return load_model(model)


def domain_shift(texts: list[str], median_tokens: int, model: str | None = None) -> dict[str, Any]:
    """Perplexity of ``texts`` vs length-matched general prose, and the level it maps to."""
    loaded = _loaded(model)
    tok = loaded.tokenizer
    if getattr(tok, "padding_side", "right") != "right":
        tok.padding_side = "right"  # the mask logic above assumes right padding
    data_ppl = perplexity(loaded.model, tok, texts)
    general = general_segments(tok, median_tokens)
    general_ppl = perplexity(loaded.model, tok, general)
    ratio = data_ppl / general_ppl
    return {
        "model": loaded.name,
        "sample_size": len(texts),
        "general_segments": len(general),
        "perplexity_data": round(data_ppl, 2),
        "perplexity_general": round(general_ppl, 2),
        "ratio": round(ratio, 3),
        "level": shift_level(ratio),
    }
