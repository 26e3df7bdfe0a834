"""The dated price table: GPU hours and API tokens, loaded from YAML or JSON and validated."""

from __future__ import annotations

import datetime
import functools
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from advisor.errors import UsageError

DEFAULT_PRICES = Path(__file__).parent.parent / "data" / "prices.yaml"


class _Strict(BaseModel):
    # Frozen: the loaded table is cached and shared between callers.
    model_config = ConfigDict(extra="forbid", frozen=True)


class GpuPrice(_Strict):
    name: str
    memory_gb: float = Field(gt=0)
    peak_bf16_tflops: float = Field(gt=0)
    usd_per_hour: float = Field(ge=0)
    source: str = ""


class ApiFineTunePrice(_Strict):
    usd_per_1m_training: float = Field(ge=0)
    usd_per_1m_input: float = Field(ge=0)
    usd_per_1m_output: float = Field(ge=0)


class ApiPrice(_Strict):
    provider: str
    model: str
    usd_per_1m_input: float = Field(ge=0)
    usd_per_1m_output: float = Field(ge=0)
    fine_tune: ApiFineTunePrice | None = None
    source: str = ""


class PriceTable(_Strict):
    name: str
    date: datetime.date = Field(description="When the prices were read (YYYY-MM-DD).")
    currency: str = "USD"
    notes: str = ""
    sources: list[str] = Field(default_factory=list)
    default_gpu: str
    default_api: str
    gpus: dict[str, GpuPrice] = Field(min_length=1)
    apis: dict[str, ApiPrice] = Field(min_length=1)

    @model_validator(mode="after")
    def _defaults_exist(self) -> PriceTable:
        if self.default_gpu not in self.gpus:
            raise ValueError(
                f"default_gpu '{self.default_gpu}' is not one of gpus: {', '.join(self.gpus)}"
            )
        if self.default_api not in self.apis:
            raise ValueError(
                f"default_api '{self.default_api}' is not one of apis: {', '.join(self.apis)}"
            )
        return self

    def label(self) -> str:
        src = "; ".join(self.sources) if self.sources else "no sources given"
        return f"{self.name}, {self.date} (snapshot; sources: {src})"


def _parse_price_file(path: Path) -> Any:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot read price file {path}: {err.strerror or err}") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(raw)
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(raw, Loader=loader)  # noqa: S506 - a safe loader
    except Exception as err:  # json and yaml have their own error types; all mean "malformed"
        raise UsageError(f"malformed price file {path}: {str(err).splitlines()[0]}") from None


def _validate_prices(data: Any, path: Path) -> PriceTable:
    if not isinstance(data, dict):
        raise UsageError(f"price file {path} must hold a mapping (name, date, gpus, apis, ...)")
    try:
        return PriceTable.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"]) or "table"
            problems.append(f"'{where}': {e['msg']}")
        raise UsageError(f"invalid price file {path}: " + "; ".join(problems)) from None


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> PriceTable:
    p = Path(path)
    return _validate_prices(_parse_price_file(p), p)


def load_prices(path: str | Path | None = None) -> PriceTable:
    """The shipped price table, or the user's override file (YAML or JSON, same structure)."""
    p = Path(path) if path else DEFAULT_PRICES
    try:
        mtime = p.stat().st_mtime
    except OSError as err:
        raise UsageError(f"cannot read price file {p}: {err.strerror or err}") from None
    return _load_cached(str(p), mtime)


def pick_gpu(prices: PriceTable, gpu_memory_gb: float, gpu: str | None = None) -> str:
    """The table GPU to price with: the one named, else the smallest at least as large as the
    user's (cheapest of equals), else the largest; without a GPU, the table's default."""
    if gpu is not None:
        if gpu not in prices.gpus:
            raise UsageError(
                f"unknown GPU type '{gpu}'; the price table has: {', '.join(prices.gpus)}"
            )
        return gpu
    if gpu_memory_gb <= 0:
        return prices.default_gpu
    by_size = sorted(
        prices.gpus, key=lambda k: (prices.gpus[k].memory_gb, prices.gpus[k].usd_per_hour)
    )
    for key in by_size:
        if prices.gpus[key].memory_gb >= gpu_memory_gb:
            return key
    return by_size[-1]
