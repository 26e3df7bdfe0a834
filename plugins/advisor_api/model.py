"""``ApiModel``: an OpenAI-compatible endpoint as a ``LoadedModel``.

A chat-completions server generates; it gives no log-probability of a continuation we choose,
so ``score_choices`` and ``nll_per_char`` refuse with a clear error, and classification on it
is scored by generating the answer and reading the label from it (``advisor_api.runner``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from advisor.bench.endpoints import Endpoint
from advisor.components import ChoiceRequest, LoadedModel
from advisor.errors import UsageError
from advisor_api.client import ChatClient

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

    def _no_logprobs(self, what: str) -> UsageError:
        return UsageError(
            f"endpoint {self.endpoint.name} ({self.endpoint.model}) cannot {what}: "
            "chat-completions servers give no log-probabilities of given text; it is scored "
            "by generation (prompt strategies only)"
        )

    def score_choices(
        self, requests: Sequence[ChoiceRequest], *, batch_size: int = 16
    ) -> list[list[float]]:
        raise self._no_logprobs("score choices")

    def nll_per_char(self, texts: Sequence[str]) -> float:
        raise self._no_logprobs("measure a loss")
