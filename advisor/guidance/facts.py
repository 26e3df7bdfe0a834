"""The facts guidance.yaml reads, computed from a profile: the code behind the data."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from advisor.guidance.fact_names import Derived
from advisor.guidance.methods_view import ADAPTER_METHODS, API_TUNING, RAG, TRAIN_METHODS
from advisor.guidance.spec import GuidanceSpec
from advisor.methods import get_method
from advisor.profile import (
    CHANGE_LEVEL,
    EXPERTISE_LEVEL,
    SHIFT_LEVEL,
    ModelAccess,
    Profile,
)


@dataclass(frozen=True)
class Context:
    """What the engine knows beyond the profile, so that texts say what the tables show:
    the methods the constraints excluded, the cost table's break-even and the plan's shots."""

    excluded: Collection[str] = field(default_factory=frozenset)
    break_even: int | None = None
    shots: int = 5
    # The cost table's per-method training memory (GB) and fits column, when there is one.
    memory_gb: Mapping[str, float] = field(default_factory=dict)
    fits: Mapping[str, bool] = field(default_factory=dict)


def params_b(p: Profile, spec: GuidanceSpec) -> float:
    return p.model_params_b or spec.hyperparameters.default_params_b


def train_memory_gb(method: str, params: float) -> float:
    """Peak training memory from the cost model, so the advice and the cost table agree."""
    from advisor.cost import training_memory_gb

    return round(training_memory_gb(method if method in TRAIN_METHODS else "lora", params), 1)


def train_method(method: str, p: Profile, spec: GuidanceSpec) -> str:
    """The training method the plan and risks refer to when the engine names none: the
    recommended one if it trains, else the one a later fine-tune would most likely use. An
    open-weights model trains locally (a provider tunes only its own API models)."""
    if method in TRAIN_METHODS or method == API_TUNING:
        return method
    if p.model_access == ModelAccess.api_only:
        return API_TUNING
    params = params_b(p, spec)
    if p.has_gpu:
        fits = per_gpu_memory_gb("lora", params, max(p.gpu_count, 1)) <= p.gpu_memory_gb
        return "lora" if fits else "qlora"
    return "lora"


def _retrieval() -> dict[str, Any]:
    """The rag method's retrieval defaults, and the retrieved tokens the cost model counts."""
    rag = get_method(RAG)
    hp = rag.hyperparameters
    return {
        "rag_top_k": hp["top_k"],
        "rag_chunk_tokens": hp["chunk_tokens"],
        "rag_overlap_tokens": hp["chunk_overlap_tokens"],
        "rag_tokens": rag.tokens.extra_prompt_tokens,
        "rag_retriever": str(hp["retriever"]).upper(),
    }


def _tuning_offers() -> dict[str, str]:
    """Who offers self-serve fine-tuning on the run's day, from the dated provider facts."""
    from advisor.cost import today, tuning_summary

    return {"tuning_providers": tuning_summary(today())}


# How the texts name the adapters they suggest.
ADAPTER_NAMES = {"lora": "LoRA", "qlora": "QLoRA", "ia3": "(IA)3"}


def per_gpu_memory_gb(method: str, params: float, gpus: int) -> float:
    """Training memory per GPU, weights and optimiser sharded (the constraints' figure)."""
    from advisor.cost import memory_estimate

    name = method if method in TRAIN_METHODS else "lora"
    return memory_estimate(name, params).per_gpu_gb(gpus)


def _table_gb(ctx: Context, method: str) -> float | None:
    """The cost table's memory for ``method`` as the table prints it (one decimal)."""
    gb = ctx.memory_gb.get(method)
    return float(f"{gb:.1f}") if gb is not None else None


def _fits(ctx: Context, method: str, per_gpu_gb: float, p: Profile) -> bool:
    """The cost table's fits column when there is one (the texts must say what it shows)."""
    if method in ctx.fits:
        return ctx.fits[method]
    return per_gpu_gb <= p.gpu_memory_gb


def _n(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


# The plan's hyperparameters that read as facts under their own names.
_PLAIN_HYPERPARAMETERS = (
    "epochs",
    "learning_rate",
    "batch_size",
    "grad_accum",
    "weight_decay",
    "warmup_ratio",
    "scheduler",
    "validation_fraction",
    "eval_every",
    "patience",
    "max_length",
)


def build_facts(
    p: Profile, method: str, hp: dict[str, Any], spec: GuidanceSpec, ctx: Context | None = None
) -> dict[str, Any]:
    """Every fact for one profile and method, the file's conditions and phrases included."""
    ctx = ctx or Context()
    params = params_b(p, spec)
    adapter = next((m for m in ADAPTER_METHODS if m not in ctx.excluded), "")
    adapter = ADAPTER_NAMES.get(adapter, adapter)
    gpus = max(p.gpu_count, 1)
    n, val = p.labeled_examples, hp["validation_fraction"]
    derived = Derived(
        method=method,
        provider_tuning=method == API_TUNING,
        has_gpu=p.has_gpu,
        params_b=params,
        size_b=_n(params),
        gpu_gb=_n(p.gpu_memory_gb),
        budget=_n(p.budget_usd),
        lora_gb=_table_gb(ctx, "lora") or train_memory_gb("lora", params),
        qlora_gb=_table_gb(ctx, "qlora") or train_memory_gb("qlora", params),
        method_gb=train_memory_gb(method, params),
        method_gb_per_gpu=round(per_gpu_memory_gb(method, params, gpus), 1),
        change_level=CHANGE_LEVEL[p.requirements_change],
        shift_level=SHIFT_LEVEL[p.domain_shift],
        expertise_level=EXPERTISE_LEVEL[p.expertise],
        who=p.expertise.value.replace("_", " "),
        Task_type=p.task_type.value.capitalize(),
        Domain_shift=p.domain_shift.value.capitalize(),
        examples_per_label=n // p.num_labels if p.num_labels else None,
        few_shot_k=ctx.shots,
        lora_allowed="lora" not in ctx.excluded,
        qlora_allowed="qlora" not in ctx.excluded,
        provider_allowed=API_TUNING not in ctx.excluded,
        lora_fits=p.has_gpu and _fits(ctx, "lora", per_gpu_memory_gb("lora", params, gpus), p),
        qlora_fits=p.has_gpu and _fits(ctx, "qlora", per_gpu_memory_gb("qlora", params, gpus), p),
        cpu_trainable=p.model_params_b is not None
        and p.model_params_b < spec.hyperparameters.cpu_trainable_params_b,
        adapter=adapter,
        break_even=ctx.break_even,
        label_slots=", ".join(f"<label {i}>" for i in range(1, (p.num_labels or 3) + 1)),
        n_val=round(n * val),
        n_train=n - round(n * val),
        **{k: hp[k] for k in _PLAIN_HYPERPARAMETERS},
        lora_r=hp.get("lora_r", 8),  # a small rank to suggest when the method has none
        **_retrieval(),
        **_tuning_offers(),
    )
    facts: dict[str, Any] = {k: getattr(v, "value", v) for k, v in p}
    facts.update(asdict(derived))
    for name, condition in spec.conditions.items():
        facts[name] = condition.holds(facts)
    phrases = {name: phrase.say(facts) for name, phrase in spec.phrases.items()}
    return facts | phrases
