"""Guidance for one profile: the seed's 10 aspects judged, the 7 challenges rated, and a plan.

``build_guidance(profile, verdict, method, score)`` is called by the engine after scoring.
Pure Python and deterministic: thresholds live in the tables below so they are easy to audit.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from advisor.profile import (
    CHANGE_LEVEL,
    EXPERTISE_LEVEL,
    SHIFT_LEVEL,
    Goal,
    ModelAccess,
    OutputFormat,
    Profile,
    RequirementsChange,
    TaskType,
)
from advisor.recommendation import (
    ASPECTS,
    CHALLENGES,
    FINE_TUNING_STEPS,
    THREE_CS,
    Aspect,
    Challenge,
    ChecklistItem,
    Leaning,
    Plan,
    PlanStep,
    Rating,
)


class Guidance(BaseModel):
    """The parts of a Recommendation that explain and operationalise the verdict."""

    aspects: list[Aspect]
    challenges: list[Challenge]
    plan: Plan
    benchmark_command: str


# ---------------------------------------------------------------- tables

ADAPTER_METHODS = ("lora", "qlora", "ia3")
TRAIN_METHODS = (*ADAPTER_METHODS, "full")
# Tuning through the model provider's service (api_only models): nothing trains locally.
API_TUNING = "api-fine-tune"
PROMPT_METHODS = ("zero-shot", "few-shot", "3c", "cot")
# The built-in training backends; qlora is benchmarked as lora on machines without bitsandbytes.
# An api-fine-tune is approximated locally by LoRA on the benchmark's model.
BENCHMARK_BACKEND = {
    "lora": "lora",
    "qlora": "lora",
    "ia3": "ia3",
    "full": "full",
    API_TUNING: "lora",
}

# Below this size (billions of parameters) a LoRA run on CPU is still practical.
CPU_TRAINABLE_B = 0.5
# Model size assumed when the profile does not give one (a typical open 7-8B model).
DEFAULT_PARAMS_B = 7.0
LEARNING_RATE = {"lora": 2e-4, "qlora": 2e-4, "ia3": 3e-3, "full": 2e-5}
# (upper bound on training examples, value); first bound that the size is below wins.
EPOCHS_BY_SIZE = ((300, 6.0), (1_000, 4.0), (10_000, 3.0), (100_000, 2.0), (math.inf, 1.0))
LORA_R_BY_SIZE = ((1_000, 8), (10_000, 16), (math.inf, 32))
VALIDATION_BY_SIZE = ((500, 0.2), (10_000, 0.1), (math.inf, 0.05))
# (GPU memory below this many GB, per-device batch size); no GPU means CPU, batch 4.
BATCH_BY_GPU_GB = ((0.01, 4), (16, 4), (24, 8), (48, 16), (math.inf, 32))
EFFECTIVE_BATCH = 16
MAX_LENGTH = {
    TaskType.classification: 256,
    TaskType.extraction: 512,
    TaskType.generation: 512,
    TaskType.summarization: 1024,
    TaskType.qa: 512,
    TaskType.code: 1024,
    TaskType.chat: 1024,
    TaskType.other: 512,
}
METRIC = {
    TaskType.classification: "accuracy and macro-F1",
    TaskType.extraction: "exact match and field-level F1",
    TaskType.generation: "a rubric score or pairwise preference against the current output",
    TaskType.summarization: "ROUGE-L plus a faithfulness check",
    TaskType.qa: "exact match and token F1",
    TaskType.code: "pass@1 on unit tests",
    TaskType.chat: "pairwise preference on held-out conversations",
    TaskType.other: "the task's acceptance metric",
}
RETRAIN_ADVICE = {
    RequirementsChange.rarely: "Requirements rarely change: retrain only when monitoring shows drift.",
    RequirementsChange.monthly: "Requirements change monthly: schedule a monthly retrain on the grown dataset.",
    RequirementsChange.weekly: "Requirements change weekly: keep the moving parts in the prompt and retrain "
    "only when the label set or output format changes.",
}
# Narrow, label-like tasks are where a tuned small model shines; open-ended ones lean on prompts.
NARROW_TASKS = {TaskType.classification, TaskType.extraction}
OPEN_TASKS = {TaskType.chat, TaskType.qa, TaskType.other, TaskType.generation}


def _by_size(table: tuple[tuple[float, Any], ...], value: float) -> Any:
    for bound, result in table:
        if value < bound:
            return result
    return table[-1][1]


def _params_b(p: Profile) -> float:
    return p.model_params_b or DEFAULT_PARAMS_B


def train_memory_gb(method: str, params_b: float) -> float:
    """Peak training memory from the cost model, so the advice and the cost table agree."""
    from advisor.cost import training_memory_gb

    return round(training_memory_gb(method if method in TRAIN_METHODS else "lora", params_b), 1)


def _train_method(verdict: str, method: str, p: Profile) -> str:
    """The training method the plan and risks refer to: the recommended one if it trains,
    else the one a later fine-tune would most likely use for this profile."""
    if method in TRAIN_METHODS or method == API_TUNING:
        return method
    if p.model_access == ModelAccess.api_only:
        return API_TUNING
    params = _params_b(p)
    if p.has_gpu:
        return "lora" if train_memory_gb("lora", params) <= p.gpu_memory_gb else "qlora"
    if params >= CPU_TRAINABLE_B and p.data_can_leave:
        return API_TUNING  # no GPU for a model this size: a provider would have to train it
    return "lora"


def _n(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


# ---------------------------------------------------------------- aspects

AspectJudge = Callable[[Profile, str], tuple[Leaning, str]]

ASPECT_TEXT: dict[str, tuple[str, str]] = {
    "Definition": (
        "Changes the model's weights with examples of the task.",
        "Leaves the weights alone and steers the model through its input.",
    ),
    "Scope": (
        "Best for one narrow, stable job the model should do reliably.",
        "Covers many jobs with one model; each prompt can target a different one.",
    ),
    "Training Data": (
        "Needs hundreds to thousands of labeled pairs.",
        "Works with none, or a handful of examples placed in the prompt.",
    ),
    "Model Updates": (
        "Each change of the task means another training run and redeploy.",
        "A change of the task is an edit of text, live in minutes.",
    ),
    "Expertise": (
        "Needs someone who can run training, read loss curves and evaluate.",
        "Needs someone who writes precise instructions and tests them.",
    ),
    "Adaptability": (
        "Slow to adapt: data collection, training, evaluation per change.",
        "Fast to adapt to a new task, domain or format.",
    ),
    "Performance Trade-off": (
        "Highest task accuracy once data is sufficient; may lose general skills.",
        "Keeps general skills; accuracy tops out where instructions stop helping.",
    ),
    "Resource Requirements": (
        "Needs GPU memory and hours (much less with adapters such as LoRA/QLoRA).",
        "Needs only inference; longer prompts cost tokens on every call.",
    ),
    "Use Cases": (
        "Classification, extraction, fixed output styles, latency-bound serving.",
        "Open-ended generation, fast-moving requirements, fact lookup with context.",
    ),
    "Cost": (
        "One-off training spend; cheaper per query at high volume (short prompts, small model).",
        "No up-front spend; pays per query for instructions and examples.",
    ),
}


def _aspect_definition(p: Profile, _: str) -> tuple[Leaning, str]:
    if p.goal == Goal.knowledge:
        return "prompt", (
            "The goal is new knowledge; facts placed in the context (retrieval) are easier to "
            "update and verify than facts trained into weights."
        )
    if p.goal == Goal.both:
        return (
            "neutral",
            "The goal mixes behaviour (trainable) and knowledge (best supplied in context).",
        )
    return (
        "fine-tune",
        "The goal is behaviour (skill, format, style), which weight updates capture well.",
    )


def _aspect_scope(p: Profile, _: str) -> tuple[Leaning, str]:
    task = p.task_type.value
    if p.task_type in NARROW_TASKS:
        labels = f" with {p.num_labels} labels" if p.num_labels else ""
        return (
            "fine-tune",
            f"A narrow {task} task{labels} is a fixed mapping a tuned model learns well.",
        )
    if p.task_type in OPEN_TASKS:
        return "prompt", f"An open-ended {task} task benefits from the base model's breadth."
    return "neutral", f"A {task} task can go either way; the data decides."


def _aspect_training_data(p: Profile, _: str) -> tuple[Leaning, str]:
    n = p.labeled_examples
    if n == 0:
        return "prompt", "No labeled examples: zero-shot prompting only; label a test set first."
    if n < 100:
        return (
            "prompt",
            f"Only {n:,} labeled examples: enough for few-shot prompts and a test set, not a fine-tune.",
        )
    if n < 1_000:
        return (
            "neutral",
            f"{n:,} labeled examples: adapters can start to pay off; prompting is still competitive.",
        )
    return (
        "fine-tune",
        f"{n:,} labeled examples is enough for a parameter-efficient fine-tune to beat prompting.",
    )


def _aspect_model_updates(p: Profile, _: str) -> tuple[Leaning, str]:
    level = CHANGE_LEVEL[p.requirements_change]
    if level >= 2:
        return (
            "prompt",
            "Requirements change weekly; retraining that often is costly, prompt edits are not.",
        )
    if level == 0:
        return "fine-tune", "Requirements rarely change, so a trained model stays valid for long."
    return "neutral", "Monthly changes allow a retraining cadence but add a recurring cost."


def _aspect_expertise(p: Profile, _: str) -> tuple[Leaning, str]:
    level = EXPERTISE_LEVEL[p.expertise]
    who = p.expertise.value.replace("_", " ")
    if level >= 2:
        return "fine-tune", f"The team ({who}) can run and evaluate a fine-tune."
    if level == 1:
        return (
            "neutral",
            "Basic ML skills: a managed fine-tuning API or our defaults are workable; prompts are easier.",
        )
    return "prompt", "No ML expertise on the team; prompt engineering needs no training pipeline."


def _aspect_adaptability(p: Profile, _: str) -> tuple[Leaning, str]:
    if p.deadline_days is not None and p.deadline_days < 7:
        return (
            "prompt",
            f"A deadline in {p.deadline_days} days leaves no room for a data-train-evaluate cycle.",
        )
    if CHANGE_LEVEL[p.requirements_change] >= 2:
        return "prompt", "Weekly moving requirements reward the approach that adapts fastest."
    if p.deadline_days is not None:
        return (
            "neutral",
            f"{p.deadline_days} days is enough to try prompts first and train if they fall short.",
        )
    return "neutral", "No deadline given; adaptability matters less than accuracy here."


def _aspect_performance(p: Profile, _: str) -> tuple[Leaning, str]:
    shift = SHIFT_LEVEL[p.domain_shift]
    structured = p.output_format == OutputFormat.structured
    if shift >= 2 or (structured and p.labeled_examples >= 500):
        why = "high domain shift" if shift >= 2 else "a strict output format with enough examples"
        return "fine-tune", f"With {why}, tuning usually gains accuracy that prompts cannot reach."
    if shift == 0:
        return (
            "prompt",
            "Text close to general web text: the base model already performs well, keep its generality.",
        )
    return "neutral", "Medium domain shift: measure both; the gap is task dependent."


def _aspect_resources(p: Profile, method: str) -> tuple[Leaning, str]:
    params = _params_b(p)
    if method == API_TUNING:
        return (
            "neutral",
            "Training runs on the provider's hardware; the cost is per training token.",
        )
    need = train_memory_gb("qlora", params)
    size = f"{_n(params)}B" + ("" if p.model_params_b else " (assumed)")
    if not p.has_gpu:
        if p.data_can_leave:
            return (
                "neutral",
                f"No local GPU; a {size} model could still be tuned through a provider's API.",
            )
        return "prompt", "No local GPU and the data may not leave: training has nowhere to run."
    if p.gpu_memory_gb >= train_memory_gb("lora", params):
        return (
            "fine-tune",
            f"{_n(p.gpu_memory_gb)} GB GPU memory fits a LoRA fine-tune of a {size} model.",
        )
    if p.gpu_memory_gb >= need:
        return (
            "neutral",
            f"{_n(p.gpu_memory_gb)} GB only fits 4-bit QLoRA (about {need} GB) of a {size} model.",
        )
    return (
        "prompt",
        f"{_n(p.gpu_memory_gb)} GB is below the ~{need} GB QLoRA needs for a {size} model.",
    )


def _aspect_use_cases(p: Profile, _: str) -> tuple[Leaning, str]:
    if p.task_type in NARROW_TASKS or (p.output_format == OutputFormat.structured and p.latency_ms):
        return "fine-tune", f"{p.task_type.value.capitalize()} is a classic fine-tuning use case."
    if p.task_type in {TaskType.chat, TaskType.qa} or p.goal == Goal.knowledge:
        return (
            "prompt",
            "Conversational and question-answering use cases work well with instructions plus context.",
        )
    return "neutral", f"{p.task_type.value.capitalize()} is served by both approaches in practice."


def _aspect_cost(p: Profile, _: str) -> tuple[Leaning, str]:
    q = p.monthly_queries
    if p.budget_usd < 10:
        return (
            "prompt",
            f"A ${_n(p.budget_usd)} budget does not cover a training run with evaluation.",
        )
    if q >= 1_000_000:
        return (
            "fine-tune",
            f"{q:,} queries a month: shorter prompts on a tuned model repay training quickly.",
        )
    if q < 10_000:
        return (
            "prompt",
            f"{q:,} queries a month is too little volume for training to pay for itself.",
        )
    return (
        "neutral",
        f"{q:,} queries a month and ${_n(p.budget_usd)}: see the break-even in the cost table.",
    )


ASPECT_JUDGES: dict[str, AspectJudge] = {
    "Definition": _aspect_definition,
    "Scope": _aspect_scope,
    "Training Data": _aspect_training_data,
    "Model Updates": _aspect_model_updates,
    "Expertise": _aspect_expertise,
    "Adaptability": _aspect_adaptability,
    "Performance Trade-off": _aspect_performance,
    "Resource Requirements": _aspect_resources,
    "Use Cases": _aspect_use_cases,
    "Cost": _aspect_cost,
}


def judge_aspects(p: Profile, method: str) -> list[Aspect]:
    out = []
    for name in ASPECTS:
        favours, judgement = ASPECT_JUDGES[name](p, method)
        ft, pe = ASPECT_TEXT[name]
        out.append(
            Aspect(
                name=name,
                fine_tuning=ft,
                prompt_engineering=pe,
                favours=favours,
                judgement=judgement,
            )
        )
    return out


# ---------------------------------------------------------------- challenges

ChallengeJudge = Callable[[Profile, str], tuple[Rating, str]]

MITIGATION: dict[str, dict[Rating, str]] = {
    "Overfitting": {
        "high": "Hold out {val:.0%} for validation, stop early (patience {patience}), weight decay {wd}, "
        "at most {epochs:g} epochs; prefer an adapter over a full fine-tune.",
        "medium": "Validation split of {val:.0%} with early stopping (patience {patience}) and weight decay {wd}.",
        "low": "Keep the validation split and early stopping on; watch the gap between train and validation loss.",
    },
    "Catastrophic forgetting": {
        "high": "Use LoRA instead of full weights, keep the learning rate low, mix 10-20% general "
        "instruction data into training, and compare a general benchmark before and after.",
        "medium": "Adapters (LoRA) with a low learning rate; check a general task before and after tuning.",
        "low": "Adapters leave the base weights untouched; detach the adapter to recover the base model.",
    },
    "High computational resources": {
        "high": "Use QLoRA (4-bit base, about {qlora} GB), gradient checkpointing and a smaller model, "
        "or a provider's fine-tuning API if the data may leave.",
        "medium": "LoRA with gradient checkpointing and batch {batch} x {accum} accumulation fits the GPU.",
        "low": "Resources are ample; keep runs short and cache the base model.",
    },
    "Data Scarcity": {
        "high": "Start with 3C and few-shot prompts (label a few dozen examples for them and a test "
        "set); grow data by augmentation, a larger model drafting labels for human review, and "
        "logging production inputs.",
        "medium": "Use LoRA with a small rank (r={r}), augment rare labels, and plot a learning curve "
        "to see whether more data would pay.",
        "low": "Data is sufficient; spend effort on label quality and de-duplication instead.",
    },
    "Domain Shift": {
        "high": "Put in-domain examples and glossary in the prompt; if tuning, include in-domain "
        "unlabeled text and evaluate on a test set drawn from production.",
        "medium": "Evaluate on in-domain test data, not a generic benchmark; add domain terms to the prompt.",
        "low": "The base model knows this kind of text; a generic evaluation is representative.",
    },
    "Ethical Considerations": {
        "high": "Keep data and training local, scrub personal data, audit outputs per group/label "
        "for bias, and record dataset licences.",
        "medium": "Scrub personal data before training or sending to an API; review outputs for bias.",
        "low": "Check dataset licences and spot-check outputs before release.",
    },
    "Hyperparameter Selection and Tuning": {
        "high": "Start from the plan's defaults, change one thing at a time (learning rate first), "
        "and let `advisor benchmark` pick by validation score.",
        "medium": "Sweep learning rate over 3 values around {lr:g} and keep the rest at the plan's defaults.",
        "low": "A small sweep of learning rate and rank on the validation split is enough.",
    },
}


# Tuning through a provider leaves fewer knobs; these replace the local-training mitigations.
API_MITIGATION: dict[str, str] = {
    "Overfitting": "Upload a {val:.0%} validation file and watch its loss per epoch; lower the epochs "
    "(plan: {epochs:g}) if it rises while training loss falls.",
    "Catastrophic forgetting": "Evaluate a general task before and after tuning; route only this "
    "task to the tuned model and keep the base model for everything else.",
    "High computational resources": "Estimate training tokens x epochs x the provider's price before "
    "starting (`advisor cost` shows it).",
    "Hyperparameter Selection and Tuning": "Keep the provider's defaults; change epochs first, then "
    "the learning-rate multiplier, judging by validation loss.",
}


def _c_overfitting(p: Profile, m: str) -> tuple[Rating, str]:
    n = p.labeled_examples
    rating: Rating = (
        "high" if n < 500 or (m == "full" and n < 5_000) else "medium" if n < 5_000 else "low"
    )
    return rating, f"{n:,} labeled examples to train on ({m})."


def _c_forgetting(p: Profile, m: str) -> tuple[Rating, str]:
    broad = p.task_type in OPEN_TASKS
    if m == API_TUNING:
        return "medium", "A provider's tuning service does not say which weights it changes."
    if m == "full":
        return (
            "high" if broad else "medium"
        ), f"Full fine-tuning rewrites all weights of a model used for {p.task_type.value}."
    if SHIFT_LEVEL[p.domain_shift] >= 2 or broad:
        return (
            "medium",
            f"Adapters limit the damage, but {p.domain_shift.value} domain shift or a broad task still risk it.",
        )
    return "low", f"{m} trains a small adapter on a narrow task; base weights stay frozen."


def _c_compute(p: Profile, m: str) -> tuple[Rating, str]:
    if m == API_TUNING:
        return "low", "The provider trains the model; no local GPU is needed."
    need = train_memory_gb(m, _params_b(p))
    # Per GPU: an adapter run (without sharding) must fit on one card.
    have = p.gpu_memory_gb if p.has_gpu else 0.0
    if have == 0:
        return "high", f"No local GPU; {m} of a {_n(_params_b(p))}B model needs about {need} GB."
    if need > have:
        return "high", f"{m} needs about {need} GB, more than the {_n(have)} GB at hand."
    if need > 0.6 * have:
        return "medium", f"{m} needs about {need} GB of the {_n(have)} GB at hand."
    return "low", f"{m} needs about {need} GB; {_n(have)} GB is at hand."


def _c_scarcity(p: Profile, _: str) -> tuple[Rating, str]:
    n = p.labeled_examples
    per_label = f" (about {n // p.num_labels:,} per label)" if p.num_labels else ""
    rating: Rating = "high" if n < 100 else "medium" if n < 1_000 else "low"
    return rating, f"{n:,} labeled examples{per_label}."


def _c_domain(p: Profile, _: str) -> tuple[Rating, str]:
    return p.domain_shift.value, f"Domain shift is given as {p.domain_shift.value}."  # type: ignore[return-value]


def _c_ethics(p: Profile, m: str) -> tuple[Rating, str]:
    if m == API_TUNING and p.data_can_leave:
        return "medium", "Training data is uploaded to the model provider."
    if not p.data_can_leave:
        return "high", "The data may not leave the organisation, which signals sensitive content."
    if p.task_type in {TaskType.chat, TaskType.generation}:
        return "medium", f"Generated text ({p.task_type.value}) reaches users directly."
    return "low", f"A {p.task_type.value} task with data that may be shared."


def _c_hyper(p: Profile, m: str) -> tuple[Rating, str]:
    if m == API_TUNING:
        return (
            "low",
            "The provider sets most hyperparameters; epochs and a learning-rate multiplier remain.",
        )
    level = EXPERTISE_LEVEL[p.expertise]
    rating: Rating = (
        "high" if level == 0 or (m == "full" and level < 2) else "medium" if level == 1 else "low"
    )
    return rating, f"Team expertise: {p.expertise.value.replace('_', ' ')}; method {m}."


CHALLENGE_JUDGES: dict[str, ChallengeJudge] = {
    "Overfitting": _c_overfitting,
    "Catastrophic forgetting": _c_forgetting,
    "High computational resources": _c_compute,
    "Data Scarcity": _c_scarcity,
    "Domain Shift": _c_domain,
    "Ethical Considerations": _c_ethics,
    "Hyperparameter Selection and Tuning": _c_hyper,
}


def rate_challenges(p: Profile, train_method: str, hp: dict[str, Any]) -> list[Challenge]:
    fill = {
        "val": hp["validation_fraction"],
        "patience": hp["patience"],
        "wd": hp["weight_decay"],
        "epochs": hp["epochs"],
        "qlora": train_memory_gb("qlora", _params_b(p)),
        "batch": hp["batch_size"],
        "accum": hp["grad_accum"],
        "r": hp.get("lora_r", 8),
        "lr": hp["learning_rate"],
    }
    out = []
    for name in CHALLENGES:
        rating, why = CHALLENGE_JUDGES[name](p, train_method)
        template = MITIGATION[name][rating]
        if train_method == API_TUNING:
            template = API_MITIGATION.get(name, template)
        mitigation = template.format(**fill)
        out.append(Challenge(name=name, rating=rating, why=why, mitigation=mitigation))
    return out


# ---------------------------------------------------------------- fine-tuning plan


def hyperparameters(p: Profile, method: str) -> dict[str, Any]:
    """Defaults for ``advisor train``; keys are advisor.components.TrainConfig field names."""
    n = p.labeled_examples
    val = _by_size(VALIDATION_BY_SIZE, n)
    train_n = max(1, round(n * (1 - val)))
    batch = _by_size(BATCH_BY_GPU_GB, p.gpu_memory_gb if p.has_gpu else 0.0)
    if p.has_gpu and train_memory_gb(method, _params_b(p)) > 0.75 * p.gpu_memory_gb:
        batch = min(batch, 4)  # little headroom left for activations: accumulate instead
    accum = max(1, EFFECTIVE_BATCH // batch)
    epochs = _by_size(EPOCHS_BY_SIZE, n)
    steps_per_epoch = max(1, math.ceil(train_n / (batch * accum)))
    hp: dict[str, Any] = {
        "method": method,
        "epochs": epochs,
        "learning_rate": LEARNING_RATE.get(method, 2e-4),
        "batch_size": batch,
        "grad_accum": accum,
        "weight_decay": 0.1 if n < 500 else 0.01,
        "warmup_ratio": 0.1 if n < 1_000 else 0.06,
        "scheduler": "cosine" if n >= 1_000 else "linear",
        "validation_fraction": val,
        "eval_every": max(5, steps_per_epoch // 4),
        "patience": 3,
        "max_length": MAX_LENGTH[p.task_type],
        "seed": 0,
    }
    if method in ("lora", "qlora"):
        r = _by_size(LORA_R_BY_SIZE, n)
        hp.update(
            lora_r=r,
            lora_alpha=2 * r,
            lora_dropout=0.1 if n < 1_000 else 0.05,
            target_modules="all-linear",
        )
    return hp


def fine_tuning_steps(p: Profile, method: str, hp: dict[str, Any]) -> list[PlanStep]:
    params = _params_b(p)
    val = hp["validation_fraction"]
    n = p.labeled_examples
    n_val = round(n * val)
    model_hint = (
        f"a {_n(params)}B open-weights model"
        if p.model_params_b
        else "an instruction-tuned open-weights model that fits the GPU (the embedded SmolLM2-135M for a dry run)"
    )
    details = {
        "Select the pre-trained model": (
            f"Use {model_hint}; {method} needs about {train_memory_gb(method, params)} GB to train.",
            {"model_params_b": params, "memory_gb": train_memory_gb(method, params)},
        ),
        "Define the target task and goals": (
            f"{p.task_type.value.capitalize()} ({p.goal.value}); success is {METRIC[p.task_type]} above the best "
            "prompt baseline on the same test set.",
            {"metric": METRIC[p.task_type]},
        ),
        "Prepare task-specific data": (
            f"De-duplicate, drop empty rows, keep a test set apart, then split the {n:,} examples into "
            f"{n - n_val:,} train / {n_val:,} validation; check label balance.",
            {"validation_fraction": val, "max_length": hp["max_length"]},
        ),
        "Configure fine-tuning parameters": (
            f"{method} at learning rate {hp['learning_rate']:g}, batch {hp['batch_size']} x "
            f"{hp['grad_accum']} accumulation, {hp['scheduler']} schedule with {hp['warmup_ratio']:.0%} warmup, "
            f"weight decay {hp['weight_decay']}.",
            {k: v for k, v in hp.items() if k not in ("seed",)},
        ),
        "Train and refine iteratively": (
            f"Train up to {hp['epochs']:g} epochs, evaluate every {hp['eval_every']} steps and stop after "
            f"{hp['patience']} evaluations without improvement; keep the best checkpoint.",
            {"epochs": hp["epochs"], "eval_every": hp["eval_every"], "patience": hp["patience"]},
        ),
        "Evaluate and validate": (
            f"Score {METRIC[p.task_type]} on the held-out test set against zero-shot and few-shot prompts, "
            "test the difference for significance, and check a general task for forgetting.",
            {"compare_with": ["zero-shot", "few-shot"]},
        ),
        "Iterate and deploy": (
            f"{RETRAIN_ADVICE[p.requirements_change]} Deploy the adapter (or merged weights) "
            "behind the same evaluation gate and log production inputs for the next round.",
            {"retrain": p.requirements_change.value},
        ),
    }
    if method == API_TUNING:
        details.update(_api_step_details(p, hp))
    return [
        PlanStep(number=i, name=name, detail=details[name][0], params=details[name][1])
        for i, name in enumerate(FINE_TUNING_STEPS, start=1)
    ]


def _api_step_details(p: Profile, hp: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Steps that differ when the provider trains the model (api_only weights)."""
    return {
        "Select the pre-trained model": (
            "The model is reachable only through its provider: pick the provider's tunable "
            "model closest to it, and check that the data may be uploaded.",
            {"model_access": p.model_access.value, "data_can_leave": p.data_can_leave},
        ),
        "Configure fine-tuning parameters": (
            f"Start from the provider's defaults with {hp['epochs']:g} epochs; change the "
            "learning-rate multiplier only if validation loss stalls or rises.",
            {"epochs": hp["epochs"], "validation_fraction": hp["validation_fraction"]},
        ),
        "Train and refine iteratively": (
            "Upload train and validation files, start the job, and compare validation loss "
            "per epoch; keep the checkpoint with the lowest.",
            {"epochs": hp["epochs"]},
        ),
        "Iterate and deploy": (
            f"Requirements change {p.requirements_change.value}: budget a new tuning job at "
            "that cadence; switch traffic to the tuned model id behind an evaluation gate.",
            {"retrain": p.requirements_change.value},
        ),
    }


