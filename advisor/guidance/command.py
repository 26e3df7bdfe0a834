"""The ``advisor benchmark`` command that would confirm or contradict the advice."""

from __future__ import annotations

import shlex

from advisor.guidance.methods_view import (
    BENCHMARK_BACKEND,
    BENCHMARK_PROMPTS,
    DEFAULT_ADAPTER,
    PROMPT_METHODS,
)
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
