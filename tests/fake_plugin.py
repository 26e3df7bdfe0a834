"""A plugin with a fake model, runner and training backend: the whole benchmark pipeline runs
in a second, with no torch, and its ``results.json`` is deterministic (see test_goldens.py).

Predictions depend only on the example text and the strategy, through a stable hash, so a
change of orchestration that keeps the behaviour keeps every number.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from advisor.components import (
    BenchmarkRunner,
    LoadedModel,
    ModelSource,
    TrainingBackend,
    TrainResult,
)
from advisor.hookspecs import hookimpl

ADVISOR_HOOKSPEC = "1.0"


def _stable(*parts: str) -> int:
    return int(hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:8], 16)


class WhitespaceTokenizer:
    """Counts words: enough for prompt lengths and costs."""

    def __call__(self, text: str) -> dict[str, list[int]]:
        return {"input_ids": [_stable(w) % 1000 for w in text.split()]}


class FakeModel(LoadedModel):
    """No weights: counts words, scores every choice by its length."""

    def __init__(self, name: str = "fake") -> None:
        self.name = name

    def count_tokens(self, texts):
        return [len(t.split()) for t in texts]

    def score_choices(self, requests, *, batch_size=16):
        return [[-float(len(c)) for c in r.choices] for r in requests]

    def nll_per_char(self, texts):
        return 1.0


def _load() -> LoadedModel:
    return FakeModel()


def _docs(task_dir: Path, task: str) -> list[dict[str, Any]]:
    text = (Path(task_dir) / f"{task}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


def _run(loaded, task_dir, task, *, artifact=None, batch_size=8, on_progress=None, **_):
    from advisor.bench.schema import ExampleResult

    docs = _docs(Path(task_dir), task)
    labels = sorted({str(d.get("label", d.get("target"))) for d in docs})
    # A fine-tune is right 4 times in 5; a prompt once in 3 (then it picks a label by hash).
    right_in = 5 if artifact else 3
    examples = []
    for i, doc in enumerate(docs):
        target = str(doc.get("label", doc.get("target")))
        h = _stable(task, str(artifact is not None), doc.get("prompt", ""))
        ok = (h % right_in != 0) if artifact else (h % right_in == 0)
        pred = target if ok else labels[h % len(labels)]
        examples.append(
            ExampleResult(
                doc_id=i, target=target, prediction=pred, scores={"acc": float(pred == target)}
            )
        )
        if on_progress:
            on_progress(i + 1, len(docs))
    acc = sum(e.scores["acc"] for e in examples) / max(len(examples), 1)
    return {"metrics": {"acc": acc}, "examples": examples, "seconds": 0.0}


def _train(base, data, config, output_dir, resume=False, progress=True) -> TrainResult:
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fake-adapter.json").write_text(json.dumps({"examples": len(data.examples)}))
    steps = max(1, len(data.examples) // config.batch_size)
    train_loss = [(s, round(2.0 / s, 4)) for s in range(1, steps + 1)]
    validation = [(s, round(2.2 / s + 0.01 * s, 4)) for s in range(1, steps + 1, 2)]
    return TrainResult(
        output_dir=out,
        method=config.method,
        steps=steps,
        train_loss=train_loss,
        validation_loss=validation,
        best_step=min(validation, key=lambda p: p[1])[0],
    )


@hookimpl
def advisor_models() -> list[ModelSource]:
    return [ModelSource(name="fake", description="No weights.", location="-", load=_load)]


@hookimpl
def advisor_benchmarks() -> list[BenchmarkRunner]:
    return [BenchmarkRunner(name="fake", description="Hash-based predictions.", run=_run)]


@hookimpl
def advisor_training_backends() -> list[TrainingBackend]:
    return [
        TrainingBackend(
            name="fake-ft",
            description="Writes a marker file.",
            method="lora",
            memory_gb=lambda params_b: 2.0 * params_b,
            train=_train,
        )
    ]
