"""The cost model: memory, training compute, dollars, per-query cost and break-even.

Pure arithmetic on a Profile and a price table; no torch. Every figure it rests on is named
next to the constant that holds it (per-method figures in ``advisor/data/methods.yaml``), and
every assumption it makes is listed in the report.

- ``prices``: the dated price table (loading, validation, which GPU to price with);
- ``memory``: peak training memory per method, and serving memory;
- ``compute``: training FLOPs and GPU-hours, what one query costs;
- ``serving``: each arm's monthly cost curve (API tokens, always-on or scale-to-zero GPUs)
  and the break-even volume where two curves cross;
- ``providers``: who still offers self-serve fine-tuning on a day (data/providers.yaml);
- ``inputs``: the estimate's knobs that the Profile does not hold;
- ``job``: the result models, and the quantities one estimate shares;
- ``notes``: the assumption lines of the report;
- ``estimate``: the CostEstimate (and the CostReport a Recommendation carries).
"""

from advisor.cost.compute import (
    api_query_usd,
    gpu_hours,
    query_gpu_seconds,
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
from advisor.cost.providers import (
    ProviderTuning,
    load_providers,
    open_providers,
    provider_tuning,
    today,
    tuning_summary,
)
from advisor.cost.serving import break_even, instance

__all__ = [
    "DEFAULT_MODEL_PARAMS_B",
    "ApiPrice",
    "CostEstimate",
    "CostInputs",
    "GpuPrice",
    "MemoryEstimate",
    "PriceTable",
    "PriceTableInfo",
    "ProviderTuning",
    "QueryCost",
    "api_query_usd",
    "break_even",
    "build_inputs",
    "cost_report",
    "estimate",
    "gpu_hours",
    "inference_memory_gb",
    "instance",
    "load_prices",
    "load_providers",
    "memory_estimate",
    "open_providers",
    "pick_gpu",
    "provider_tuning",
    "query_gpu_seconds",
    "self_hosted_query_usd",
    "trainable_params",
    "training_flops",
    "training_memory_gb",
    "today",
    "training_tokens",
    "tuning_summary",
]
