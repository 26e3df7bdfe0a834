"""Cost per 1,000 queries of each strategy, from the cost model and measured prompt lengths,
or, for a strategy scored on an endpoint, from the token usage the server reported."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from advisor.profile import Profile

if TYPE_CHECKING:
    from advisor.bench.schema import StrategyResult
    from advisor.cost import ApiPrice, PriceTable


def usd_per_1k(
    profile: Profile,
    params_b: float,
    prompt_tokens: float,
    output_tokens: float,
    prices_file: Path | None = None,
) -> float:
    """Self-hosted serving cost: few-shot prompts pay for their extra tokens on every query."""
    from advisor.cost import load_prices, pick_gpu, self_hosted_query_usd

    prices = load_prices(prices_file)
    gpu = prices.gpus[pick_gpu(prices, profile.gpu_memory_gb)]
    per_query = self_hosted_query_usd(
        params_b, max(1, round(prompt_tokens)), max(1, round(output_tokens)), gpu
    )
    return 1000 * per_query


def describe(profile: Profile, params_b: float, prices_file: Path | None = None) -> list[str]:
    from advisor.cost import load_prices, pick_gpu

    prices = load_prices(prices_file)
    key = pick_gpu(prices, profile.gpu_memory_gb)
    return [
        f"Cost per 1,000 queries: self-hosted {params_b:g}B model on {key} at "
        f"${prices.gpus[key].usd_per_hour:g}/h ({prices.name}, {prices.date}), "
        "with each strategy's measured mean prompt length.",
    ]


def hosted_price(prices: PriceTable, model: str) -> ApiPrice | None:
    """The table's API price for a served model name: its key or model id, or the dated id
    of an undated name (``gpt-4o-mini`` is priced as ``gpt-4o-mini-2024-07-18``)."""
    name = model.lower().split("/")[-1]
    for key, price in prices.apis.items():
        if name in (key.lower(), price.model.lower()):
            return price
    dated = [p for p in prices.apis.values() if p.model.lower().startswith(name + "-20")]
    return dated[0] if len(dated) == 1 else None


def served_costs(
    strategies: list[StrategyResult], profile: Profile, prices_file: Path | None = None
) -> list[str]:
    """usd_per_1k_queries of every strategy scored on an endpoint, and how it was priced.

    Hosted: the measured tokens per query at the table's API prices. A model the table does
    not list is taken as self-hosted: the measured queries per second at the GPU's hourly
    price (the endpoint's own hardware is unknown; the table's GPU for this profile)."""
    from advisor.cost import load_prices, pick_gpu

    prices = load_prices(prices_file)
    notes = []
    for s in strategies:
        if s.usage is None:
            continue
        price = hosted_price(prices, s.model or "")
        if price is not None:
            tokens_in, tokens_out = s.usage["prompt_tokens"], s.usage["completion_tokens"]
            per_query = tokens_in * price.usd_per_1m_input + tokens_out * price.usd_per_1m_output
            s.usd_per_1k_queries = 1000 * per_query / 1e6
            estimated = int(s.usage.get("estimated", 0))
            notes.append(
                f"{s.name}: {s.model} priced as {price.provider} {price.model} at "
                f"${price.usd_per_1m_input:g}/${price.usd_per_1m_output:g} per 1M input/output "
                f"tokens ({prices.name}, {prices.date}), {tokens_in:.0f}+{tokens_out:.0f} "
                "measured tokens per query"
                + (
                    f" ({estimated} answers came without usage: their tokens estimated at "
                    "~4 characters a token)."
                    if estimated
                    else "."
                )
            )
        elif (per_query_s := seconds_per_query(s)) is not None:
            gpu_key = pick_gpu(prices, profile.gpu_memory_gb)
            gpu = prices.gpus[gpu_key]
            s.usd_per_1k_queries = 1000 * per_query_s * gpu.usd_per_hour / 3600
            notes.append(
                f"{s.name}: {s.model} is not in the price table: self-hosted, "
                f"{1 / per_query_s:.2g} queries/s measured at {gpu_key} "
                f"${gpu.usd_per_hour:g}/h ({prices.name}, {prices.date})."
            )
    return notes


def seconds_per_query(s: StrategyResult) -> float | None:
    """Measured wall seconds per query: over the requests this run sent (answers from the
    request cache of a resumed run took no time), else one request's median latency."""
    paid = s.n - int((s.usage or {}).get("cached", 0))
    if paid > 0 and s.eval_seconds > 0:
        return s.eval_seconds / paid
    return s.latency_ms["p50"] / 1000 if s.latency_ms and s.latency_ms["p50"] > 0 else None
