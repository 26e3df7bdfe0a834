"""The real OpenAI-compatible server the endpoint tests run against (slow: serves a model)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_chat_completion_against_the_real_local_server(openai_server):
    body = {
        "model": openai_server.model,
        "messages": [{"role": "user", "content": "Say hello."}],
        "max_tokens": 8,
        "temperature": 0,
    }
    answer = openai_server.post("/chat/completions", body)
    message = answer["choices"][0]["message"]
    assert message["role"] == "assistant" and message["content"].strip()
    assert answer["usage"]["completion_tokens"] <= 8 and answer["usage"]["prompt_tokens"] > 0
    assert openai_server.base_url.startswith("http://127.0.0.1:")


def test_the_server_refuses_another_model_name(openai_server):
    """Pinned to the cache folder: a client must send ``openai_server.model`` as the model."""
    import urllib.error

    body = {"model": "not-this-one", "messages": [{"role": "user", "content": "Hi"}]}
    with pytest.raises(urllib.error.HTTPError):
        openai_server.post("/chat/completions", body)
