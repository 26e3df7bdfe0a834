"""The whole benchmark on the embedded model with tiny data: verdict, reports and resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from advisor.bench.inputs import demo_paths
from advisor.bench.schema import BenchmarkOptions


def _tiny_files(tmp_path: Path, per_label_train: int = 4, n_test: int = 12) -> tuple[Path, Path]:
    """A copy of a few demo tickets in ``tmp_path/tiny`` (so the dataset is named 'tiny')."""
    folder = tmp_path / "tiny"
    folder.mkdir(exist_ok=True)
    train_path, test_path = demo_paths("tickets")
    counts: dict[str, int] = {}
    train_rows = []
    for line in train_path.read_text().splitlines():
        row = json.loads(line)
        if counts.get(row["label"], 0) < per_label_train:
            counts[row["label"]] = counts.get(row["label"], 0) + 1
            train_rows.append(line)
    test_rows = test_path.read_text().splitlines()[:n_test]
    (folder / "train.jsonl").write_text("\n".join(train_rows) + "\n")
    (folder / "test.jsonl").write_text("\n".join(test_rows) + "\n")
    return folder / "train.jsonl", folder / "test.jsonl"


class SpyPlugins:
    """The real plugins, with runner and backend calls recorded."""

    def __init__(self) -> None:
        from advisor.plugins import get_plugins

        self.real = get_plugins()
        self.evaluated: list[str] = []
        self.trained: list[str] = []

    def prompt_strategies(self) -> list[Any]:
        return self.real.prompt_strategies()

    def models(self) -> list[Any]:
        return self.real.models()

    def benchmarks(self) -> list[Any]:
        def wrap(run):
            def spy(loaded, task_dir, task, **kw):
                self.evaluated.append(task)
                return run(loaded, task_dir, task, **kw)

            return spy

        return [r.model_copy(update={"run": wrap(r.run)}) for r in self.real.benchmarks()]

    def training_backends(self) -> list[Any]:
        def wrap(name, train):
            def spy(*a, **kw):
                self.trained.append(name)
                return train(*a, **kw)

            return spy

        return [
            b.model_copy(update={"train": wrap(b.name, b.train)})
            for b in self.real.training_backends()
        ]


@pytest.mark.slow
def test_prompts_and_lora_give_verdict_reports_and_resume(tmp_path):
    from advisor.bench.run import run_benchmark

    train, test = _tiny_files(tmp_path)
    out = tmp_path / "run"
    options = BenchmarkOptions(
        data=train, test=test, output=out, strategies=["zero-shot", "few-shot", "lora"],
        shots=2, max_steps=1, limit=None, progress=False, forgetting=False,
    )  # fmt: skip
    spy = SpyPlugins()
    results = run_benchmark(options, plugins=spy)
    assert [s.name for s in results.strategies] == ["zero-shot", "few-shot", "lora"]
    assert spy.trained == ["lora"]
    for s in results.strategies:
        assert s.n == 12 and len(s.examples) == 12
        assert 0.0 <= s.metrics["acc"] <= 1.0
        assert s.usd_per_1k_queries and s.usd_per_1k_queries > 0
    few, zero = results.get("few-shot"), results.get("zero-shot")
    assert few.prompt_tokens > zero.prompt_tokens
    assert few.usd_per_1k_queries > zero.usd_per_1k_queries
    lora = results.get("lora")
    assert lora.task == zero.task  # scored on exactly the zero-shot task
    assert (Path(lora.artifact) / "adapter_config.json").exists()
    assert results.comparison is not None and results.comparison.fine_tune == "lora"
    assert results.verdict is not None and results.verdict.outcome in (
        "confirmed", "contradicted", "inconclusive",
    )  # fmt: skip
    assert results.recommendation and "verdict" in results.recommendation
    assert results.profile["labeled_examples"] == 24 and results.profile["num_labels"] == 6
    assert results.verdict.outcome.upper() in (out / "report.md").read_text()
    assert "<svg" in (out / "report.html").read_text()
    assert sorted(p.name for p in (out / "tasks").glob("*.yaml")) == [
        "advisor_tiny_few_shot.yaml", "advisor_tiny_zero_shot.yaml",
    ]  # fmt: skip
    saved = json.loads((out / "results.json").read_text())
    assert saved["complete"] and len(saved["strategies"]) == 3

    # Resume with one more strategy: only 3c runs; nothing is retrained or re-scored.
    spy2 = SpyPlugins()
    again = run_benchmark(
        options.model_copy(
            update={"strategies": ["zero-shot", "few-shot", "3c", "lora"], "resume": True}
        ),
        plugins=spy2,
    )
    assert spy2.evaluated == ["advisor_tiny_3c"] and spy2.trained == []
    assert [s.name for s in again.strategies] == ["zero-shot", "few-shot", "3c", "lora"]
    assert again.get("lora").examples == lora.examples


@pytest.mark.slow
def test_adapter_evaluation_leaves_the_base_unchanged(tmp_path, monkeypatch):
    """attached() scores with the adapter and leaves the base untouched, both ways: merged into
    a copy (small models) and attached to the shared base then removed (large models)."""
    import copy

    import torch
    from advisor_lmeval import runner
    from advisor_peft.models import load_model
    from peft import LoraConfig, get_peft_model

    loaded = load_model()
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    # A random (non-zero) adapter saved to disk, as a backend would leave it.
    donor = get_peft_model(
        copy.deepcopy(loaded.model),
        LoraConfig(r=2, target_modules=["q_proj"], init_lora_weights=False),
    )
    donor.save_pretrained(tmp_path / "adapter")
    ids = loaded.tokenizer("Hello there", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        base_logits = loaded.model(ids).logits
        with runner.attached(loaded, tmp_path / "adapter") as model:
            merged_logits = model(ids).logits
        monkeypatch.setattr(runner, "MERGE_COPY_MAX_PARAMS", 0)
        with runner.attached(loaded, tmp_path / "adapter") as model:
            assert type(model).__name__ == "PeftModel"
            tuned_logits = model(ids).logits
        after_logits = loaded.model(ids).logits
    assert not torch.allclose(base_logits, tuned_logits)
    assert torch.allclose(merged_logits, tuned_logits, atol=1e-4)
    assert torch.equal(base_logits, after_logits)
    after = loaded.model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
