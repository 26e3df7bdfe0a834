"""Model sources that are servers: an OpenAI-compatible endpoint declared on the command line.

``advisor benchmark --api-base URL --api-model NAME [--api-key-env VAR]`` declares one
``Endpoint`` named ``api``, ``--endpoints FILE`` any number by name; a strategy bound to one
(``few-shot@api``) is scored there. The core
knows only this description: it passes ``locator()`` to ``Plugins.resolve_model`` and the
plugin that understands it (built-in: ``advisor_api``) returns the ``ModelSource``, and names
the runner that scores suites on it. The key itself is never part of it: only the name of
the environment variable that holds it, read when a request is sent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from advisor.errors import UsageError, excerpt
from advisor.files import parse_config, read_text

LOCATOR_PREFIX = "openai-chat:"
DEFAULT_ENDPOINT = "api"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Endpoint(BaseModel):
    """One OpenAI-compatible chat-completions server and how to call it."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(DEFAULT_ENDPOINT, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    base_url: str = Field(description="e.g. http://127.0.0.1:8000/v1 (…/chat/completions added)")
    model: str = Field(min_length=1, max_length=200, description="The server's model name.")
    key_env: str | None = Field(
        None, description="Environment variable holding the API key (never the key itself)."
    )
    runner: str = Field("api", description="The runner that scores suites on this endpoint.")
    scoring: Literal["generate", "loglikelihood"] = Field(
        "generate",
        description="Classification: read the label from a generated answer, or compare the "
        "labels' log-likelihoods (/completions with echo and logprobs, where the server has it).",
    )
    concurrency: int = Field(4, ge=1, le=256, description="Requests in flight at once.")
    timeout_s: float = Field(60.0, gt=0, le=3600, description="Per request.")
    max_retries: int = Field(4, ge=0, le=20, description="On 429, 5xx and connection errors.")
    backoff_s: float = Field(0.5, ge=0, le=60, description="First retry wait; doubles, ≤ 30 s.")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8000/v1")
        if parts.username or parts.password or parts.query:
            raise ValueError("must carry no credentials or query (give the key by --api-key-env)")
        return value.rstrip("/")

    @field_validator("key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.match(value):
            raise ValueError("must be an environment variable name such as OPENAI_API_KEY")
        return value

    def locator(self) -> str:
        """The model name ``Plugins.resolve_model`` gets for this endpoint."""
        return LOCATOR_PREFIX + self.model_dump_json()

    def api_key(self) -> str | None:
        """The key, read from its environment variable now (None: the server needs none)."""
        if self.key_env is None:
            return None
        key = os.environ.get(self.key_env)
        if not key:
            raise UsageError(
                f"environment variable {self.key_env} (--api-key-env) is not set or empty; "
                "export the API key under that name"
            )
        return key


def parse_locator(name: str | None) -> Endpoint | None:
    """The endpoint a locator describes; None for any other model name."""
    if not name or not name.startswith(LOCATOR_PREFIX):
        return None
    return Endpoint.model_validate_json(name[len(LOCATOR_PREFIX) :])


def find_endpoint(endpoints: list[Endpoint], name: str) -> Endpoint | None:
    return next((e for e in endpoints if e.name == name), None)


def read_endpoints(path: Path) -> list[Endpoint]:
    """Endpoints by name from a YAML/TOML/JSON file: ``{endpoints: {NAME: {base_url, model,
    key_env, ...}}}`` (the fields of ``Endpoint``); a strategy ``few-shot@NAME`` uses one."""
    data = _parsed(path)
    table = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(table, dict) or not table:
        raise UsageError(
            f"endpoints file {path}: expected 'endpoints:' mapping names to "
            "{base_url, model, key_env}"
        )
    endpoints = []
    for name, fields in table.items():
        if not isinstance(fields, dict):
            raise UsageError(f"endpoints file {path}: {excerpt(name)} must be a mapping")
        try:
            endpoints.append(Endpoint(**{**fields, "name": name}))
        except ValidationError as err:
            field, problem = endpoint_problem(err)
            raise UsageError(
                f"endpoints file {path}: {excerpt(f'{name}.{field}')}: {problem}"
            ) from None
    return endpoints


def endpoint_problem(err: ValidationError) -> tuple[str, str]:
    """(field, what is wrong) of an invalid endpoint; the value is quoted only for fields
    that cannot hold a secret (a URL may carry a password, an unknown field may be a key)."""
    e = err.errors()[0]
    field = ".".join(str(x) for x in e["loc"]) or "endpoint"
    if e["type"] == "extra_forbidden":
        return field, "unknown field (the key never goes in a file: name its variable in key_env)"
    problem = e["msg"].removeprefix("Value error, ")
    if field in ("model", "key_env", "scoring", "concurrency", "timeout_s", "max_retries"):
        problem += f" (got {excerpt(e.get('input'))})"
    return field, problem


def _parsed(path: Path) -> Any:
    raw = read_text(path, "endpoints file")
    try:
        return parse_config(raw, path.suffix.lower())
    except ValueError as err:
        raise UsageError(f"malformed endpoints file {path}: {err}") from None


def check_endpoints(endpoints: list[Endpoint]) -> None:
    """Names unique and every key variable set: a typo costs a second, not a scored arm."""
    names = [e.name for e in endpoints]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise UsageError(f"endpoint names must be unique; repeated: {', '.join(doubled)}")
    for endpoint in endpoints:
        try:
            endpoint.api_key()
        except UsageError as err:
            raise UsageError(f"endpoint {excerpt(endpoint.name)}: {err}") from None
