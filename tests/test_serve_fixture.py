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


def test_hosted_vs_open_benchmark_end_to_end(openai_server, tmp_path):
    """The issue's command against a real server: prompt arms on the endpoint, a LoRA trained
    locally, all on the same test examples; per-arm model, cost and latency come out."""
    import json

    from advisor.testing import run_advisor

    out = tmp_path / "run"
    result = run_advisor(
        "benchmark",
        "--api-base",
        openai_server.base_url,
        "--api-model",
        openai_server.model,
        "--strategies",
        "zero-shot@api,few-shot@api,lora",
        "--limit",
        "6",
        "--train-limit",
        "30",
        "--shots",
        "2",
        "--max-steps",
        "6",
        "--no-forgetting",
        "--quiet",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    arms = {s["name"]: s for s in results["strategies"]}
    for name in ("zero-shot@api", "few-shot@api"):
        arm = arms[name]
        assert arm["model"] == openai_server.model and arm["n"] == 6
        assert arm["latency_ms"]["p50"] <= arm["latency_ms"]["p95"]
        assert arm["usage"]["prompt_tokens"] > 0 and arm["usd_per_1k_queries"] is not None
    lora = arms["lora"]
    assert lora["kind"] == "fine-tune" and lora["n"] == 6 and lora["train"]["steps"] == 6
    doc_ids = {name: sorted(e["doc_id"] for e in s["examples"]) for name, s in arms.items()}
    assert doc_ids["few-shot@api"] == doc_ids["lora"]  # the paired test's same examples
    assert results["comparison"] is not None and results["complete"]
