"""The model-dependent parts of profiling: token counts and the domain-shift estimate.

Models come from the model plugins (``advisor_resolve_model``) and are used only through the
``TokenCounter`` / ``LoadedModel`` contracts. Without a model (plugin missing, model
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
from typing import Any

from advisor.components import LoadedModel, TokenCounter

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


def load_tokenizer(model: str | None = None) -> tuple[TokenCounter | None, str]:
    """(token counter, description) for ``model`` without loading its weights, through the model
    plugins; (None, why) when no plugin can give one."""
    from advisor.plugins import get_plugins

    try:
        source = get_plugins().resolve_model(model)
        if source.tokenizer is None:
            return None, f"model source {source.name} offers no tokenizer without its weights"
        counter = source.tokenizer()
    except Exception as err:  # any failure here only downgrades to the approximation
        return None, f"tokenizer unavailable ({str(err).splitlines()[0][:120]})"
    return counter, f"{source.name} tokenizer"


def count_tokens(counter: TokenCounter, texts: list[str]) -> list[int]:
    return counter.count_tokens(texts)


def general_text() -> list[str]:
    path = resources.files("advisor") / "data" / "general" / "text.jsonl"
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def general_segments(counter: TokenCounter, target_tokens: int, limit: int = 32) -> list[str]:
    """Runs of consecutive sentences from the general text, each about ``target_tokens`` long."""
    target = max(6, min(target_tokens, MAX_TOKENS))
    segments: list[str] = []
    for paragraph in general_text():
        current: list[str] = []
        length = 0
        sentences = _SENTENCE.split(paragraph)
        for sentence, n in zip(sentences, counter.count_tokens(sentences), strict=True):
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


def perplexity_per_char(model: LoadedModel, texts: list[str]) -> float:
    """exp of the model's mean negative log-likelihood per character of ``texts``."""
    return math.exp(model.nll_per_char(texts))


@functools.lru_cache(maxsize=4)
def _loaded(model: str | None) -> LoadedModel:
    from advisor.plugins import get_plugins

    return get_plugins().resolve_model(model).load()


@functools.lru_cache(maxsize=16)
def _general_perplexity(model: str | None, target_tokens: int) -> tuple[float, int]:
    loaded = _loaded(model)
    segments = general_segments(loaded, target_tokens)
    return perplexity_per_char(loaded, segments), len(segments)


def domain_shift(texts: list[str], median_tokens: int, model: str | None = None) -> dict[str, Any]:
    """Per-character perplexity of ``texts`` vs length-matched general prose, and its level."""
    loaded = _loaded(model)
    data_ppl = perplexity_per_char(loaded, texts)
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
