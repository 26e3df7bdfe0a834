"""A plugin with a fake model, runner and training backend: the whole benchmark pipeline runs
in a second, with no torch, and its ``results.json`` is deterministic (see test_goldens.py).

Predictions depend only on the suite name, whether the model is a fine-tune, and each
example's prompt, through a stable hash, so a change of orchestration that keeps the
behaviour keeps every number.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from advisor.components import (
    BenchmarkRunner,
    ChoiceRequest,
    ExampleResult,
    LoadedModel,
    ModelSource,
    Progress,
    PromptSuite,
    RunOutput,
    TaskData,
    TrainConfig,
    TrainingBackend,
    TrainResult,
)
from advisor.hookspecs import hookimpl

ADVISOR_HOOKSPEC = "2.0"


def _stable(*parts: str) -> int:
    return int(hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:8], 16)


class FakeModel(LoadedModel):
    """No weights: tokens are words, and a choice's log-probability is a hash of it."""

    def __init__(self, name: str = "fake", *, tuned: bool = False) -> None:
        self.name = name
        self.tuned = tuned

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def score_choices(
        self, requests: Sequence[ChoiceRequest], *, batch_size: int = 16
    ) -> list[list[float]]:
        return [
            [-float(_stable(r.context, c, str(self.tuned)) % 100) for c in r.choices]
            for r in requests
        ]

    def nll_per_char(self, texts: Sequence[str]) -> float:
        # A fine-tune's general-text loss is 3% higher: mild forgetting, for the reports.
        return 1.03 if self.tuned else 1.0


def _pause() -> None:
    """FAKE_DELAY_S slows each scoring and training call (the kill test needs time to strike)."""
    delay = float(os.environ.get("FAKE_DELAY_S", "0"))
    if delay:
        time.sleep(delay)


def _run(
    model: FakeModel,
    suite: PromptSuite,
    task_dir: Path,
    *,
    batch_size: int = 8,
    on_progress: Progress | None = None,
) -> RunOutput:
    _pause()
    labels = sorted({d.target for d in suite.docs})
    # A fine-tune is right 4 times in 5; a prompt once in 3 (then it picks a label by hash).
    right_in = 5 if model.tuned else 3
    examples = []
    for i, doc in enumerate(suite.docs):
        h = _stable(suite.name, str(model.tuned), doc.prompt)
        ok = (h % right_in != 0) if model.tuned else (h % right_in == 0)
        pred = doc.target if ok else labels[h % len(labels)]
        examples.append(
            ExampleResult(
                doc_id=i,
                target=doc.target,
                prediction=pred,
                scores={"acc": float(pred == doc.target)},
            )
        )
        if on_progress:
            on_progress(i + 1, len(suite.docs))
    acc = sum(e.scores["acc"] for e in examples) / max(len(examples), 1)
    return RunOutput(metrics={"acc": acc}, examples=examples, seconds=0.0)


def _write_task(suite: PromptSuite, task_dir: Path) -> str:
    return suite.name  # scores the suite in memory: nothing to write


def _train(
    base: LoadedModel,
    data: TaskData,
    config: TrainConfig | None,
    output_dir: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    validation: TaskData | None = None,
) -> TrainResult:
    _pause()
    config = config or TrainConfig()
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fake-adapter.json").write_text(json.dumps({"examples": len(data.examples)}))
    steps = max(1, len(data.examples) // config.batch_size)
    train_loss = [(s, round(2.0 / s, 4)) for s in range(1, steps + 1)]
    validation = [(s, round(2.2 / s + 0.01 * s, 4)) for s in range(1, steps + 1)]
    return TrainResult(
        output_dir=out,
        method=config.method,
        steps=steps,
        train_loss=train_loss,
        validation_loss=validation,
        best_step=min(validation, key=lambda p: p[1])[0],
        epochs=1.0,
        converged=len(validation) > 1,
        stop_reason="fake: the curve's minimum",
        metric="loss",
        validation_metric=validation,
        best_score=min(p[1] for p in validation),
    )


@contextlib.contextmanager
def _attach(base: LoadedModel, artifact: Path) -> Iterator[LoadedModel]:
    if not (Path(artifact) / "fake-adapter.json").exists():
        raise FileNotFoundError(f"no fake adapter in {artifact}")
    yield FakeModel(tuned=True)


def _source() -> ModelSource:
    return ModelSource(name="fake", description="No weights.", location="-", load=FakeModel)


@hookimpl
def advisor_models() -> list[ModelSource]:
    return [_source()]


@hookimpl
def advisor_resolve_model(name: str | None) -> ModelSource | None:
    return _source() if name == "fake" else None


@hookimpl
def advisor_benchmarks() -> list[BenchmarkRunner]:
    return [
        BenchmarkRunner(
            name="fake", description="Hash-based predictions.", write_task=_write_task, run=_run
        )
    ]


@hookimpl
def advisor_training_backends() -> list[TrainingBackend]:
    return [
        TrainingBackend(
            name="fake-ft",
            description="Writes a marker file.",
            method="lora",
            memory_gb=lambda params_b: 2.0 * params_b,
            train=_train,
            attach=_attach,
        )
    ]
