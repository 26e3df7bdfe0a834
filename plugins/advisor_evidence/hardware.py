"""What the profile's hardware can train: memory per method and whether it fits.

The memory model itself lives in ``advisor.cost`` (activations, sharding over several GPUs) and
``advisor/data/methods.yaml`` (bytes per parameter per method); this module only asks it
questions about a profile, so the rules and the cost table can never disagree about what fits.
"""

from __future__ import annotations

from advisor.profile import ModelAccess, Profile

# Below this size a CPU-only fine-tune finishes in reasonable time (6·N·D FLOPs: one pass of a
# 0.5B model over 1M tokens is 3e15 FLOPs, under an hour at a sustained 1 TFLOP/s).
CPU_TRAINABLE_PARAMS_B = 0.5


def params_b(profile: Profile) -> float:
    """The model size to reason about: the profile's, else the cost model's default."""
    from advisor.cost import DEFAULT_MODEL_PARAMS_B

    return profile.model_params_b or DEFAULT_MODEL_PARAMS_B


def size_note(profile: Profile) -> str:
    return "" if profile.model_params_b else " (size not given; assumed)"


def has_gpu(profile: Profile) -> bool:
    """As the profile reads it (memory and count both above 0), so that the constraints and
    the guidance texts never disagree about whether there is a GPU."""
    return profile.has_gpu


def gpus(profile: Profile) -> int:
    return max(profile.gpu_count, 1)


def per_gpu_memory_gb(method: str, profile: Profile) -> float:
    """Peak memory per GPU to train ``method``, sharding weights and optimiser over the GPUs."""
    from advisor.cost import memory_estimate

    return memory_estimate(method, params_b(profile)).per_gpu_gb(gpus(profile))


def fits(method: str, profile: Profile) -> bool:
    """Whether ``method`` fits the profile's GPU(s). False without a GPU or open weights."""
    if profile.model_access is ModelAccess.api_only or not has_gpu(profile):
        return False
    return per_gpu_memory_gb(method, profile) <= profile.gpu_memory_gb


def is_tiny(profile: Profile) -> bool:
    """A model known to be small enough to fine-tune on CPU."""
    return profile.model_params_b is not None and profile.model_params_b < CPU_TRAINABLE_PARAMS_B
