"""The small functions behind the rules in ``rules.yaml``.

Most rules use a generic weigher whose numbers sit in the YAML (``step`` on a number,
``enum`` on a choice); the few that combine fields in a way a table cannot say have a named
function in ``CUSTOM``, keyed by rule id. Hard constraints are named functions in
``CONSTRAINTS`` that return ``{method: reason}``.

Weighers belong to benefit rules and constraints to constraint rules: no weigher reads the
hardware, the model access or the budget to say that a method is *possible* (that is what a
constraint decides, once). Every weigher is monotone in the direction the engine promises: more
labelled data or expertise never lowers a weight; weekly-changing requirements and a knowledge
goal never raise one (tests/test_properties.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from advisor.methods import API_FINE_TUNE, TRAIN_METHODS, TUNING_METHODS
from advisor.profile import ModelAccess, Profile
from advisor_evidence import hardware as hw

Weigher = Callable[..., float]
Constraint = Callable[..., dict[str, str]]


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


# ---------------------------------------------------------------- generic weighers


def step(
    profile: Profile,
    *,
    field: str,
    steps: list[tuple[float, float]],
    below: float = 0.0,
    missing: float = 0.0,
) -> float:
    """The weight of the highest threshold the field reaches; ``below`` under the first one."""
    value = getattr(profile, field)
    if value is None:
        return missing
    weight = below
    for threshold, w in steps:
        if value >= threshold:
            weight = w
    return weight


def enum(profile: Profile, *, field: str, map: dict[Any, float], default: float = 0.0) -> float:  # noqa: A002
    return float(map.get(_plain(getattr(profile, field)), default))


GENERIC: dict[str, Weigher] = {"step": step, "enum": enum}


# ---------------------------------------------------------------- custom weighers, by rule id


def _per_class(profile: Profile, *, steps: list[tuple[float, float]], below: float) -> float:
    if not profile.num_labels:
        return 0.0
    per_class = profile.labeled_examples / profile.num_labels
    weight = below
    for threshold, w in steps:
        if per_class >= threshold:
            weight = w
    return weight


def _reasoning_large_model(
    profile: Profile, *, tasks: list[str], min_params_b: float, weight: float
) -> float:
    if _plain(profile.task_type) not in tasks:
        return 0.0
    large = (
        profile.model_params_b >= min_params_b
        if profile.model_params_b is not None
        else profile.model_access is ModelAccess.api_only  # frontier API models are large
    )
    return weight if large else 0.0


def _small_model_with_data(
    profile: Profile, *, max_params_b: float, min_examples: int, weight: float
) -> float:
    small = profile.model_params_b is not None and profile.model_params_b < max_params_b
    return weight if small and profile.labeled_examples >= min_examples else 0.0


def _new_facts(profile: Profile, *, goal: dict[str, float], high_shift_factor: float) -> float:
    weight = goal.get(_plain(profile.goal), 0.0)
    return weight * high_shift_factor if _plain(profile.domain_shift) == "high" else weight


def _behaviour_data(
    profile: Profile, *, goal: dict[str, float], min_examples: int, weight: float
) -> float:
    if profile.labeled_examples < min_examples:
        return 0.0
    return weight * goal.get(_plain(profile.goal), 0.0)


CUSTOM: dict[str, Weigher] = {
    "data.per-class": _per_class,
    "task.reasoning-cot": _reasoning_large_model,
    "model.pet-small": _small_model_with_data,
    "task.few-shot-peft-classification": _small_model_with_data,
    "goal.new-knowledge-hallucination": _new_facts,
    "goal.behaviour-lima": _behaviour_data,
}


# ---------------------------------------------------------------- hard constraints


def no_training_data(profile: Profile, *, provider_minimum: int) -> dict[str, str]:
    if profile.labeled_examples == 0:
        why = "no labelled examples: there is nothing to fine-tune on"
        return dict.fromkeys(TUNING_METHODS, why)
    if profile.labeled_examples < provider_minimum:
        return {
            API_FINE_TUNE: f"{profile.labeled_examples} examples is below the provider minimum "
            f"of {provider_minimum}"
        }
    return {}


def memory_fit(profile: Profile, *, methods: list[str]) -> dict[str, str]:
    if profile.model_access is ModelAccess.api_only or not hw.has_gpu(profile):
        return {}  # api-only and no-GPU have their own constraints
    out = {}
    for method in methods:
        if hw.is_tiny(profile) and method != "qlora":
            continue  # a GPU too small for it leaves the CPU, which trains a tiny model
        need = hw.per_gpu_memory_gb(method, profile)
        if need > profile.gpu_memory_gb:
            out[method] = (
                f"{method} needs about {need:.1f} GB per GPU for a "
                f"{hw.params_b(profile):g}B model{hw.size_note(profile)}; "
                f"the profile has {hw.gpus(profile)} x {profile.gpu_memory_gb:g} GB"
            )
    return out


def no_gpu(profile: Profile) -> dict[str, str]:
    if profile.model_access is ModelAccess.api_only or hw.has_gpu(profile):
        return {}
    if hw.is_tiny(profile):
        return {"qlora": "no GPU: 4-bit QLoRA kernels need a CUDA GPU"}
    why = (
        f"no GPU: training a {hw.params_b(profile):g}B model{hw.size_note(profile)} on CPU is "
        f"impractical (local training on CPU is only offered below {hw.CPU_TRAINABLE_PARAMS_B}B)"
    )
    return dict.fromkeys(TRAIN_METHODS, why)


def where_training_runs(profile: Profile) -> dict[str, str]:
    """Model access decides where a fine-tune can run: an api_only model only at its provider,
    an open-weights model only on GPUs the user runs (no provider to tune it is assumed)."""
    if profile.model_access is ModelAccess.api_only:
        why = "api_only model: its weights are not available to train locally"
        return dict.fromkeys(TRAIN_METHODS, why)
    return {
        API_FINE_TUNE: "open-weights model: it is fine-tuned on GPUs you run, not by a "
        "model provider's tuning service"
    }


def data_stays(profile: Profile) -> dict[str, str]:
    if profile.data_can_leave:
        return {}
    return {API_FINE_TUNE: "the training data may not leave: provider fine-tuning uploads it"}


def unpaid(profile: Profile) -> dict[str, str]:
    if profile.budget_usd > 0:
        return {}
    return {API_FINE_TUNE: "budget is 0 USD and provider fine-tuning is billed per token"}


CONSTRAINTS: dict[str, Constraint] = {
    "no-training-data": no_training_data,
    "memory-fit": memory_fit,
    "no-gpu": no_gpu,
    "where-training-runs": where_training_runs,
    "data-stays": data_stays,
    "unpaid": unpaid,
}