# ---------------------------------------------------------------- 3C prompt plan

CLARITY_BY_TASK: dict[TaskType, str] = {
    TaskType.classification: "Name every allowed label and ask for exactly one of them, nothing else.",
    TaskType.extraction: "List each field to extract, its type, and what to return when it is absent.",
    TaskType.generation: "State the audience, purpose and length of the text in one sentence each.",
    TaskType.summarization: "Say how long the summary is and what it must keep (numbers, names, decisions).",
    TaskType.qa: "Ask the model to answer only from the supplied context and to say when it cannot.",
    TaskType.code: "Give the language, version, function signature and the tests it must pass.",
    TaskType.chat: "Define the assistant's role and what it must refuse or hand over.",
    TaskType.other: "State the task as one imperative sentence with the expected output.",
}
OUTPUT_LINE: dict[TaskType, str] = {
    TaskType.classification: "Answer with one label only.",
    TaskType.extraction: "Return JSON with exactly these keys: {fields}.",
    TaskType.generation: "Write {length} in a {tone} tone.",
    TaskType.summarization: "Summarise in at most {length}.",
    TaskType.qa: 'Answer from the context only; if it is not there, reply "unknown".',
    TaskType.code: "Return only the code, in one fenced block.",
    TaskType.chat: "Reply in at most {length}; stay within the role above.",
    TaskType.other: "Return {output}.",
}


