"""Prompt strategies: each turns task data into an lm-eval task config and its documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from advisor.bench import lmtask
from advisor.bench.inputs import demo_paths
from advisor.components import Example, TaskData
from advisor.data import load_task_data
from advisor.plugins import get_plugins


def _strategies():
    return {s.name: s for s in get_plugins().prompt_strategies()}


def _tiny(kind: str = "tickets", n_train: int = 24, n_test: int = 6) -> tuple[TaskData, TaskData]:
    train_path, test_path = demo_paths(kind)
    train = load_task_data(train_path)
    test = load_task_data(test_path)
    train = train.model_copy(update={"examples": train.examples[:n_train]})
    test = test.model_copy(update={"examples": test.examples[:n_test], "labels": train.labels})
    return train, test


def _build(name: str, train, test, task_dir: Path, **opts):
    options = {"task_dir": task_dir, "task_name": lmtask.task_name("t", name), "seed": 0, **opts}
    config = _strategies()[name].build_task(train, test, options)
    path = lmtask.write_task(task_dir, config)
    docs = [json.loads(x) for x in (task_dir / f"{config['task']}.jsonl").read_text().splitlines()]
    return config, path, docs


def test_builtin_strategies_are_registered():
    assert {"zero-shot", "few-shot", "3c", "cot"} <= set(_strategies())
    assert _strategies()["cot"].task_types == ["generation"]


def test_classification_becomes_multiple_choice(tmp_path):
    train, test = _tiny()
    config, path, docs = _build("zero-shot", train, test, tmp_path)
    assert config["output_type"] == "multiple_choice"
    assert config["doc_to_choice"] == train.labels
    assert config["dataset_path"] == "json"
    assert Path(config["dataset_kwargs"]["data_files"]["test"]).exists()
    assert len(docs) == len(test.examples)
    for doc, ex in zip(docs, test.examples, strict=True):
        assert train.labels[doc["target"]] == ex.output
        assert doc["prompt"].endswith("Answer:") and ex.input in doc["prompt"]
    assert yaml.safe_load(path.read_text())["task"] == config["task"]


def test_few_shot_is_seeded_and_uses_k_training_examples(tmp_path):
    train, test = _tiny()
    _, _, docs = _build("few-shot", train, test, tmp_path / "a", shots=4)
    _, _, again = _build("few-shot", train, test, tmp_path / "b", shots=4)
    _, _, other = _build("few-shot", train, test, tmp_path / "c", shots=4, seed=7)
    prompt = docs[0]["prompt"]
    assert prompt == again[0]["prompt"]
    assert prompt != other[0]["prompt"]
    shown = [ex for ex in train.examples if f"Input: {ex.input}\nAnswer: {ex.output}" in prompt]
    assert len(shown) == 4
    assert len({ex.output for ex in shown}) == 4  # labels take turns


def test_three_c_has_clarity_context_constraints(tmp_path):
    train, test = _tiny()
    _, _, docs = _build("3c", train, test, tmp_path)
    prompt = docs[0]["prompt"]
    assert prompt.startswith("Instruction:")
    assert "Context:" in prompt and f"{len(train.examples)} labeled examples" in prompt
    assert "Constraints:" in prompt and ", ".join(train.labels) in prompt


def test_generation_task_scores_exact_match_and_token_f1(tmp_path):
    train, test = _tiny("extraction")
    config, path, docs = _build("cot", train, test, tmp_path)
    assert config["output_type"] == "generate_until"
    text = path.read_text()
    assert "process_results: !function advisor_metrics.process_results" in text
    assert (tmp_path / "advisor_metrics.py").exists()
    assert docs[0]["target"] == test.examples[0].output
    assert docs[0]["prompt"].endswith("Reasoning:")
    from advisor.bench.task_metrics import process_results

    target = test.examples[0].output
    assert process_results({"target": target}, [f"It has an id.\nAnswer: {target}"]) == {
        "exact_match": 1.0,
        "token_f1": 1.0,
    }
    half = process_results({"target": "order_id=A-1 item=lamp"}, ["order_id=A-1 item=desk"])
    assert half["exact_match"] == 0.0 and 0.5 < half["token_f1"] < 1.0


def test_three_c_describes_structured_output(tmp_path):
    train, test = _tiny("extraction")
    _, _, docs = _build("3c", train, test, tmp_path)
    assert "order_id=... item=..." in docs[0]["prompt"]


def test_task_names_are_safe():
    assert lmtask.task_name("My Data!", "few-shot") == "advisor_my_data_few_shot"
    data = TaskData(name="x", task_type="generation", examples=[Example(input="a", output="b")])
    assert data.labels is None


@pytest.mark.slow
def test_plain_lm_eval_cli_runs_the_generated_task_and_agrees(tmp_path):
    """The YAML runs unchanged with the lm_eval CLI; its accuracy equals the in-process runner's."""
    import os
    import subprocess
    import sys

    from advisor_lmeval.runner import run
    from advisor_peft.models import load_model

    loaded = load_model()
    assert loaded.path is not None
    train, test = _tiny(n_test=12)
    config, _, _ = _build("zero-shot", train, test, tmp_path / "tasks")
    out = tmp_path / "out"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    cli = Path(sys.executable).with_name("lm_eval")
    proc = subprocess.run(
        [str(cli), "--model", "hf", "--model_args", f"pretrained={loaded.path}", "--device", "cpu",
         "--include_path", str(tmp_path / "tasks"), "--tasks", config["task"], "--batch_size", "8",
         "--output_path", str(out)],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    result_files = list(out.rglob("results*.json"))
    assert result_files, proc.stdout[-1000:]
    cli_acc = json.loads(result_files[0].read_text())["results"][config["task"]]["acc,none"]
    mine = run(loaded, tmp_path / "tasks", config["task"])
    assert len(mine["examples"]) == 12
    assert mine["metrics"]["acc"] == pytest.approx(cli_acc, abs=1e-9)
    assert mine["metrics"]["acc"] == pytest.approx(
        sum(e.scores["acc"] for e in mine["examples"]) / 12
    )
