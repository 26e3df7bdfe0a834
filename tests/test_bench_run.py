"""The whole benchmark on the embedded model with tiny data: verdict, reports and resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from advisor.bench.inputs import demo_paths
from advisor.bench.run import run_benchmark
from advisor.bench.schema import Advice, BenchmarkOptions
from advisor.components import PromptStrategy
from advisor.errors import UsageError
from advisor.hookspecs import hookimpl
from advisor.plugins import Plugins
from advisor.testing import plugin_manager_with


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

    get = Plugins.get  # looks components up through this spy's own methods

    def __init__(self) -> None:
        from advisor.plugins import get_plugins

        self.real = get_plugins()
        self.evaluated: list[str] = []
        self.trained: list[str] = []

    def __getattr__(self, name: str) -> Any:  # rules, resolve_model, prompt strategies...
        return getattr(self.real, name)

    def benchmarks(self) -> list[Any]:
        def wrap(run):
            def spy(model, suite, task_dir, **kw):
                self.evaluated.append(suite.name)
                return run(model, suite, task_dir, **kw)

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


def _fake_options(tmp_path: Path, **extra: Any) -> BenchmarkOptions:
    train, test = demo_paths("tickets")
    values: dict[str, Any] = dict(
        data=train, test=test, output=tmp_path / "run", model="fake", runner="fake",
        strategies=["zero-shot", "fake-ft"], limit=10, train_limit=30, progress=False,
    )  # fmt: skip
    return BenchmarkOptions(**{**values, **extra})


def test_a_third_party_model_source_never_imports_the_built_in_model_plugins(tmp_path):
    """Model, runner and backend all from the fake plugin (forgetting included): the core
    reaches them only through the contracts, so peft, lm-eval and torch stay unimported."""
    script = f"""
import sys
from pathlib import Path
from advisor.bench.run import run_benchmark
from advisor.testing import plugin_manager_with
from test_bench_run import _fake_options

plugins = plugin_manager_with(["evidence", "prompts"], modules={{"fake": "fake_plugin"}})
results = run_benchmark(_fake_options(Path({str(tmp_path)!r})), plugins=plugins)
assert results.complete and results.forgetting is not None, results
heavy = sorted(m for m in sys.modules if m.split(".")[0] in
               ("advisor_peft", "advisor_lmeval", "torch", "transformers", "peft", "lm_eval"))
print("IMPORTED", heavy)
"""
    tests = str(Path(__file__).parent)
    path = os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": path}, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "IMPORTED []" in out.stdout


def test_resume_scores_only_what_is_missing_and_recommends_once(tmp_path, monkeypatch):
    """Each stage skips what results.json holds; `recommend` runs once per benchmark."""
    import fake_plugin

    import advisor.engine

    scored: list[str] = []
    real_run, real_recommend = fake_plugin._run, advisor.engine.recommend
    advised: list[Any] = []

    def spy_run(model, suite, task_dir, **kw):
        scored.append(suite.strategy + ("+tuned" if model.tuned else ""))
        return real_run(model, suite, task_dir, **kw)

    def spy_recommend(*args, **kw):
        advised.append(args)
        return real_recommend(*args, **kw)

    monkeypatch.setattr(fake_plugin, "_run", spy_run)
    monkeypatch.setattr(advisor.engine, "recommend", spy_recommend)
    plugins = plugin_manager_with(["evidence", "prompts"], modules={"fake": "fake_plugin"})
    first = run_benchmark(_fake_options(tmp_path, forgetting=False), plugins=plugins)
    assert scored == ["zero-shot", "zero-shot+tuned"] and len(advised) == 1
    scored.clear()
    again = run_benchmark(
        _fake_options(
            tmp_path, strategies=["zero-shot", "3c", "fake-ft"], forgetting=False, resume=True
        ),
        plugins=plugins,
    )
    assert scored == ["3c"] and len(advised) == 2
    assert [s.name for s in again.strategies] == ["zero-shot", "3c", "fake-ft"]
    assert again.get("fake-ft") == first.get("fake-ft")
    assert again.complete and again.verdict is not None


class _PlainPrompt:
    """A prompt-strategy plugin without a 'zero-shot'."""

    @hookimpl
    def advisor_prompt_strategies(self) -> list[PromptStrategy]:
        from advisor_prompts.strategies import three_c

        return [
            PromptStrategy(name="plain", description="3C under another name.", build_suite=three_c)
        ]


def test_fine_tunes_without_a_zero_shot_strategy_are_a_clear_error(tmp_path):
    plugins = plugin_manager_with(["evidence"], modules={"fake": "fake_plugin"})
    plugins.register(_PlainPrompt(), name="plain")
    options = _fake_options(tmp_path, strategies=["plain", "fake-ft"])
    with pytest.raises(UsageError, match="no plugin provides a prompt strategy named 'zero-shot'"):
        run_benchmark(options, plugins=plugins)
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_prompts_and_lora_give_verdict_reports_and_resume(tmp_path):
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
    assert isinstance(results.recommendation, Advice) and results.recommendation.verdict
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
def test_adapter_evaluation_leaves_the_base_unchanged(tmp_path):
    """attach() scores with the adapter (the logits of the model the adapter was saved from)
    on the shared base, without a copy of it, and leaves the base untouched."""
    import copy

    import torch
    from advisor_peft import attach as peft_attach
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
        donor_logits = donor.eval()(ids).logits
        with peft_attach.attach(loaded, tmp_path / "adapter") as tuned:
            assert type(tuned.model).__name__ == "PeftModel"
            assert tuned.model.get_base_model() is loaded.model  # no copy of the base
            tuned_logits = tuned.model(ids).logits
        after_logits = loaded.model(ids).logits
    assert not torch.allclose(base_logits, tuned_logits)
    assert torch.allclose(donor_logits, tuned_logits, atol=1e-4)
    assert torch.equal(base_logits, after_logits)
    after = loaded.model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