def three_cs(p: Profile, method: str) -> list[ChecklistItem]:
    clarity = [
        CLARITY_BY_TASK[p.task_type],
        "Put the instruction first and the input last, with clear delimiters.",
    ]
    if p.task_type == TaskType.classification and p.num_labels:
        clarity.append(
            f"Define each of the {p.num_labels} labels in one line, with the boundary cases."
        )
    context = ["Say who the output is for and why it is needed."]
    if p.labeled_examples > 0:
        k = min(8, max(2, (p.num_labels or 2) * 2))
        context.append(
            f"Add {k} representative examples from the {p.labeled_examples:,} labeled ones (few-shot)."
        )
    if SHIFT_LEVEL[p.domain_shift] >= 1:
        context.append(
            f"{p.domain_shift.value.capitalize()} domain shift: include a short glossary of domain terms."
        )
    if p.goal in (Goal.knowledge, Goal.both):
        context.append(
            "Retrieve the relevant documents and place them in the prompt instead of relying on memory."
        )
    constraints = ["State the output length and tone explicitly."]
    if p.output_format == OutputFormat.structured:
        constraints.append(
            "Give the exact JSON schema, use the provider's structured-output mode, and validate."
        )
    if p.latency_ms:
        constraints.append(
            f"Latency target {p.latency_ms} ms: keep the prompt short; cache the fixed prefix."
        )
    if method == "cot":
        constraints.append(
            "Ask for brief reasoning before the final answer, and parse only the final line."
        )
    return [
        ChecklistItem(name=name, advice=advice)
        for name, advice in zip(THREE_CS, (clarity, context, constraints), strict=True)
    ]


