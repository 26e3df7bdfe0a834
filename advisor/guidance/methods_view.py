"""The method names guidance refers to, read from the method definitions (advisor.methods)."""

from __future__ import annotations

from advisor.methods import ADAPTER_METHODS, BENCHMARK_BACKEND, TRAIN_METHODS, load_methods, names
from advisor.methods import API_FINE_TUNE as API_TUNING

# The adapters that take a LoRA rank, alpha and dropout.
LORA_METHODS = tuple(m.name for m in load_methods() if m.rank is not None)
# Prompt methods for any goal (a goal-bound one, like rag, is planned where its goal is).
PROMPT_METHODS = tuple(m.name for m in load_methods() if m.kind == "prompt" and m.goal is None)
# Every prompt method a prompt plan can be written for, goal-bound ones included.
PLANNED_PROMPTS = tuple(m.name for m in load_methods() if m.kind == "prompt")
# Retrieval-augmented prompting: its plan names chunking, retriever, top-k and evaluation.
RAG = "rag"
# The prompt strategies every suggested benchmark runs, and the prompt plan's default.
# The tuned arm searches zero-shot, few-shot and 3C configurations on a validation split.
BENCHMARK_PROMPTS = ("tuned-prompt",)
DEFAULT_PROMPT = "3c"
# The adapter a benchmark measures when nothing else is to be trained.
DEFAULT_ADAPTER = "lora"
# Every method name guidance.yaml may test `method` against.
KNOWN_METHODS = names()

__all__ = [
    "ADAPTER_METHODS",
    "API_TUNING",
    "BENCHMARK_BACKEND",
    "BENCHMARK_PROMPTS",
    "DEFAULT_ADAPTER",
    "DEFAULT_PROMPT",
    "KNOWN_METHODS",
    "LORA_METHODS",
    "PLANNED_PROMPTS",
    "PROMPT_METHODS",
    "RAG",
    "TRAIN_METHODS",
]
