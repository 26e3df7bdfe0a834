"""Compute and dollars: training FLOPs and GPU-hours, and what one query costs.

FLOPs here are model FLOPs: recomputation from gradient checkpointing is absorbed in the
utilisation, as in the MFU definition (Chowdhery et al. 2022, "PaLM", app. B). Training FLOPs
per parameter per token are the method's own (``advisor.methods``): about 6 for a full
fine-tune, 4 for adapters.
"""

from __future__ import annotations

from advisor.cost.memory import as_training_method
from advisor.cost.prices import GpuPrice
from advisor.methods import Method

# Inference: 2 FLOPs per parameter per token (one forward pass; Kaplan et al. 2020).
INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0
# Model FLOPs utilisation. Well-tuned large runs reach 40-55% MFU (PaLM reports 46%); 35% is
# a fair figure for an ordinary fine-tuning script. Prompt tokens (prefill) are processed in
# parallel like training; generated tokens are memory-bound and reach far less even batched.
TRAIN_MFU = 0.35
PREFILL_MFU = 0.35
DECODE_MFU = 0.10


def training_tokens(examples: int, avg_tokens: int, epochs: float) -> float:
    """D: tokens the model sees while training."""
    return examples * avg_tokens * epochs


def training_flops(method: str | Method, params_b: float, tokens: float) -> float:
    """The method's FLOPs per parameter per token (6 full, 4 adapters) times N·D."""
    per = as_training_method(method).train_flops_per_param_token or 0.0
    return per * params_b * 1e9 * tokens


def gpu_hours(flops: float, gpu: GpuPrice, mfu: float = TRAIN_MFU) -> float:
    return flops / (gpu.peak_bf16_tflops * 1e12 * mfu) / 3600


def query_gpu_seconds(
    params_b: float, prompt_tokens: int, output_tokens: int, gpu: GpuPrice
) -> float:
    """GPU time one query takes on one GPU (2·N FLOPs per token; prefill and decode MFU)."""
    per_token = INFERENCE_FLOPS_PER_PARAM_TOKEN * params_b * 1e9
    peak = gpu.peak_bf16_tflops * 1e12
    return per_token * prompt_tokens / (peak * PREFILL_MFU) + per_token * output_tokens / (
        peak * DECODE_MFU
    )


def self_hosted_query_usd(
    params_b: float, prompt_tokens: int, output_tokens: int, gpu: GpuPrice
) -> float:
    """Dollars for one query served on a rented GPU, paying for its GPU time only."""
    return query_gpu_seconds(params_b, prompt_tokens, output_tokens, gpu) * gpu.usd_per_hour / 3600


def api_query_usd(prompt_tokens: int, output_tokens: int, usd_in: float, usd_out: float) -> float:
    return (prompt_tokens * usd_in + output_tokens * usd_out) / 1e6
