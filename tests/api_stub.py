"""A tiny OpenAI-compatible chat-completions server for the endpoint tests: 127.0.0.1, port 0,
in a thread. It answers with a label named in the prompt's first line (chosen by a hash of the
prompt, so the answers are deterministic), sometimes in a sentence, sometimes with none.

Knobs: ``key`` (the Bearer key it accepts; None: any), ``fail`` (statuses to answer first,
one per request, e.g. [429, 429]), ``down_after`` (after that many answers, every request is
dropped without a response, like a server that died), ``malformed`` (answers that are not
chat completions), ``delay_s`` (seconds before each answer), ``usage`` (False: no token counts), ``logprobs`` (False: /completions
ignores echo and logprobs)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Stub:
    labels: list[str]
    key: str | None = None
    fail: list[int] = field(default_factory=list)
    down_after: int | None = None
    malformed: bool = False
    delay_s: float = 0.0
    usage: bool = True
    logprobs: bool = True
    answered: int = 0
    requests: int = 0
    authorizations: list[str] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def answer(self, prompt: str) -> str:
        h = int(hashlib.sha256(prompt.encode()).hexdigest()[:8], 16)
        label = self.labels[h % len(self.labels)]
        if h % 3 == 0:  # about a third: 20 prompts all but surely hold some
            return "I cannot tell."
        return f"The category is {label.upper()}." if h % 2 else label


def _logprob(token: str) -> float:
    return -(int(hashlib.sha256(token.encode()).hexdigest()[:4], 16) % 50) / 10


def completion(stub: Stub, body: dict) -> dict:
    """/completions with echo: the prompt's words as tokens with their offsets and a hash
    log-probability each, then one generated token (no logprobs: like transformers serve)."""
    prompt = body["prompt"]
    tokens, offsets, at = [], [], 0
    for word in prompt.split(" "):
        tokens.append(word if not offsets else " " + word)
        offsets.append(at)
        at += len(tokens[-1])
    tokens.append(" x")
    offsets.append(len(prompt))
    logprobs = {
        "tokens": tokens,
        "text_offset": offsets,
        "token_logprobs": [None, *[_logprob(t) for t in tokens[1:]]],
    }
    choice: dict = {"index": 0, "text": prompt + " x"}
    if stub.logprobs:
        choice["logprobs"] = logprobs
    return {
        "choices": [choice],
        "usage": {"prompt_tokens": len(tokens) - 1, "completion_tokens": 1},
    }


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with stub.lock:
                stub.requests += 1
                stub.authorizations.append(self.headers.get("Authorization", ""))
                status = stub.fail.pop(0) if stub.fail else 200
                dead = stub.down_after is not None and stub.answered >= stub.down_after
                if status == 200 and not dead:
                    stub.answered += 1
            if dead:  # a server that died: the connection closes with no answer
                self.close_connection = True
                return
            if stub.key is not None and self.headers.get("Authorization") != f"Bearer {stub.key}":
                status = 401
            if status != 200:
                self._send(status, {"error": {"message": "no"}}, retry_after="0")
                return
            if stub.malformed:
                self._send(200, {"unexpected": True})
                return
            time.sleep(stub.delay_s)  # a slow server (the client's timeout is shorter)
            if not self.path.endswith("/chat/completions"):
                self._send(200, completion(stub, body))
                return
            prompt = body["messages"][-1]["content"]
            text = stub.answer(prompt)
            self._send(
                200,
                {
                    "id": "x",
                    "object": "chat.completion",
                    "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
                    **(
                        {"usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": 3}}
                        if stub.usage
                        else {}
                    ),
                },
            )

        def _send(self, status: int, data: dict, retry_after: str | None = None) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            self.wfile.write(raw)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (timeout) breaks the pipe: expected here


@contextmanager
def serve(stub: Stub) -> Iterator[Stub]:
    server = _QuietServer(("127.0.0.1", 0), _handler(stub))
    stub.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
