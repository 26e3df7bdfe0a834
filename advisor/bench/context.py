"""What the stages of one benchmark run share: options, plugins, data, results and the model.

The stages (``advisor.bench.stages``) read and extend ``RunContext.results``; each saves it to
``results.json`` after its own work, so a run stopped anywhere resumes from the last save.
The shared base model is loaded on first need: a resumed run with nothing left to score
never loads it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.bench.endpoints import find_endpoint
from advisor.bench.inputs import Lineup
from advisor.bench.schema import RESULTS_VERSION, BenchmarkOptions, BenchmarkResults
from advisor.components import (
    BenchmarkRunner,
    LoadedModel,
    PromptSuite,
    TaskData,
    TrainingBackend,
)
from advisor.errors import UsageError
from advisor.files import write_atomic
from advisor.methods import PLAIN_PROMPT
from advisor.progress import phase

RESULTS = "results.json"
TASKS = "tasks"
# The prompt search's suites, beside TASKS rather than inside it: a runner indexing the test
# suites (lm-eval walks its folder) never sees them, and TASKS stays the test tasks alone.
VALIDATION_TASKS = "validation_tasks"
FINETUNES = "finetunes"
# Fine-tunes are trained and scored on the plain prompt's format (its strategy has its name).
ZERO_SHOT = PLAIN_PROMPT
# Options that decide what was measured: a resumed run must keep them.
RESUME_KEEPS = (
    "data",
    "test",
    "documents",
    "model",
    "limit",
    "train_limit",
    "seed",
    "shots",
    "epochs",
    "max_steps",
    "max_minutes",
    "chat_template",
    "min_steps",
    "patience",
    "prompt_configs",
    "endpoints",
)


@dataclass(frozen=True)
class Arm:
    """A prompt strategy's suite and the task name its runner wrote it under."""

    suite: PromptSuite
    task: str


@dataclass
class RunContext:
    options: BenchmarkOptions
    plugins: Any
    train: TaskData
    test: TaskData
    lineup: Lineup
    runner: BenchmarkRunner
    results: BenchmarkResults
    validation: TaskData | None = None
    arms: dict[str, Arm] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    loaded: LoadedModel | None = None
    # Models of other sources than the run's (``few-shot@api``), by source name.
    others: dict[str, LoadedModel] = field(default_factory=dict)

    @property
    def run_dir(self) -> Path:
        return self.options.output

    @property
    def task_dir(self) -> Path:
        return self.run_dir / TASKS

    @property
    def validation_task_dir(self) -> Path:
        return self.run_dir / VALIDATION_TASKS

    @property
    def zero_shot(self) -> Arm:
        return self.arms[ZERO_SHOT]

    def done(self) -> set[str]:
        return {s.name for s in self.results.strategies}

    def backend(self, name: str) -> TrainingBackend:
        return next(b for b in self.lineup.fine_tunes if b.name == name)

    def model(self, source: str | None = None) -> LoadedModel:
        """The base every strategy shares, loaded through its model plugin on first need;
        with ``source``, the model of that endpoint or model source (loaded once too)."""
        if source is not None:
            if source not in self.others:
                with phase(f"load model {source}", enabled=self.options.progress):
                    self.others[source] = self.model_source(source).load()
            return self.others[source]
        if self.loaded is None:
            start = time.perf_counter()
            with phase("load model", enabled=self.options.progress):
                loaded = self.plugins.resolve_model(self.options.model).load()
            if self.options.threads:
                loaded.set_threads(self.options.threads)
            if self.options.chat_template:
                loaded.use_chat_template()
            self.results.seconds["load_model"] = time.perf_counter() - start
            self.results.model = loaded.name
            self.results.model_params_b = loaded.params_b
            self.loaded = loaded
        return self.loaded

    def model_source(self, source: str) -> Any:
        """The ModelSource of a strategy's ``@source``: an endpoint of the options, else any
        model source or folder the plugins resolve (nothing is loaded yet)."""
        endpoint = find_endpoint(self.options.endpoints, source)
        return self.plugins.resolve_model(endpoint.locator() if endpoint else source)

    def runner_for(self, source: str | None) -> BenchmarkRunner:
        """An endpoint's own runner (a server is scored by generation), else the run's."""
        endpoint = find_endpoint(self.options.endpoints, source) if source else None
        return self.plugins.get("runner", endpoint.runner) if endpoint else self.runner

    def save(self) -> None:
        save_results(self.results, self.run_dir)


def save_results(results: BenchmarkResults, run_dir: Path) -> None:
    write_atomic(run_dir / RESULTS, results.model_dump_json(indent=1))


def load_results(run_dir: Path) -> BenchmarkResults | None:
    path = run_dir / RESULTS
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        version = json.loads(text).get("version")
    except (ValueError, AttributeError):
        version = None
    if isinstance(version, int) and version < RESULTS_VERSION:
        # Older runs tuned neither arm on a validation split: their numbers cannot be mixed in.
        raise UsageError(
            f"{path} was made by an older advisor (results version {version}); restart "
            "without --resume or use another --output"
        )
    try:
        return BenchmarkResults.model_validate_json(text)
    except ValueError as err:
        raise UsageError(
            f"{path} is not a results file of this version: {str(err).splitlines()[0]}"
        ) from None


def _kept(options: BenchmarkOptions, key: str) -> Any:
    """What must match for a resume; of an endpoint, the server and model only (its key
    variable, concurrency or timeout may change between the runs)."""
    if key == "endpoints":
        return [(e.name, e.base_url, e.model) for e in options.endpoints]
    return getattr(options, key)


def resume_from(previous: BenchmarkResults, results: BenchmarkResults, lineup: Lineup) -> None:
    """Carry what an earlier run of the same benchmark measured into ``results``."""
    old, new = previous.options, results.options
    changed = [k for k in RESUME_KEEPS if _kept(old, k) != _kept(new, k)]
    if changed or previous.data != results.data:
        what = ", ".join(changed) or "data"
        raise UsageError(
            f"{new.output} holds a benchmark with different {what}; use another --output"
        )
    results.strategies = [s for s in previous.strategies if s.name in lineup.names]
    results.model, results.model_params_b = previous.model, previous.model_params_b
    results.seconds = dict(previous.seconds)
    results.general_ability_before = previous.general_ability_before
    results.general_text_loss_before = previous.general_text_loss_before
    results.curve_points = list(previous.curve_points)
    results.prompt_search = list(previous.prompt_search)
