"""The cost model: memory, training compute, dollars, per-query cost and break-even.

Pure arithmetic on a Profile and a price table; no torch. Every figure it rests on is named
next to the constant that holds it (per-method figures in ``advisor/data/methods.yaml``), and
every assumption it makes is listed in the report.

- ``prices``: the dated price table (loading, validation, which GPU to price with);
- ``memory``: peak training memory per method, and serving memory;
- ``compute``: training FLOPs and GPU-hours, per-query cost, the break-even volume;
- ``inputs``: the estimate's knobs that the Profile does not hold;
- ``job``: the result models, and the quantities one estimate shares;
- ``estimate``: the CostEstimate (and the CostReport a Recommendation carries).
"""

from advisor.cost.compute import (
    api_query_usd,
    break_even_queries,
    gpu_hours,
    self_hosted_query_usd,
    training_flops,
    training_tokens,
)
from advisor.cost.estimate import cost_report, estimate
from advisor.cost.inputs import DEFAULT_MODEL_PARAMS_B, CostInputs, build_inputs
from advisor.cost.job import CostEstimate, PriceTableInfo, QueryCost
from advisor.cost.memory import (
    MemoryEstimate,
    inference_memory_gb,
    memory_estimate,
    trainable_params,
    training_memory_gb,
)
from advisor.cost.prices import ApiPrice, GpuPrice, PriceTable, load_prices, pick_gpu

__all__ = [
    "DEFAULT_MODEL_PARAMS_B",
    "ApiPrice",
    "CostEstimate",
    "CostInputs",
    "GpuPrice",
    "MemoryEstimate",
    "PriceTable",
    "PriceTableInfo",
    "QueryCost",
    "api_query_usd",
    "break_even_queries",
    "build_inputs",
    "cost_report",
    "estimate",
    "gpu_hours",
    "inference_memory_gb",
    "load_prices",
    "memory_estimate",
    "pick_gpu",
    "self_hosted_query_usd",
    "trainable_params",
    "training_flops",
    "training_memory_gb",
    "training_tokens",
]
