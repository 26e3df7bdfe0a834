"""The built-in endpoint plugin: any OpenAI-compatible chat-completions server as a model
source (``advisor benchmark --api-base URL --api-model NAME``), and the runner that scores
prompt suites on it by generation.

It answers ``advisor_resolve_model`` for the locators ``advisor.bench.endpoints.Endpoint``
writes; nothing heavy is imported (the client is the standard library's urllib).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.hookspecs import hookimpl

if TYPE_CHECKING:
    from advisor.components import BenchmarkRunner, ModelSource, PromptSuite

ADVISOR_HOOKSPEC = "2.0"


def _write_task(suite: PromptSuite, task_dir: Path) -> str:
    """Nothing to write: the suite's prompts are sent as they are."""
    return suite.name


def _run(*args: Any, **kwargs: Any) -> Any:
    from advisor_api.runner import run

    return run(*args, **kwargs)


@hookimpl
def advisor_resolve_model(name: str | None) -> ModelSource | None:
    from pydantic import ValidationError

    from advisor.bench.endpoints import parse_locator
    from advisor.components import ModelSource
    from advisor.errors import UsageError

    try:
        endpoint = parse_locator(name)
    except ValidationError as err:
        raise UsageError(f"invalid endpoint: {err.errors()[0]['msg']}") from None
    if endpoint is None:
        return None

    def load() -> Any:
        from advisor_api.model import ApiModel

        return ApiModel(endpoint)

    return ModelSource(
        name=endpoint.name,
        description=f"OpenAI-compatible endpoint serving {endpoint.model}",
        location=endpoint.base_url,
        load=load,
    )


@hookimpl
def advisor_benchmarks() -> list[BenchmarkRunner]:
    from advisor.components import BenchmarkRunner

    return [
        BenchmarkRunner(
            name="api",
            description="OpenAI-compatible chat completions: generation, labels read from "
            "the answer; latency and token usage measured.",
            write_task=_write_task,
            run=_run,
        )
    ]
