"""The fair fight's prompt side: the validation split, demonstration selection, the search on
validation only, the tuned and combined arms, budgets, resume and the version refusal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fake_plugin
import pytest
from advisor_prompts.selection import nearest_shots
from advisor_prompts.strategies import few_shot, three_c
from test_goldens import run_fake_benchmark

from advisor.bench import prompt_search as ps
from advisor.bench import stages
from advisor.bench.schema import (
    DEFAULT_STRATEGIES,
    PromptCandidate,
    PromptConfig,
    StrategyResult,
)
from advisor.bench.validation import carve_validation, validation_size
from advisor.bench.verdict import compare
from advisor.components import Example, ExampleResult, PromptSuite, SuiteOptions, TaskData
from advisor.errors import UsageError

STRATEGIES = ["tuned-prompt", "fake-ft"]


def _data(n: int, labels: tuple[str, ...] = ("a", "b", "c")) -> TaskData:
    examples = [Example(input=f"text {i}", output=labels[i % len(labels)]) for i in range(n)]
    return TaskData(name="d", task_type="classification", examples=examples, labels=sorted(labels))


# ------------------------------------------------------------------ the validation split


def test_validation_size_is_a_fifth_within_bounds():
    assert [validation_size(n) for n in (0, 19, 20, 40, 200, 1000)] == [0, 0, 8, 8, 40, 100]


def test_validation_split_is_seeded_stratified_and_disjoint_from_the_rest():
    train = _data(90)
    rest, validation = carve_validation(train, seed=3)
    assert validation is not None and len(validation.examples) == 18
    inputs = [e.input for e in rest.examples], [e.input for e in validation.examples]
    assert not set(inputs[0]) & set(inputs[1])
    assert sorted(inputs[0] + inputs[1]) == sorted(e.input for e in train.examples)
    assert {e.output for e in validation.examples} == {"a", "b", "c"}  # every label
    again = carve_validation(train, seed=3)[1]
    assert again is not None and again.examples == validation.examples
    assert carve_validation(_data(19), seed=3) == (_data(19), None)


def test_validation_split_has_its_size_and_leaves_every_label_in_training():
    rest, validation = carve_validation(_data(42, tuple("abcdef")), seed=0)
    assert validation is not None and len(validation.examples) == 8  # 6 labels of 7 rows
    assert {e.output for e in rest.examples} == set("abcdef")
    single = _data(25, tuple("abcdefghijklmnopqrstuvwxy"))  # one row per label: none to spare
    assert carve_validation(single, seed=0) == (single, None)


# ------------------------------------------------------------------ demonstrations


def _train_for_neighbours() -> TaskData:
    texts = [
        ("my parcel never arrived at the address", "shipping"),
        ("the invoice charged me twice this month", "billing"),
        ("app crashes when I open the settings", "technical"),
        ("please refund my order, it was broken", "refund"),
    ]
    examples = [Example(input=t, output=label) for t, label in texts]
    return TaskData(
        name="t", task_type="classification", examples=examples, labels=sorted(x[1] for x in texts)
    )


def test_nearest_picks_the_similar_example_last():
    train = _train_for_neighbours()
    picked = nearest_shots(train, ["I was charged twice on my invoice", "the app crashes"], 2)
    assert picked[0][-1].output == "billing" and picked[1][-1].output == "technical"
    assert all(len(p) == 2 for p in picked)


@pytest.mark.parametrize("build", [few_shot, three_c])
def test_few_shot_and_3c_honour_shots_and_selection(build):
    train = _train_for_neighbours()
    test = train.model_copy(
        update={"examples": [Example(input="the invoice charged me twice", output="billing")]}
    )
    near = build(train, test, SuiteOptions(name="n", shots=1, selection="nearest"))
    assert "the invoice charged me twice this month" in near.docs[0].prompt
    none = build(train, test, SuiteOptions(name="z", shots=0))
    assert all(e.input not in none.docs[0].prompt for e in train.examples)
    if build is three_c:
        assert near.docs[0].prompt.startswith("Instruction:")


# ------------------------------------------------------------------ the search


def test_grid_has_18_classification_and_19_generation_candidates():
    assert len(ps.grid("classification")) == 18 == len(set(ps.grid("classification")))
    assert len(ps.grid("generation")) == 19
    assert ps.grid("classification")[0] == PromptConfig(strategy="zero-shot", shots=0)


def test_choose_takes_the_best_then_the_shorter_prompt():
    def cand(score: float, tokens: float, k: int) -> PromptCandidate:
        config = PromptConfig(strategy="few-shot", shots=k)
        return PromptCandidate(
            config=config, validation_score=score, prompt_tokens=tokens, seconds=0
        )

    pool = [cand(0.5, 10, 1), cand(0.7, 90, 2), cand(0.7, 40, 4), cand(0.7, 40, 8)]
    assert ps.choose(pool).config.shots == 4


class _Window(fake_plugin.FakeModel):
    @property
    def context_window(self) -> int | None:
        return 12


def test_a_prompt_that_does_not_fit_the_context_window_is_dropped():
    suite = PromptSuite(
        name="s", strategy="x", description="", task_type="classification", choices=["a", "b"],
        docs=[{"id": 0, "input": "i", "prompt": " ".join(["w"] * 11), "target": "a"}],
    )  # fmt: skip
    assert ps.fits(fake_plugin.FakeModel(), suite)  # no window known: everything fits
    assert ps.fits(_Window(), suite)  # 11 + 1
    longer = suite.model_copy(
        update={"docs": [suite.docs[0].model_copy(update={"prompt": "w " * 12})]}
    )
    assert not ps.fits(_Window(), longer)


def test_the_search_drops_configurations_that_overflow_the_context(tmp_path, monkeypatch):
    monkeypatch.setattr(fake_plugin.FakeModel, "context_window", property(lambda self: 60))
    results = run_fake_benchmark(tmp_path / "run", strategies=STRATEGIES)
    labels = [c.config.label for c in results.prompt_search]
    assert "zero-shot k=0" in labels and "3c k=0" not in labels  # 3C's sections are long
    assert 1 < len(labels) < 18 and all(c.prompt_tokens < 60 for c in results.prompt_search)


def _record_runs(monkeypatch) -> list[dict[str, Any]]:
    """Every suite the fake runner scores: folder, name, inputs, prompts, tuned or not."""
    runs: list[dict[str, Any]] = []
    real = fake_plugin._run

    def spy(model, suite, task_dir, **kw):
        runs.append(
            {
                "dir": Path(task_dir).name,
                "name": suite.name,
                "inputs": [d.input for d in suite.docs],
                "prompts": [d.prompt for d in suite.docs],
                "tuned": model.tuned,
            }
        )
        return real(model, suite, task_dir, **kw)

    monkeypatch.setattr(fake_plugin, "_run", spy)
    return runs


def test_prompt_selection_never_touches_the_test_set(tmp_path, monkeypatch):
    runs = _record_runs(monkeypatch)
    carved: list[tuple[TaskData, TaskData | None]] = []

    def spy_carve(train, seed):
        carved.append((train, *carve_validation(train, seed)))
        return carved[-1][1:]

    monkeypatch.setattr(stages, "carve_validation", spy_carve)
    results = run_fake_benchmark(tmp_path / "run", strategies=STRATEGIES)
    whole, rest, validation = carved[0]
    test_inputs = {d for r in runs if r["dir"] == "tasks" for d in r["inputs"]}
    val_inputs = {e.input for e in validation.examples}
    assert val_inputs <= {e.input for e in whole.examples}  # carved from train
    assert not val_inputs & test_inputs and not val_inputs & {e.input for e in rest.examples}
    searched = [r for r in runs if r["dir"] == "validation_tasks"]
    assert len(searched) == 18 == len(results.prompt_search)
    for r in searched:  # scored on validation rows only, demonstrations from the rest
        assert set(r["inputs"]) <= val_inputs
        assert not any(t in p for p in r["prompts"] for t in test_inputs)
    # The chosen configuration met the test set once, after the whole search.
    tuned_runs = [
        i
        for i, r in enumerate(runs)
        if r["name"] == "advisor_tickets_tuned_prompt" and not r["tuned"]
    ]
    last_search = max(i for i, r in enumerate(runs) if r["dir"] == "validation_tasks")
    assert len(tuned_runs) == 1 and tuned_runs[0] > last_search
    assert results.data.validation_examples == len(validation.examples) == 12


def test_search_picks_the_best_on_validation_and_the_combined_arm_uses_it(tmp_path, monkeypatch):
    runs = _record_runs(monkeypatch)
    real = fake_plugin._run
    best = "val_3c_k2_nearest"

    def rigged(model, suite, task_dir, **kw):
        out = real(model, suite, task_dir, **kw)
        if Path(task_dir).name == "validation_tasks":  # one configuration wins on validation
            out.metrics["acc"] = 1.0 if suite.name.endswith(best) else 0.0
        return out

    monkeypatch.setattr(fake_plugin, "_run", rigged)
    results = run_fake_benchmark(tmp_path / "run", strategies=STRATEGIES)
    chosen = PromptConfig(strategy="3c", shots=2, selection="nearest")
    assert [c.config for c in results.prompt_search if c.chosen] == [chosen]
    tuned, combined = results.get("tuned-prompt"), results.get("fake-ft+prompt")
    assert tuned.config == chosen and tuned.validation_score == 1.0
    assert combined.kind == "combined" and combined.config == chosen
    assert combined.task == tuned.task == "advisor_tickets_tuned_prompt"
    assert [r["tuned"] for r in runs if r["name"] == tuned.task] == [False, True]
    assert tuned.budget.configurations == 18 and tuned.budget.validation_rows == 12
    assert combined.budget.steps == results.get("fake-ft").train.steps
    # Zero-shot is scored for reference (the fine-tune's format), not as a contender.
    assert results.get("zero-shot").reference
    assert results.comparison.prompt == "tuned-prompt"
    md = (tmp_path / "run" / "report.md").read_text()
    assert "## What each arm was tuned on" in md and "## Prompt search" in md
    assert "| 3c k=2 nearest | 1.000 |" in md and "chosen" in md
    assert "tuned-prompt (3c k=2 nearest)" in (tmp_path / "run" / "report.html").read_text()


def test_prompt_configs_is_the_search_budget_and_no_combined_turns_it_off(tmp_path):
    results = run_fake_benchmark(
        tmp_path / "run", strategies=STRATEGIES, prompt_configs=3, combined=False
    )
    assert [c.config.label for c in results.prompt_search] == [
        "zero-shot k=0", "3c k=0", "few-shot k=1 random",
    ]  # fmt: skip
    assert results.get("fake-ft+prompt") is None and results.get("tuned-prompt").budget


def test_resume_skips_finished_candidates(tmp_path, monkeypatch):
    out = tmp_path / "run"
    run_fake_benchmark(out, strategies=STRATEGIES)
    saved = json.loads((out / "results.json").read_text())
    saved["prompt_search"] = saved["prompt_search"][:13]  # stopped after 13 of 18
    saved["strategies"] = [s for s in saved["strategies"] if "prompt" not in s["name"]]
    (out / "results.json").write_text(json.dumps(saved))
    runs = _record_runs(monkeypatch)
    again = run_fake_benchmark(out, strategies=STRATEGIES, resume=True)
    assert len([r for r in runs if r["dir"] == "validation_tasks"]) == 5
    assert len(again.prompt_search) == 18 and again.get("fake-ft+prompt") is not None


def test_without_a_validation_split_the_tuned_prompt_is_the_few_shot_prompt(tmp_path):
    results = run_fake_benchmark(tmp_path / "run", strategies=STRATEGIES, train_limit=18)
    tuned = results.get("tuned-prompt")
    assert results.prompt_search == [] and results.data.validation_examples == 0
    assert tuned.config == PromptConfig(strategy="few-shot", shots=5)
    assert tuned.validation_score is None and tuned.budget.validation_rows == 0


def test_a_version_1_results_file_is_refused_on_resume(tmp_path):
    out = tmp_path / "run"
    run_fake_benchmark(out, strategies=STRATEGIES)
    saved = json.loads((out / "results.json").read_text())
    (out / "results.json").write_text(json.dumps({**saved, "version": 1}))
    with pytest.raises(UsageError, match=r"older advisor \(results version 1\); restart"):
        run_fake_benchmark(out, strategies=STRATEGIES, resume=True)


# ------------------------------------------------------------------ defaults and the verdict


def test_default_arms_are_the_tuned_prompt_and_lora():
    assert DEFAULT_STRATEGIES == ("tuned-prompt", "lora")


def _result(name: str, kind: str, right: list[int], **extra: Any) -> StrategyResult:
    examples = [
        ExampleResult(doc_id=i, target="a", prediction="a", scores={"acc": float(v)})
        for i, v in enumerate(right)
    ]
    acc = sum(right) / len(right)
    return StrategyResult(
        name=name, kind=kind, metrics={"acc": acc}, n=len(right), seconds=0, examples=examples, **extra
    )  # fmt: skip


def test_compare_counts_the_combined_arm_as_the_fine_tune_side_and_skips_references():
    arms = [
        _result("zero-shot", "prompt", [1, 1, 1, 1], reference=True),
        _result("tuned-prompt", "prompt", [1, 0, 0, 0]),
        _result("lora", "fine-tune", [1, 1, 0, 0]),
        _result("lora+prompt", "combined", [1, 1, 1, 0]),
    ]
    c = compare(arms, "acc")
    assert (c.prompt, c.fine_tune) == ("tuned-prompt", "lora+prompt")


# ------------------------------------------------------------------ the real thing, tiny


@pytest.mark.slow
def test_real_model_tunes_the_prompt_on_validation_and_scores_the_combined_arm(tmp_path):
    from test_bench_run import SpyPlugins, _tiny_files

    from advisor.bench.run import run_benchmark
    from advisor.bench.schema import BenchmarkOptions

    train, test = _tiny_files(tmp_path, per_label_train=7, n_test=20)  # 42 train, 20 test
    out = tmp_path / "run"
    options = BenchmarkOptions(
        data=train, test=test, output=out, strategies=["tuned-prompt", "lora"], limit=None,
        prompt_configs=4, max_steps=2, threads=1, forgetting=False, progress=False,
    )  # fmt: skip
    spy = SpyPlugins()
    results = run_benchmark(options, plugins=spy)
    assert results.data.validation_examples == 8 and results.data.train_examples == 34
    assert [c.config.label for c in results.prompt_search] == [
        "zero-shot k=0", "3c k=0", "few-shot k=1 random", "few-shot k=1 nearest",
    ]  # fmt: skip
    assert sum(c.chosen for c in results.prompt_search) == 1
    assert sorted(p.name for p in (out / "validation_tasks").glob("*.yaml")) == sorted(
        f"advisor_tiny_val_{c.config.strategy.replace('-', '_')}_k{c.config.shots}_"
        f"{c.config.selection}.yaml"
        for c in results.prompt_search
    )
    assert sorted(p.name for p in (out / "tasks").glob("*.yaml")) == [
        "advisor_tiny_tuned_prompt.yaml", "advisor_tiny_zero_shot.yaml",
    ]  # fmt: skip
    names = [s.name for s in results.strategies]
    assert names == ["tuned-prompt", "zero-shot", "lora", "lora+prompt"]
    tuned, combined = results.get("tuned-prompt"), results.get("lora+prompt")
    assert tuned.n == combined.n == 20 and combined.task == tuned.task
    assert combined.config == tuned.config and combined.kind == "combined"
    assert results.comparison is not None and results.comparison.prompt == "tuned-prompt"
    assert results.comparison.fine_tune in ("lora", "lora+prompt")


def test_a_large_split_is_searched_in_two_rounds_and_the_finalists_on_every_row(
    tmp_path, monkeypatch
):
    runs = _record_runs(monkeypatch)
    real = fake_plugin._run
    # Round one's leader is not round two's: the choice must come from the full rows.
    screen = {"few_shot_k1_random": 1.0, "few_shot_k2_nearest": 0.9}
    final = {"few_shot_k1_random": 0.5, "few_shot_k2_nearest": 0.95}

    def rigged(model, suite, task_dir, **kw):
        out = real(model, suite, task_dir, **kw)
        if Path(task_dir).name == "validation_tasks":
            table = screen if "_vals_" in suite.name else final
            out.metrics["acc"] = next((v for k, v in table.items() if suite.name.endswith(k)), 0.1)
        return out

    monkeypatch.setattr(fake_plugin, "_run", rigged)
    results = run_fake_benchmark(tmp_path / "run", strategies=STRATEGIES, train_limit=200)
    rows = results.data.validation_examples
    assert rows > 2 * ps.SCREEN_ROWS
    screened = [r for r in runs if "_vals_" in r["name"]]
    finals = [r for r in runs if r["dir"] == "validation_tasks" and "_vals_" not in r["name"]]
    assert len(screened) == 18 and all(len(r["inputs"]) == ps.SCREEN_ROWS for r in screened)
    assert len(finals) == ps.FINALISTS and all(len(r["inputs"]) == rows for r in finals)
    by_label = {c.config.label: c for c in results.prompt_search}
    assert len(results.prompt_search) == 18
    assert by_label["few-shot k=2 nearest"].chosen and by_label["few-shot k=2 nearest"].rows == rows
    assert by_label["few-shot k=1 random"].screen_score == 1.0
    assert sum(c.rows == ps.SCREEN_ROWS for c in results.prompt_search) == 18 - ps.FINALISTS
