"""The small functions behind the rules in ``rules.yaml``.

Most rules use a generic weigher whose numbers sit in the YAML (``step`` on a number,
``enum`` on a choice); the few that combine fields in a way a table cannot say have a named
function in ``CUSTOM``, keyed by rule id. Hard constraints are named functions in
``CONSTRAINTS`` that return ``{method: reason}``.

Every weigher is monotone in the direction the engine promises: more labelled data, budget,
GPU memory or expertise never lowers a weight; weekly-changing requirements and a knowledge
goal never raise one (tests/test_properties.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from advisor.methods import API_FINE_TUNE, TRAIN_METHODS, TUNING_METHODS
from advisor.profile import ModelAccess, Profile, TaskType
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


def _fits(method: str) -> Weigher:
    def weigh(profile: Profile, *, weight: float) -> float:
        return weight if hw.fits(method, profile) else 0.0

    return weigh


def _multi_gpu(profile: Profile, *, weight: float) -> float:
    open_weights = profile.model_access is ModelAccess.open_weights
    return weight if open_weights and hw.has_gpu(profile) and profile.gpu_count >= 2 else 0.0


def _no_gpu(profile: Profile, *, tiny: float, other: float) -> float:
    if profile.model_access is ModelAccess.api_only or hw.has_gpu(profile):
        return 0.0
    return tiny if hw.is_tiny(profile) else other


def _provider_updates(profile: Profile, *, change: dict[str, float], api_only: float) -> float:
    weight = change.get(_plain(profile.requirements_change), 0.0)
    if profile.model_access is ModelAccess.api_only:
        weight += api_only
    return weight


def _new_facts(profile: Profile, *, goal: dict[str, float], high_shift_factor: float) -> float:
    weight = goal.get(_plain(profile.goal), 0.0)
    return weight * high_shift_factor if _plain(profile.domain_shift) == "high" else weight


def _behaviour_data(
    profile: Profile, *, goal: dict[str, float], min_examples: int, weight: float
) -> float:
    if profile.labeled_examples < min_examples:
        return 0.0
    return weight * goal.get(_plain(profile.goal), 0.0)


def _data_residency(profile: Profile, *, weight: float) -> float:
    if profile.data_can_leave:
        return 0.0
    stuck = profile.model_access is ModelAccess.api_only or not hw.has_gpu(profile)
    return weight if stuck else 0.0


def _code_without_full(profile: Profile, *, weight: float) -> float:
    if profile.task_type is not TaskType.code:
        return 0.0
    return 0.0 if hw.fits("full", profile) else weight


CUSTOM: dict[str, Weigher] = {
    "data.per-class": _per_class,
    "task.reasoning-cot": _reasoning_large_model,
    "model.pet-small": _small_model_with_data,
    "hw.lora-fits": _fits("lora"),
    "hw.qlora-fits": _fits("qlora"),
    "hw.memory-fit": _multi_gpu,
    "hw.no-gpu": _no_gpu,
    "change.model-updates": _provider_updates,
    "goal.new-knowledge-hallucination": _new_facts,
    "goal.behaviour-lima": _behaviour_data,
    "privacy.data-residency": _data_residency,
    "task.code-lora-learns-less": _code_without_full,
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


def memory_fit(profile: Profile) -> dict[str, str]:
    if profile.model_access is ModelAccess.api_only or not hw.has_gpu(profile):
        return {}  # api-only and no-GPU have their own constraints
    out = {}
    for method in TRAIN_METHODS:
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


def api_only(profile: Profile) -> dict[str, str]:
    if profile.model_access is not ModelAccess.api_only:
        return {}
    why = "api_only model: its weights are not available to train locally"
    return dict.fromkeys(TRAIN_METHODS, why)


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
    "api-only": api_only,
    "data-stays": data_stays,
    "unpaid": unpaid,
}
