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


class ChatClient:
    """Sends one chat request at a time (thread-safe: callers run several in threads)."""

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

    def cache_key(self, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
        body = {"url": self.url, "model": self.endpoint.model, "messages": messages, **params}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()

    def complete(self, messages: list[dict[str, str]], params: dict[str, Any]) -> Reply:
        """The server's answer (or the cached one) to ``messages``."""
        path = (
            self.cache_dir / f"{self.cache_key(messages, params)}.json" if self.cache_dir else None
        )
        if path is not None and path.is_file():
            try:
                return Reply(**{**json.loads(path.read_text(encoding="utf-8")), "cached": True})
            except (ValueError, TypeError):
                pass  # a damaged entry is asked again
        body = json.dumps({"model": self.endpoint.model, "messages": messages, **params})
        reply = self._send(body.encode("utf-8"))
        if path is not None:
            entry = {k: v for k, v in reply.__dict__.items() if k not in ("cached", "retries")}
            write_atomic(path, json.dumps(entry))
        return reply

    def _send(self, body: bytes) -> Reply:
        """POST with bounded retries: 429, 5xx and connection errors wait and retry."""
        e = self.endpoint
        for attempt in range(e.max_retries + 1):
            key = e.api_key()  # read now: never kept on the client
            headers = {"Content-Type": "application/json"}
            if key:
                headers["Authorization"] = f"Bearer {key}"
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            start = time.perf_counter()
            wait: float | None = None
            try:
                with urllib.request.urlopen(request, timeout=e.timeout_s) as response:
                    raw = response.read()
                latency = 1000 * (time.perf_counter() - start)
                return _reply(raw, latency, attempt, self._where(key))
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
        return f"endpoint {self.endpoint.name} ({_redact(self.url, key)})"

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


def _reply(raw: bytes, latency_ms: float, retries: int, where: str) -> Reply:
    """The answer text and token usage of a chat-completions response, checked."""
    try:
        data = json.loads(raw)
        text = data["choices"][0]["message"]["content"]
        if not isinstance(text, str):
            raise TypeError("content is not a string")
    except (ValueError, KeyError, IndexError, TypeError) as err:
        problem = shorten(f"{type(err).__name__}: {err}", 60)
        raise EndpointError(
            f"{where} sent a malformed chat-completions response ({problem}); {RESUME_HINT}"
        ) from None
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return Reply(
        text=text,
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        latency_ms=latency_ms,
        retries=retries,
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
