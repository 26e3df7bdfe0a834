"""``ApiModel``: an OpenAI-compatible endpoint as a ``LoadedModel``.

A chat-completions server generates; a log-probability of a continuation we choose comes only
from ``/completions`` with ``echo`` and ``logprobs`` (vLLM has it; ``transformers serve``
ignores both), so ``score_choices`` asks there and fails with a clear error where the server
has none, and ``nll_per_char`` refuses. Classification is scored by generating the answer and
reading the label from it unless ``Endpoint.scoring`` says otherwise (``advisor_api.runner``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from advisor.bench.endpoints import Endpoint
from advisor.components import ChoiceRequest, LoadedModel
from advisor.errors import UsageError
from advisor_api.client import ChatClient, Reply

# Approximate token counts (prompt lengths in the report, before a server says otherwise):
# about 4 characters per token, the usual rule of thumb for English with BPE tokenizers. The
# costs use the token usage each response reports, not this estimate.
CHARS_PER_TOKEN = 4


class ApiModel(LoadedModel):
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.name = endpoint.model
        self.path = None

    def client(self, cache_dir: Path | None) -> ChatClient:
        return ChatClient(self.endpoint, cache_dir)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [math.ceil(len(t) / CHARS_PER_TOKEN) for t in texts]

    def score_choices(
        self, requests: Sequence[ChoiceRequest], *, batch_size: int = 16
    ) -> list[list[float]]:
        """Through ``/completions`` with echo and logprobs, one request per choice: a clear
        error where the server has no log-probabilities of the prompt (chat-only servers,
        ``transformers serve``)."""
        client = self.client(None)
        return [[_logprob(client.loglikelihood(r.context, c)) for c in r.choices] for r in requests]

    def nll_per_char(self, texts: Sequence[str]) -> float:
        raise UsageError(
            f"endpoint {self.endpoint.name} ({self.endpoint.model}) cannot measure a loss: "
            "a served model is scored by its answers or its labels' log-likelihoods only"
        )


def _logprob(reply: Reply) -> float:
    if reply.logprob is None:  # ChatClient.loglikelihood always sets it
        raise RuntimeError("a log-likelihood request came back without one")
    return reply.logprob
