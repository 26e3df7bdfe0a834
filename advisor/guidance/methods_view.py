"""The method names guidance refers to, in one place.

A stand-in until the methods are defined once as data: then these become imports from there.
"""

from __future__ import annotations

ADAPTER_METHODS = ("lora", "qlora", "ia3")
TRAIN_METHODS = (*ADAPTER_METHODS, "full")
# The adapters that take a LoRA rank, alpha and dropout.
LORA_METHODS = ("lora", "qlora")
# Tuning through the model provider's service (api_only models): nothing trains locally.
API_TUNING = "api-fine-tune"
PROMPT_METHODS = ("zero-shot", "few-shot", "3c", "cot")
# The prompt strategies every suggested benchmark runs, and the prompt plan's default.
BENCHMARK_PROMPTS = ("zero-shot", "few-shot", "3c")
DEFAULT_PROMPT = "3c"
# The adapter a benchmark measures when nothing else is to be trained.
DEFAULT_ADAPTER = "lora"
# The built-in training backends; qlora is benchmarked as lora on machines without bitsandbytes.
# An api-fine-tune is approximated locally by LoRA on the benchmark's model.
BENCHMARK_BACKEND = {
    "lora": "lora",
    "qlora": "lora",
    "ia3": "ia3",
    "full": "full",
    API_TUNING: "lora",
}
# Every method name guidance.yaml may test `method` against.
KNOWN_METHODS = (*PROMPT_METHODS, *TRAIN_METHODS, API_TUNING)
