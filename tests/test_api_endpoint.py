"""The endpoint model source (issue 14): strategies bound to an OpenAI-compatible server
(``few-shot@api``) beside local arms, against a stub server on 127.0.0.1 (tests/api_stub.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from advisor_api.client import ChatClient, EndpointError
from advisor_api.runner import parse_label, percentile
from api_stub import Stub, serve
from test_goldens import fake_benchmark_options

from advisor.bench.endpoints import Endpoint
from advisor.bench.inputs import demo_paths
from advisor.errors import UsageError
from advisor.testing import plugin_manager_with, run_advisor

LABELS = ["account", "billing", "feedback", "refund", "shipping", "technical"]
KEY = "sk-test-never-written-0123456789"
KEY_ENV = "ADVISOR_TEST_API_KEY"


def _plugins() -> Any:
    return plugin_manager_with(
        ["evidence", "prompts"], modules={"fake": "fake_plugin", "api": "advisor_api"}
    )


def _run(run_dir: Path, endpoint: Endpoint, **extra: Any) -> Any:
    from advisor.bench.run import run_benchmark

    values: dict[str, Any] = dict(
        strategies=["zero-shot", "few-shot@api", "fake-ft"],
        limit=20,
        train_limit=60,
        endpoints=[endpoint],
    )
    options = fake_benchmark_options(run_dir, **{**values, **extra})
    return run_benchmark(options, plugins=_plugins())


def _endpoint(stub: Stub, **extra: Any) -> Endpoint:
    values: dict[str, Any] = dict(
        base_url=stub.base_url, model="gpt-4o-mini", key_env=KEY_ENV, concurrency=2, backoff_s=0
    )
    return Endpoint(**{**values, **extra})


def _files_hold(folder: Path, text: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


def test_parse_label_first_named_longest_first_whole_words() -> None:
    labels = ["positive", "very positive", "no"]
    assert parse_label("It is VERY positive.", labels) == "very positive"
    assert parse_label("positive, not very positive", labels) == "positive"
    assert parse_label("Nothing here; not one", labels) is None  # 'no' inside words
    assert parse_label("no", labels) == "no"
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 95) == 5.0


def test_arm_on_endpoint_beside_local_arms(tmp_path: Path, key: str) -> None:
    with serve(Stub(LABELS, key=key)) as stub:
        results = _run(tmp_path / "run", _endpoint(stub))
    api = results.get("few-shot@api")
    assert api is not None and api.model == "gpt-4o-mini" and api.n == 20
    assert api.latency_ms and api.latency_ms["p50"] <= api.latency_ms["p95"]
    assert api.usage and api.usage["completion_tokens"] == 3 and api.usage["retries"] == 0
    assert api.prompt_tokens == api.usage["prompt_tokens"]  # the server's count
    assert stub.requests == 20 and set(stub.authorizations) == {f"Bearer {key}"}
    # Sentences are read ("The category is BILLING."), answers naming no label counted wrong.
    assert api.unparsed and all("cannot tell" in a for a in api.unparsed.values())
    wrong = {e.doc_id for e in api.examples if e.scores["acc"] == 0}
    assert set(api.unparsed) <= wrong
    # Hosted price from the dated table: measured tokens x gpt-4o-mini's prices.
    expected = 1000 * (api.usage["prompt_tokens"] * 0.15 + 3 * 0.60) / 1e6
    assert api.usd_per_1k_queries == pytest.approx(expected)
    assert any("gpt-4o-mini" in n and "2025-01-15" in n for n in results.cost_notes)
    # The paired test compares the arms on the same test examples, whatever their model.
    assert results.comparison is not None and results.comparison.n == 20
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "latency p50 / p95 (ms)" in report and "named no label" in report
    assert _files_hold(tmp_path / "run", key) == []


def test_answers_without_usage_are_estimated_and_say_so(tmp_path: Path, key: str) -> None:
    with serve(Stub(LABELS, usage=False)) as stub:
        results = _run(tmp_path / "run", _endpoint(stub, key_env=None))
    api = results.get("few-shot@api")
    assert api is not None and api.usage and api.usage["estimated"] == 20
    assert api.usage["prompt_tokens"] == api.prompt_tokens > 0 and api.usd_per_1k_queries
    assert any("20 answers came without usage" in n for n in results.cost_notes)


def test_learning_curve_against_an_arm_on_an_endpoint(tmp_path: Path, key: str) -> None:
    with serve(Stub(LABELS)) as stub:
        results = _run(
            tmp_path / "run",
            _endpoint(stub, key_env=None),
            strategies=["few-shot@api", "fake-ft"],
            curve=True,
            curve_sizes=[16, None],
        )
    assert results.curve is not None and results.curve.prompt_strategy == "few-shot@api"


def test_unpriced_endpoint_is_costed_as_self_hosted(tmp_path: Path, key: str) -> None:
    with serve(Stub(LABELS)) as stub:
        results = _run(tmp_path / "run", _endpoint(stub, model="my-local-llama", key_env=None))
    api = results.get("few-shot@api")
    assert api is not None and api.usd_per_1k_queries is not None
    assert any("my-local-llama is not in the price table" in n for n in results.cost_notes)


def test_self_hosted_throughput_counts_only_requests_sent() -> None:
    from advisor.bench.pricing import seconds_per_query
    from advisor.bench.schema import StrategyResult

    def arm(cached: float, seconds: float) -> StrategyResult:
        usage = {"prompt_tokens": 9.0, "completion_tokens": 3.0, "cached": cached}
        return StrategyResult(
            name="a",
            kind="prompt",
            metrics={},
            n=10,
            seconds=seconds,
            eval_seconds=seconds,
            usage=usage,
            latency_ms={"p50": 400.0, "p95": 900.0},
        )

    assert seconds_per_query(arm(0, 5.0)) == 0.5
    assert seconds_per_query(arm(6, 2.0)) == 0.5  # 4 requests sent in 2 s
    assert seconds_per_query(arm(10, 0.01)) == 0.4  # all cached: one request's median


def test_429_is_retried_with_backoff_and_counted(tmp_path: Path, key: str) -> None:
    waits: list[float] = []
    with serve(Stub(LABELS, fail=[429, 503])) as stub:
        client = ChatClient(_endpoint(stub, backoff_s=0.01), tmp_path, sleep=waits.append)
        reply = client.complete([{"role": "user", "content": "hi"}], {"max_tokens": 4})
    assert reply.retries == 2 and stub.requests == 3
    assert waits == [0.0, 0.0]  # the stub's Retry-After: 0 wins over the backoff
    with serve(Stub(LABELS, fail=[429] * 5)) as stub:
        client = ChatClient(_endpoint(stub, max_retries=2), None, sleep=waits.append)
        with pytest.raises(EndpointError, match="HTTP 429 after 3 attempts"):
            client.complete([{"role": "user", "content": "hi"}], {})
    assert stub.requests == 3  # bounded


def test_server_dying_mid_run_resumes_from_the_cache(tmp_path: Path, key: str) -> None:
    run_dir = tmp_path / "run"
    with serve(Stub(LABELS, down_after=8)) as stub:
        endpoint = _endpoint(stub, max_retries=1, concurrency=1)
        with pytest.raises(EndpointError, match="no answer.*--resume"):
            _run(run_dir, endpoint)
        kept = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
        assert [s["name"] for s in kept["strategies"]] == ["zero-shot"]  # partial, kept
        stub.down_after, before = None, stub.requests  # the server is back
        # Another concurrency (or key variable) is the same endpoint: the run resumes.
        results = _run(run_dir, _endpoint(stub, concurrency=3), resume=True)
    assert stub.requests - before == 20 - 8  # the 8 answered ones came from the cache
    api = results.get("few-shot@api")
    assert api is not None and api.usage and api.usage["cached"] == 8 and results.complete
    assert _files_hold(run_dir, key) == []


def test_a_hanging_server_times_out_within_bounds(tmp_path: Path, key: str) -> None:
    with serve(Stub(LABELS, delay_s=2.0)) as stub:
        client = ChatClient(_endpoint(stub, timeout_s=0.2, max_retries=1), None)
        with pytest.raises(EndpointError, match=r"no answer \(.*\) after 2 attempts"):
            client.complete([{"role": "user", "content": "hi"}], {})
    assert stub.requests == 2


def test_malformed_answer_is_one_clear_error(tmp_path: Path, key: str) -> None:
    with serve(Stub(LABELS, malformed=True)) as stub:
        client = ChatClient(_endpoint(stub), None)
        with pytest.raises(EndpointError, match=r"malformed response \(no chat completion"):
            client.complete([{"role": "user", "content": "hi"}], {})


def _cli(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> Any:
    train, test = demo_paths("tickets")
    plugins = plugin_manager_with(["evidence", "prompts", "lmeval"], modules={"api": "advisor_api"})
    args = ["benchmark", "--data", str(train), "--test", str(test), "--limit", "6", "--quiet"]
    args += ["--output", str(tmp_path / "run"), "--strategies", "zero-shot@api", *extra]
    return run_advisor(*args, plugins=plugins, env=env)


def test_bad_key_is_exit_2_one_line_without_the_key(tmp_path: Path) -> None:
    with serve(Stub(LABELS, key="the-right-one")) as stub:
        result = _cli(
            tmp_path,
            *("--api-base", stub.base_url, "--api-model", "m", "--api-key-env", KEY_ENV),
            *("--api-concurrency", "1"),
            env={KEY_ENV: KEY},
        )
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "HTTP 401" in lines[0] and f"${KEY_ENV}" in lines[0]
    assert KEY not in result.output and stub.requests == 1  # a 401 is not retried
    assert _files_hold(tmp_path / "run", KEY) == []


def test_server_down_is_exit_2(tmp_path: Path) -> None:
    with serve(Stub(LABELS)) as stub:
        url = stub.base_url  # closed when the block ends: nothing listens there any more
    result = _cli(tmp_path, "--api-base", url, "--api-model", "m", "--api-retries", "0")
    assert result.exit_code == 2, result.output
    assert "no answer" in result.output and "--resume" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--api-key-env", "NO_SUCH_VAR_SET"], "NO_SUCH_VAR_SET (--api-key-env) is not set"),
        (["--api-key-env", "not a name"], "--api-key-env: must be an environment variable"),
        (["--api-model", ""], "--api-model"),
    ],
)
def test_endpoint_flags_are_checked_first(tmp_path: Path, extra: list[str], message: str) -> None:
    args = ["--api-base", "http://127.0.0.1:9/v1", "--api-model", "m", *extra]
    result = _cli(tmp_path, *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert "u:p" not in result.output  # a URL's password is never quoted
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--api-model", "m"], "--api-model needs --api-base"),
        (["--api-base", "http://127.0.0.1:9/v1"], "--api-base needs --api-model"),
        (["--api-base", "ftp://x/v1", "--api-model", "m"], "--api-base: must be an http(s) URL"),
        (["--api-base", "http://u:p@x/v1", "--api-model", "m"], "no credentials"),
    ],
)
def test_endpoint_flag_pairs(tmp_path: Path, args: list[str], message: str) -> None:
    result = _cli(tmp_path, *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert "u:p" not in result.output  # a URL's password is never quoted


def test_bound_strategy_names_are_checked(tmp_path: Path) -> None:
    from advisor.bench.inputs import resolve_strategies

    plugins = _plugins()
    lineup = resolve_strategies(["zero-shot", "few-shot@api", "fake-ft"], "classification", plugins)
    assert lineup.names == ["zero-shot", "few-shot@api", "fake-ft"]
    for names, message in [
        (["fake-ft@api"], "only a prompt strategy"),
        (["few-shot@"], "name a model source"),
    ]:
        with pytest.raises(UsageError, match=message):
            resolve_strategies(names, "classification", plugins)
    with serve(Stub(LABELS)) as stub, pytest.raises(UsageError, match="model 'elsewhere'"):
        _run(tmp_path / "run", _endpoint(stub, key_env=None), strategies=["few-shot@elsewhere"])
    assert stub.requests == 0


def test_endpoint_model_counts_approximately_and_has_no_loss() -> None:
    from advisor_api.model import ApiModel

    model = ApiModel(Endpoint(base_url="http://127.0.0.1:9/v1", model="m", max_retries=0))
    assert model.count_tokens(["abcd" * 10, "abc"]) == [10, 1]  # ~4 characters a token
    with pytest.raises(UsageError, match="cannot measure a loss"):
        model.nll_per_char(["a"])


def test_endpoints_file_names_several_endpoints(tmp_path: Path) -> None:
    with serve(Stub(LABELS)) as stub:
        spec = tmp_path / "endpoints.yaml"
        spec.write_text(
            "endpoints:\n"
            f"  hosted: {{base_url: '{stub.base_url}', model: gpt-4o-mini}}\n"
            f"  local: {{base_url: '{stub.base_url}', model: my-llama, concurrency: 1}}\n",
            encoding="utf-8",
        )
        result = _cli(
            tmp_path, "--endpoints", str(spec), "--strategies", "zero-shot@hosted,few-shot@local"
        )
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))
    models = {s["name"]: s["model"] for s in saved["strategies"]}
    assert models == {"zero-shot@hosted": "gpt-4o-mini", "few-shot@local": "my-llama"}
    assert stub.requests == 12


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("endpoints: [1, 2]", "expected 'endpoints:' mapping"),
        ("endpoints: {a: {model: m}}", "'a.base_url': Field required"),
        ("endpoints: {a: {base_url: 'http://x/v1', model: m, key: sk-1}}", "'a.key': unknown"),
        ("endpoints: {a: [", "malformed endpoints file"),
    ],
)
def test_bad_endpoints_file(tmp_path: Path, text: str, message: str) -> None:
    spec = tmp_path / "endpoints.yaml"
    spec.write_text(text, encoding="utf-8")
    result = _cli(tmp_path, "--endpoints", str(spec))
    assert result.exit_code == 2 and message in result.output, result.output


def test_loglikelihood_scoring_where_the_server_has_it(tmp_path: Path, key: str) -> None:
    from api_stub import _logprob

    with serve(Stub(LABELS)) as stub:
        endpoint = _endpoint(stub, key_env=None, scoring="loglikelihood")
        results = _run(tmp_path / "run", endpoint)
        assert stub.requests == 20 * len(LABELS)  # one per label and test example
        from advisor_api.model import ApiModel

        from advisor.components import ChoiceRequest

        lls = ApiModel(endpoint).score_choices(
            [ChoiceRequest(context="Label:", choices=[" billing", " refund rate"])]
        )
    assert lls == [[_logprob(" billing"), _logprob(" refund") + _logprob(" rate")]]
    api = results.get("few-shot@api")
    assert api is not None and api.unparsed is None and api.n == 20
    assert {e.prediction for e in api.examples} <= set(LABELS)


def test_loglikelihood_without_logprobs_is_one_clear_error(tmp_path: Path, key: str) -> None:
    with serve(Stub(LABELS, logprobs=False)) as stub:
        endpoint = _endpoint(stub, key_env=None, scoring="loglikelihood")
        with pytest.raises(EndpointError, match="gives no log-probabilities.*--api-scoring"):
            _run(tmp_path / "run", endpoint)


def test_an_endpoint_reaches_the_api_plugin_with_every_built_in_loaded() -> None:
    """The peft plugin's resolver turns any name it does not know into an error, so it must
    answer last (trylast), after the api plugin has taken its endpoint locators."""
    from advisor.bench.endpoints import Endpoint

    plugins = plugin_manager_with(["evidence", "prompts", "peft", "lmeval", "api"])
    endpoint = Endpoint(base_url="http://127.0.0.1:9/v1", model="m")
    source = plugins.resolve_model(endpoint.locator())
    assert source.name == "api" and source.location.startswith("http://127.0.0.1:9")
