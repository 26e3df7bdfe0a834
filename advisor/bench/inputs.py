"""Resolving what a benchmark runs on: the data (validated, limited) and the strategies."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.bench.suites import TUNED_PROMPT, combined_name
from advisor.components import PromptStrategy, TaskData, TrainingBackend
from advisor.data import load_task_data, split
from advisor.errors import DataError, UsageError
from advisor.methods import PLAIN_PROMPT

DEMO_ROOT = Path(__file__).resolve().parents[1] / "data" / "demo"
DEFAULT_DEMO = "tickets"
DEMO_TRAIN_LIMIT = 240


@dataclass(frozen=True)
class BoundPrompt:
    """A prompt strategy scored on another model source than the run's (``few-shot@api``)."""

    strategy: PromptStrategy
    source: str

    @property
    def name(self) -> str:
        return f"{self.strategy.name}@{self.source}"


@dataclass
class Lineup:
    """The strategies of one run, in the order they run: prompts (those bound to another
    model right after the run model's), baselines, fine-tunes, and the combined arms (each
    fine-tune scored with the tuned prompt)."""

    prompts: list[PromptStrategy]
    baselines: list[PromptStrategy]
    fine_tunes: list[TrainingBackend]
    combined: list[str] = field(default_factory=list)
    # Prompts scored for reference only: the plain prompt whose format fine-tunes train on.
    reference: list[str] = field(default_factory=list)
    bound: list[BoundPrompt] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        prompts = [s.name for s in (*self.prompts, *self.bound)]
        rest = [s.name for s in (*self.baselines, *self.fine_tunes)]
        return [*prompts, *self.reference, *rest, *self.combined]

    @property
    def tuned_prompt(self) -> PromptStrategy | None:
        return next((s for s in self.prompts if s.name == TUNED_PROMPT), None)


def demo_paths(name: str = DEFAULT_DEMO) -> tuple[Path, Path]:
    folder = DEMO_ROOT / name
    return folder / "train.jsonl", folder / "test.jsonl"


def _subset(data: TaskData, limit: int | None, seed: int) -> TaskData:
    """A seeded random subset (the same rows for the same seed), in a shuffled order."""
    examples = list(data.examples)
    random.Random(seed).shuffle(examples)
    if limit is not None:
        examples = examples[:limit]
    return data.model_copy(update={"examples": examples})


def load_data(
    data: Path | None,
    test: Path | None,
    *,
    limit: int | None = None,
    train_limit: int | None = None,
    seed: int = 0,
    test_fraction: float = 0.2,
) -> tuple[TaskData, TaskData]:
    """Train and test sets, checked for what the benchmark needs."""
    if data is None and test is not None:
        raise UsageError("--test needs --data (the training file)")
    if data is None:
        # The demo must finish in minutes on 2 cores: a few hundred training examples.
        data, test = demo_paths()
        train_limit = train_limit or DEMO_TRAIN_LIMIT
    train_set = load_task_data(data)
    if test is None:
        train_set, test_set = split(train_set, test_fraction, seed)
        if not test_set.examples or not train_set.examples:
            raise DataError(f"{data}: too few examples to split into train and test")
    else:
        test_set = load_task_data(test)
    if test_set.task_type != train_set.task_type:
        raise DataError(
            f"{test}: a {test_set.task_type} file, but {data} is a {train_set.task_type} file"
        )
    train_set = _subset(train_set, train_limit, seed)
    test_set = _subset(test_set, limit, seed + 1)
    if train_set.task_type == "classification":
        train_labels = sorted({e.output for e in train_set.examples})
        missing = sorted({e.output for e in test_set.examples} - set(train_labels))
        if missing:
            where = " (after --train-limit)" if train_limit else ""
            raise DataError(
                f"test labels missing from the training data{where}: {', '.join(missing)}; "
                "a prompt could name them but a fine-tune cannot learn them"
            )
        if len(train_labels) < 2:
            raise DataError(f"{data}: classification needs at least 2 labels, found {train_labels}")
        train_set = train_set.model_copy(update={"labels": train_labels})
        test_set = test_set.model_copy(update={"labels": train_labels})
    name = Path(str(data)).parent.name if Path(str(data)).stem == "train" else Path(str(data)).stem
    return (
        train_set.model_copy(update={"name": name}),
        test_set.model_copy(update={"name": name}),
    )


def resolve_strategies(
    names: list[str], task_type: str, plugins: Any, *, combined: bool = True
) -> Lineup:
    """Match each name to a prompt strategy or training backend from any plugin; with
    ``combined``, a tuned prompt and fine-tunes add the combined arms."""
    prompts = {s.name: s for s in plugins.prompt_strategies()}
    backends = {b.name: b for b in plugins.training_backends()}
    if not names:
        raise UsageError("no strategies given")
    lineup = Lineup([], [], [])
    seen: set[str] = set()
    for full in names:
        if full in seen:
            continue
        seen.add(full)
        name, at, source = full.partition("@")
        if at and not source:
            raise UsageError(f"'{full}': name a model source after '@' (e.g. few-shot@api)")
        if source and name not in prompts:
            raise UsageError(
                f"'{full}': only a prompt strategy can name a model source after '@'; "
                f"prompt strategies: {', '.join(sorted(prompts)) or 'none'}"
            )
        if name in prompts:
            strategy = prompts[name]
            if task_type not in strategy.task_types:
                raise UsageError(
                    f"strategy '{name}' supports {', '.join(strategy.task_types)} tasks, "
                    f"not {task_type}"
                )
            if source:
                if strategy.kind == "baseline":
                    raise UsageError(f"'{full}': baseline '{name}' uses no language model")
                lineup.bound.append(BoundPrompt(strategy, source))
            else:
                kind = lineup.baselines if strategy.kind == "baseline" else lineup.prompts
                kind.append(strategy)
        elif name in backends:
            lineup.fine_tunes.append(backends[name])
        else:
            available = ", ".join(sorted(prompts) + sorted(backends)) or "none"
            raise UsageError(f"unknown strategy '{name}'; available: {available}")
    if combined and lineup.tuned_prompt is not None:
        lineup.combined = [combined_name(b.name) for b in lineup.fine_tunes]
    if lineup.fine_tunes and PLAIN_PROMPT not in seen:
        lineup.reference = [PLAIN_PROMPT]
    return lineup
