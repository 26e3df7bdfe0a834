"""Cost per 1,000 queries of each strategy, from the cost model and measured prompt lengths."""

from __future__ import annotations

from advisor.profile import Profile


def usd_per_1k(
    profile: Profile, params_b: float, prompt_tokens: float, output_tokens: float
) -> float:
    """Self-hosted serving cost: few-shot prompts pay for their extra tokens on every query."""
    from advisor.cost import load_prices, pick_gpu, self_hosted_query_usd

    prices = load_prices()
    gpu = prices.gpus[pick_gpu(prices, profile.gpu_memory_gb)]
    per_query = self_hosted_query_usd(
        params_b, max(1, round(prompt_tokens)), max(1, round(output_tokens)), gpu
    )
    return 1000 * per_query


def describe(profile: Profile, params_b: float) -> list[str]:
    from advisor.cost import load_prices, pick_gpu

    prices = load_prices()
    key = pick_gpu(prices, profile.gpu_memory_gb)
    return [
        f"Cost per 1,000 queries: self-hosted {params_b:g}B model on {key} at "
        f"${prices.gpus[key].usd_per_hour:g}/h ({prices.name}, {prices.date}), "
        "with each strategy's measured mean prompt length.",
    ]
