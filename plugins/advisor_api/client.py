"""A small client for OpenAI-compatible ``/chat/completions``: timeout, bounded retries with
exponential backoff, and a request cache on disk.

Why not lm-eval's API models (``local-chat-completions``, ``TemplateAPIModel``)? They return
the generated text only: the benchmark reports measured per-request latency (p50/p95) and the
server's token usage (for the cost per 1,000 queries), needs a bad key or a dead server to end
the run with one clear line (lm-eval retries through tenacity and raises its own exceptions),
and keeps its request cache in the run folder so that ``--resume`` does not pay twice. The
request and response shapes are the same as lm-eval's chat-completions model sends
(``model``, ``messages``, ``max_tokens``, ``temperature``, ``stop``).

The key is read from its environment variable for each request, sent in the
``Authorization`` header only, and redacted from every message; the cache is keyed by a hash
of the URL, model, messages and parameters, never the key.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.bench.endpoints import Endpoint
from advisor.errors import UsageError, shorten
from advisor.files import write_atomic

RETRIED = {429, 500, 502, 503, 504}
MAX_WAIT_S = 30.0
RESUME_HINT = "results so far are kept: fix it and rerun with --resume"


class EndpointError(UsageError):
    """The server cannot be used (down, bad key, malformed answer): one line, exit 2."""


@dataclass(frozen=True)
class Reply:
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float
    cached: bool = False
    retries: int = 0
    logprob: float | None = None  # of the continuation (``loglikelihood``)


class ChatClient:
    """Sends one request at a time (thread-safe: callers run several in threads)."""

    def __init__(
        self,
        endpoint: Endpoint,
        cache_dir: Path | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint
        self.cache_dir = cache_dir
        self.sleep = sleep
        self.url = endpoint.base_url + "/chat/completions"

    def complete(self, messages: list[dict[str, str]], params: dict[str, Any]) -> Reply:
        """The server's answer (or the cached one) to ``messages``."""
        payload = {"model": self.endpoint.model, "messages": messages, **params}
        return self._cached(self.url, payload, _chat_reply)

    def loglikelihood(self, context: str, continuation: str) -> Reply:
        """log P(continuation | context) from ``/completions`` with ``echo`` and ``logprobs``
        (as lm-eval's ``local-completions`` asks it); a clear error where the server gives
        no log-probabilities of the prompt."""
        payload = {
            "model": self.endpoint.model,
            "prompt": context + continuation,
            "max_tokens": 1,
            "temperature": 0,
            "echo": True,
            "logprobs": 1,
        }

        def parse(data: dict[str, Any], latency: float, retries: int, where: str) -> Reply:
            span = (len(context), len(context) + len(continuation))
            return _logprob_reply(data, span, latency, retries, where)

        return self._cached(self.endpoint.base_url + "/completions", payload, parse)

    def _cached(self, url: str, payload: dict[str, Any], parse: Any) -> Reply:
        """``parse`` of the server's JSON answer, through the request cache of the run."""
        digest = hashlib.sha256(
            json.dumps({"url": url, **payload}, sort_keys=True).encode("utf-8")
        ).hexdigest()
        path = self.cache_dir / f"{digest}.json" if self.cache_dir else None
        if path is not None and path.is_file():
            try:
                return Reply(**{**json.loads(path.read_text(encoding="utf-8")), "cached": True})
            except (ValueError, TypeError):
                pass  # a damaged entry is asked again
        data, latency, retries = self._send(url, json.dumps(payload).encode("utf-8"))
        reply = parse(data, latency, retries, self._where(None))
        if path is not None:
            entry = {k: v for k, v in reply.__dict__.items() if k not in ("cached", "retries")}
            write_atomic(path, json.dumps(entry))
        return reply

    def _send(self, url: str, body: bytes) -> tuple[Any, float, int]:
        """POST with bounded retries (429, 5xx and connection errors wait and retry): the
        decoded JSON answer, its latency in ms and the retries it took."""
        e = self.endpoint
        for attempt in range(e.max_retries + 1):
            key = e.api_key()  # read now: never kept on the client
            headers = {"Content-Type": "application/json"}
            if key:
                headers["Authorization"] = f"Bearer {key}"
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            start = time.perf_counter()
            wait: float | None = None
            try:
                with urllib.request.urlopen(request, timeout=e.timeout_s) as response:
                    raw = response.read()
                latency = 1000 * (time.perf_counter() - start)
                try:
                    return json.loads(raw), latency, attempt
                except ValueError:
                    raise _malformed(self._where(key), "not JSON") from None
            except urllib.error.HTTPError as err:
                if err.code not in RETRIED:
                    raise self._refused(err.code, key) from None
                failure = f"HTTP {err.code}"
                wait = _retry_after(err.headers.get("Retry-After"))
            except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
                # refused, reset, timed out, or not HTTP at all: a server down or restarting
                reason = getattr(err, "reason", None) or type(err).__name__
                failure = _redact(f"no answer ({reason})", key)
            if attempt < e.max_retries:
                self.sleep(min(MAX_WAIT_S, wait if wait is not None else e.backoff_s * 2**attempt))
        raise EndpointError(
            f"{self._where(None)}: {failure} after {e.max_retries + 1} attempts; {RESUME_HINT}"
        )

    def _where(self, key: str | None) -> str:
        return f"endpoint {self.endpoint.name} ({_redact(self.endpoint.base_url, key)})"

    def _refused(self, code: int, key: str | None) -> EndpointError:
        if code in (401, 403):
            env = self.endpoint.key_env
            what = f"the key in ${env}" if env else "no key (give one with --api-key-env)"
            return EndpointError(f"{self._where(key)} refused {what} (HTTP {code}); {RESUME_HINT}")
        hint = " (is --api-base the URL ending in /v1?)" if code == 404 else ""
        return EndpointError(f"{self._where(key)} answered HTTP {code}{hint}; {RESUME_HINT}")


