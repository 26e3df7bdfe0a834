"""The ``advisor benchmark`` command that would confirm or contradict the advice."""

from __future__ import annotations

import shlex

from advisor.guidance.methods_view import (
    BENCHMARK_BACKEND,
    BENCHMARK_PROMPTS,
    DEFAULT_ADAPTER,
    PROMPT_METHODS,
)
from advisor.methods import load_methods
from advisor.profile import Profile


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
    prompts = list(BENCHMARK_PROMPTS)
    if method in PROMPT_METHODS and method not in prompts:
        prompts.append(method)
    if verdict == "prompt":
        # Still measure one cheap adapter: the benchmark's job is to confirm or contradict.
        return [*prompts, DEFAULT_ADAPTER]
    return [*prompts, BENCHMARK_BACKEND.get(train_method, DEFAULT_ADAPTER)]


def surrogate_note(method: str, strategies: list[str]) -> str:
    """A shell comment naming what runs instead of ``method`` and why, when the benchmark
    cannot run the method itself (rag, qlora without CUDA, a provider's tuning)."""
    found = [m for m in load_methods() if m.name == method]
    if not found or method in strategies:
        return ""
    bench = found[0].benchmark
    if bench.surrogate not in strategies:
        return ""
    return f"  # {method} is measured by its surrogate {bench.surrogate}: {bench.reason}"


def benchmark_command(p: Profile, verdict: str, method: str, train_method: str) -> str:
    strategies = benchmark_strategies(verdict, method, train_method)
    argv = [
        "advisor",
        "benchmark",
        "--data",
        "train.jsonl",
        "--test",
        "test.jsonl",
        "--strategies",
        ",".join(strategies),
        *_profile_flags(p),
    ]
    return shlex.join(argv) + surrogate_note(method, strategies)
