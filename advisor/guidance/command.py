"""The ``advisor benchmark`` command that would confirm or contradict the advice."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from advisor.guidance.methods_view import (
    BENCHMARK_BACKEND,
    BENCHMARK_PROMPTS,
    DEFAULT_ADAPTER,
    PLANNED_PROMPTS,
    RAG,
)
from advisor.methods import load_methods
from advisor.profile import Profile

# Prompts that show --shots demonstrations when named on their own.
SHOT_PROMPTS = ("few-shot", "3c", RAG)


@dataclass(frozen=True)
class BenchmarkInputs:
    """The data and model the user gave ``recommend``; the command runs on the same."""

    data: str | None = None
    test: str | None = None
    model: str | None = None

    def flags(self) -> list[str]:
        # Placeholders when no file was given: the user's own split is what confirms advice.
        out = ["--data", self.data or "train.jsonl"]
        if self.test or not self.data:
            out += ["--test", self.test or "test.jsonl"]
        return out + (["--model", self.model] if self.model else [])


# Flags the benchmark takes to compare its measurement against the advice for the same profile.
def profile_flags(p: Profile) -> list[str]:
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
    if method in PLANNED_PROMPTS and method not in prompts:
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


def benchmark_command(
    p: Profile,
    verdict: str,
    method: str,
    train_method: str,
    *,
    shots: int | None = None,
    inputs: BenchmarkInputs | None = None,
) -> str:
    """The command that measures the advice: the recommended method (or its surrogate) against
    the tuned prompt or fine-tune, on the user's data and model."""
    argv = [
        "advisor",
        "benchmark",
        *(inputs or BenchmarkInputs()).flags(),
    ]
    strategies = benchmark_strategies(verdict, method, train_method)
    # Shots matter only to a prompt named on its own (the tuned arm chooses its own k). No
    # --epochs: the benchmark trains to convergence, the fair fight the advice is judged by.
    if shots is not None and any(s in SHOT_PROMPTS for s in strategies):
        argv += ["--shots", str(shots)]
    # The profile flags come last, right after the strategies (recommend takes them as is).
    if RAG in strategies:  # a placeholder, like the data's: the passages rag retrieves from
        argv += ["--documents", "documents.jsonl"]
    command = shlex.join([*argv, "--strategies", ",".join(strategies), *profile_flags(p)])
    return command + surrogate_note(method, strategies)