def _retry_after(value: str | None) -> float | None:
    """A Retry-After header in seconds (a date form is ignored: the backoff applies)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _redact(text: str, key: str | None) -> str:
    return text.replace(key, "***") if key else text


def _malformed(where: str, problem: str) -> EndpointError:
    return EndpointError(f"{where} sent a malformed response ({problem}); {RESUME_HINT}")


def _usage(data: dict[str, Any]) -> tuple[int | None, int | None]:
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))


def _chat_reply(data: Any, latency_ms: float, retries: int, where: str) -> Reply:
    """The answer text and token usage of a chat-completions response, checked."""
    try:
        text = data["choices"][0]["message"]["content"]
        if not isinstance(text, str):
            raise TypeError("content is not a string")
    except (KeyError, IndexError, TypeError) as err:
        problem = shorten(f"{type(err).__name__}: {err}", 60)
        raise _malformed(where, f"no chat completion: {problem}") from None
    return Reply(text, *_usage(data), latency_ms=latency_ms, retries=retries)


def _logprob_reply(
    data: Any, span: tuple[int, int], latency_ms: float, retries: int, where: str
) -> Reply:
    """The summed log-probability of the echoed prompt tokens that start inside ``span``
    (the continuation's characters; the token generated after the prompt is not ours)."""
    try:
        logprobs = data["choices"][0]["logprobs"]
        pairs = zip(logprobs["text_offset"], logprobs["token_logprobs"], strict=True)
        mine = [float(lp) for at, lp in pairs if span[0] <= at < span[1] and lp is not None]
    except (KeyError, IndexError, TypeError, ValueError):
        raise EndpointError(
            f"{where} gives no log-probabilities of the prompt (/completions with echo and "
            "logprobs); score it by generation (--api-scoring generate)"
        ) from None
    if not mine:
        raise _malformed(where, "echoed no tokens of the continuation")
    return Reply("", *_usage(data), latency_ms=latency_ms, retries=retries, logprob=sum(mine))


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
