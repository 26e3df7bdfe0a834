"""The plan: fine-tuning defaults and the seed's 7 steps, or the 3C checklist and a skeleton."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from advisor.guidance.conditions import Facts, render
from advisor.guidance.facts import params_b, train_memory_gb
from advisor.guidance.methods_view import LORA_METHODS
from advisor.guidance.spec import GuidanceSpec, guidance_spec, on_ladder
from advisor.profile import Profile
from advisor.recommendation import ChecklistItem, PlanStep


class PlanParameters(BaseModel):
    """The numbers the plan, the cost table and the benchmark command share, computed once
    (``plan_parameters``): the cost table assumes them, the command passes them as flags."""

    model_config = ConfigDict(frozen=True)

    epochs: float = Field(gt=0, description="Passes over the training data.")
    shots: int = Field(ge=0, description="Demonstrations in the few-shot prompt.")
    lora_r: int | None = Field(None, description="Adapter rank, for low-rank adapters.")


def few_shot_count(p: Profile) -> int:
    """Two demonstrations per label (four without labels), at most eight."""
    return min(8, max(2, (p.num_labels or 2) * 2))


def plan_parameters(p: Profile, method: str) -> PlanParameters:
    """Epochs, shots and rank for ``method`` (the training method the plan uses)."""
    hp = hyperparameters(p, method if method in LORA_METHODS else "lora")
    return PlanParameters(epochs=hp["epochs"], shots=few_shot_count(p), lora_r=hp["lora_r"])


def hyperparameters(p: Profile, method: str) -> dict[str, Any]:
    """Defaults for ``advisor train``; keys are advisor.components.TrainConfig field names."""
    spec = guidance_spec()
    hp_spec = spec.hyperparameters
    ladders = hp_spec.by_labeled_examples
    n = p.labeled_examples
    val = on_ladder(ladders.validation_fraction, n)
    train_n = max(1, round(n * (1 - val)))
    batch = on_ladder(hp_spec.batch_size_by_gpu_gb, p.gpu_memory_gb if p.has_gpu else 0.0)
    memory = train_memory_gb(method, params_b(p, spec))
    if p.has_gpu and memory > hp_spec.tight_memory_share * p.gpu_memory_gb:
        batch = min(batch, hp_spec.tight_memory_batch)
    accum = max(1, hp_spec.effective_batch // batch)
    steps_per_epoch = max(1, math.ceil(train_n / (batch * accum)))
    hp: dict[str, Any] = {
        "method": method,
        "epochs": on_ladder(ladders.epochs, n),
        "learning_rate": hp_spec.learning_rate.get(method, hp_spec.default_learning_rate),
        "batch_size": batch,
        "grad_accum": accum,
        "weight_decay": on_ladder(ladders.weight_decay, n),
        "warmup_ratio": on_ladder(ladders.warmup_ratio, n),
        "scheduler": on_ladder(ladders.scheduler, n),
        "validation_fraction": val,
        "eval_every": max(hp_spec.min_eval_every, steps_per_epoch // hp_spec.evals_per_epoch),
        "patience": hp_spec.patience,
        "max_length": hp_spec.max_length[p.task_type],
        "seed": hp_spec.seed,
    }
    if method in LORA_METHODS:
        r = on_ladder(ladders.lora_r, n)
        hp.update(
            lora_r=r,
            lora_alpha=hp_spec.lora_alpha_per_rank * r,
            lora_dropout=on_ladder(ladders.lora_dropout, n),
            target_modules=hp_spec.target_modules,
        )
    return hp


def fine_tuning_steps(spec: GuidanceSpec, facts: Facts, hp: dict[str, Any]) -> list[PlanStep]:
    """The seed's 7 steps; a step's provider variant when the model provider trains."""
    steps = []
    for number, step in enumerate(spec.fine_tuning_steps, start=1):
        variant = step.provider if step.provider and facts["provider_tuning"] else step
        params = {k: facts[v] if isinstance(v, str) else v for k, v in variant.params.items()}
        if variant.hyperparameters_but is not None:
            params = {k: v for k, v in hp.items() if k not in variant.hyperparameters_but}
        detail = render(variant.detail, facts)
        steps.append(PlanStep(number=number, name=step.name, detail=detail, params=params))
    return steps


def three_cs(spec: GuidanceSpec, facts: Facts) -> list[ChecklistItem]:
    return [
        ChecklistItem(
            name=item.name,
            advice=[render(e.text, facts) for e in item.advice if e.applies(facts)],
        )
        for item in spec.three_cs
    ]


def prompt_skeleton(spec: GuidanceSpec, facts: Facts) -> str:
    return "\n".join(render(e.text, facts) for e in spec.prompt_skeleton if e.applies(facts))
