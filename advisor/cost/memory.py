"""Peak memory: training with each method (from its memory model in methods.yaml), and serving.

The bytes per parameter of each method live with the method (``advisor.methods``); what is
common to all of them (model shape, activations, overhead) lives here.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from advisor.methods import Method, training_method

GB = 1e9

# Inference in bf16: 2 bytes/param, plus the KV cache.
INFERENCE_BYTES_PER_PARAM = 2.0
# CUDA context, allocator fragmentation and framework buffers: a flat allowance.
OVERHEAD_GB = 1.0

# Training shape assumptions used for activations.
MICRO_BATCH = 8  # sequences per optimiser micro-step; gradient accumulation makes up the rest
VOCAB_SIZE = 50_000
# Llama-style models keep width / depth near 128 (7B: 4096/32, 13B: 5120/40).
WIDTH_PER_LAYER = 128
# Activation bytes per token per layer for a standard transformer layer in bf16 when nothing is
# recomputed and attention scores are not materialised (Korthikanti et al. 2022, "Reducing
# activation recomputation", eq. 1 without the 5as/h term thanks to flash attention).
ACT_BYTES_PER_TOKEN_LAYER_PER_WIDTH = 34


class MemoryEstimate(BaseModel):
    """Peak memory of one method, split so that sharding across GPUs can be reasoned about."""

    method: str
    weights_gb: float = Field(description="Model weights (frozen or trained).")
    trainable_params: float = Field(description="Parameters that receive gradients.")
    optimizer_gb: float = Field(description="Gradients, master weights and optimiser moments.")
    activations_gb: float
    overhead_gb: float
    total_gb: float

    def per_gpu_gb(self, gpus: int) -> float:
        """Weights and optimiser state shard across GPUs (ZeRO-3/FSDP); activations do not."""
        n = max(gpus, 1)
        return (self.weights_gb + self.optimizer_gb) / n + self.activations_gb + self.overhead_gb

    def gpus_needed(self, gpu_memory_gb: float) -> int | None:
        """Fewest GPUs of this size that hold it, or None if even many do not."""
        room = gpu_memory_gb - self.activations_gb - self.overhead_gb
        if room <= 0:
            return None
        return max(1, math.ceil((self.weights_gb + self.optimizer_gb) / room))


def as_training_method(method: str | Method) -> Method:
    """A local fine-tune, by name (built-in) or as given (a plugin's)."""
    return (
        training_method(method)
        if isinstance(method, str)
        else training_method(method.name, [method])
    )


def model_shape(params_b: float) -> tuple[float, int]:
    """(width, layers) of a Llama-like model of this size: N ~ 12 L d^2 with d / L ~ 128."""
    n = params_b * 1e9
    width = (WIDTH_PER_LAYER * n / 12) ** (1 / 3)
    layers = max(1, round(width / WIDTH_PER_LAYER))
    return width, layers


def trainable_params(method: str | Method, params_b: float) -> float:
    """Parameters updated by a method."""
    spec = as_training_method(method)
    assert spec.memory is not None  # a local fine-tune always has a memory model
    trainable = spec.memory.trainable
    if trainable.fraction is not None:
        return params_b * 1e9 * trainable.fraction
    width, layers = model_shape(params_b)
    if trainable.per_layer_width_rank is not None:
        return trainable.per_layer_width_rank * width * (spec.rank or 0) * layers
    return (trainable.per_layer_width or 0.0) * width * layers


def activation_gb(params_b: float, seq_tokens: int, micro_batch: int = MICRO_BATCH) -> float:
    """Activations with gradient checkpointing: one saved input per layer plus one live layer."""
    width, layers = model_shape(params_b)
    tokens = seq_tokens * micro_batch
    checkpoints = layers * tokens * width * 2  # bf16 layer inputs
    live_layer = tokens * width * ACT_BYTES_PER_TOKEN_LAYER_PER_WIDTH
    logits = tokens * VOCAB_SIZE * 4  # fp32 logits for the loss
    return (checkpoints + live_layer + logits) / GB


def memory_estimate(method: str | Method, params_b: float, seq_tokens: int = 256) -> MemoryEstimate:
    """Peak training memory of ``method`` for a model of ``params_b`` billion parameters."""
    spec = as_training_method(method)
    assert spec.memory is not None
    trainable = trainable_params(spec, params_b)
    weights = params_b * 1e9 * spec.memory.weight_bytes_per_param
    optimizer = trainable * spec.memory.state_bytes_per_trainable
    activations = activation_gb(params_b, seq_tokens)
    total = weights / GB + optimizer / GB + activations + OVERHEAD_GB
    return MemoryEstimate(
        method=spec.name,
        weights_gb=weights / GB,
        trainable_params=trainable,
        optimizer_gb=optimizer / GB,
        activations_gb=activations,
        overhead_gb=OVERHEAD_GB,
        total_gb=total,
    )


def training_memory_gb(method: str | Method, params_b: float) -> float:
    """Peak memory to train with ``method`` (full, lora, qlora, ia3, ...) on one GPU, in GB."""
    return memory_estimate(method, params_b).total_gb


def inference_memory_gb(params_b: float, context_tokens: int, batch: int = 1) -> float:
    """bf16 weights plus the KV cache (keys and values, bf16, every layer) for the context."""
    width, layers = model_shape(params_b)
    kv_cache = 2 * layers * width * 2 * context_tokens * batch
    return (params_b * 1e9 * INFERENCE_BYTES_PER_PARAM + kv_cache) / GB + OVERHEAD_GB