def prompt_skeleton(p: Profile, method: str) -> str:
    labels = ", ".join(f"<label {i}>" for i in range(1, (p.num_labels or 3) + 1))
    output = OUTPUT_LINE[p.task_type].format(
        fields="<field 1>, <field 2>",
        length="<N words>",
        tone="<tone>",
        output="<the expected output>",
    )
    if p.output_format == OutputFormat.structured and p.task_type != TaskType.extraction:
        output += " Respond as JSON matching: <schema>."
    lines = [
        f"You are <role> helping <audience> with a {p.task_type.value} task.",
        "",
        "# Task (clarity)",
        "<one imperative sentence saying what to do>",
    ]
    if p.task_type == TaskType.classification:
        lines.append(f"Allowed labels: {labels}")
    lines += ["", "# Background (context)", "<who this is for, domain terms, relevant documents>"]
    if method in ("few-shot", "3c") and p.labeled_examples > 0:
        lines += ["", "# Examples", "Input: <example input 1>", "Output: <example output 1>", "..."]
    lines += ["", "# Rules (constraints)", output, "<tone, length, what never to do>"]
    if method == "cot":
        lines.append("Think step by step briefly, then give the final answer on the last line.")
    lines += ["", "# Input", "<input>", "", "Output:"]
    return "\n".join(lines)


