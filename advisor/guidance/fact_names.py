"""The names guidance.yaml may read: every Profile field and the derived facts below.

A Profile field reads as its plain value (an enum as its string, ``"classification"``);
``advisor.guidance.facts`` computes the values, the file adds its named conditions and phrases.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum

from advisor.guidance.methods_view import KNOWN_METHODS
from advisor.profile import Profile


@dataclass(frozen=True)
class Derived:
    """Facts computed from the profile, the method being judged and the plan's hyperparameters."""

    method: str  # the method judged: the recommended one for aspects, the training one else
    provider_tuning: bool  # the model provider trains it (api-fine-tune)
    has_gpu: bool
    params_b: float  # model size, the assumed default when the profile gives none
    size_b: str  # params_b as text: "7", "0.1"
    gpu_gb: str  # gpu_memory_gb as text
    budget: str  # budget_usd as text
    lora_gb: float  # training memory of LoRA, QLoRA and `method` (the cost model's figure)
    qlora_gb: float
    method_gb: float
    method_gb_per_gpu: float  # sharded over the profile's GPUs, as the hard constraints count
    change_level: int  # the profile's ordered levels, 0 = rarely / low / none
    shift_level: int
    expertise_level: int
    who: str  # the expertise in words: "ml engineer"
    Task_type: str  # capitalised, to start a sentence
    Domain_shift: str
    examples_per_label: int | None  # with num_labels
    few_shot_k: int  # examples to put in a few-shot prompt (the plan's, the cost table's)
    lora_allowed: bool  # the hard constraints leave LoRA, QLoRA, the provider's tuning
    qlora_allowed: bool
    provider_allowed: bool
    lora_fits: bool  # per GPU, sharded over the profile's GPUs: the cost table's fits column
    qlora_fits: bool
    cpu_trainable: bool  # a model known to be small enough to fine-tune on CPU
    adapter: str  # the adapter to suggest, by name: the first of LoRA, QLoRA, (IA)3 allowed, or ""
    break_even: int | None  # the cost table's break-even, queries a month (None: never)
    label_slots: str  # "<label 1>, <label 2>, ..." for the skeleton
    n_val: int  # the plan's split of the labeled examples
    n_train: int
    # The plan's hyperparameters (advisor.components.TrainConfig fields).
    epochs: float
    learning_rate: float
    batch_size: int
    grad_accum: int
    weight_decay: float
    warmup_ratio: float
    scheduler: str
    validation_fraction: float
    eval_every: int
    patience: int
    max_length: int
    lora_r: int
    # The retrieval plan of a rag prompt (the rag method's hyperparameters, methods.yaml).
    rag_top_k: int
    rag_chunk_tokens: int
    rag_overlap_tokens: int
    rag_tokens: int  # retrieved tokens per prompt: what the cost table counts
    rag_retriever: str  # "BM25"
    # Self-serve fine-tuning on the run's day (data/providers.yaml).
    tuning_providers: str  # who offers it, who is closing, and the path left


FACT_NAMES: frozenset[str] = frozenset(Profile.model_fields) | {f.name for f in fields(Derived)}
# The values an enumerated fact can take, to catch a misspelt value in a condition.
FACT_VALUES: dict[str, frozenset[str]] = {
    name: frozenset(m.value for m in info.annotation)
    for name, info in Profile.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, Enum)
} | {"method": frozenset(KNOWN_METHODS)}