# ---------------------------------------------------------------- benchmark command


# Flags the benchmark takes to compare its measurement against the advice for the same profile.
def _profile_flags(p: Profile) -> list[str]:
    defaults = Profile()
    flags: list[str] = []
    for name in Profile.model_fields:
        value = getattr(p, name)
        if value == getattr(defaults, name) or value is None:
            continue
        flag = name.replace("_", "-")
        if isinstance(value, bool):
            flags.append(f"--{flag}" if value else f"--{flag.replace('can-', 'cannot-')}")
        else:
            value = getattr(value, "value", value)
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # 24.0 -> 24, as a user would type it
            flags += [f"--{flag}", str(value)]
    return flags


def benchmark_strategies(verdict: str, method: str, train_method: str) -> list[str]:
    prompts = ["zero-shot", "few-shot", "3c"]
    if method in PROMPT_METHODS and method not in prompts:
        prompts.append(method)
    if verdict == "prompt":
        # Still measure one cheap adapter: the benchmark's job is to confirm or contradict.
        return [*prompts, "lora"]
    return [*prompts, BENCHMARK_BACKEND.get(train_method, "lora")]


def benchmark_command(p: Profile, verdict: str, method: str, train_method: str) -> str:
    argv = [
        "advisor",
        "benchmark",
        "--data",
        "train.jsonl",
        "--test",
        "test.jsonl",
        "--strategies",
        ",".join(benchmark_strategies(verdict, method, train_method)),
        *_profile_flags(p),
    ]
    return shlex.join(argv)


# ---------------------------------------------------------------- entry point


def build_guidance(profile: Profile, verdict: str, method: str, score: float) -> Guidance:
    """Aspects, challenges, plan and validation command for a scored profile.

    ``score`` (the engine's signed total) is part of the interface but deliberately unused:
    every judgement here follows from the profile through the tables above, so it can be
    explained without the rule set that produced the score.
    """
    train_method = _train_method(verdict, method, profile)
    hp = hyperparameters(profile, train_method)
    aspects = judge_aspects(profile, method)
    challenges = rate_challenges(profile, train_method, hp)
    if verdict == "fine-tune":
        plan = Plan(
            kind="fine-tune", steps=fine_tuning_steps(profile, train_method, hp), hyperparameters=hp
        )
    else:
        prompt_method = method if method in PROMPT_METHODS else "3c"
        plan = Plan(
            kind="prompt",
            checklist=three_cs(profile, prompt_method),
            prompt_skeleton=prompt_skeleton(profile, prompt_method),
        )
        if verdict == "prompt-then-fine-tune":
            # Prompt now, with the fine-tune ready for when data or volume grows.
            plan.steps = fine_tuning_steps(profile, train_method, hp)
            plan.hyperparameters = hp
    return Guidance(
        aspects=aspects,
        challenges=challenges,
        plan=plan,
        benchmark_command=benchmark_command(profile, verdict, method, train_method),
    )
