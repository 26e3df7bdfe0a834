"""Prompt strategies: each turns task data into a PromptSuite, which the lmeval runner writes as
an lm-eval task config and its documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from advisor.bench.inputs import demo_paths
from advisor.bench.suites import task_name
from advisor.components import Example, LoadedModel, PromptSuite, SuiteOptions, TaskData
from advisor.data import load_task_data
from advisor.errors import UsageError
from advisor.plugins import get_plugins


class _TaskLoader(yaml.SafeLoader):
    """Reads lm-eval's ``!function`` tag as the plain string it stands for."""


_TaskLoader.add_constructor(
    "!function", lambda loader, node: f"!function {loader.construct_scalar(node)}"
)


def _strategies():
    return {s.name: s for s in get_plugins().prompt_strategies()}


def _tiny(kind: str = "tickets", n_train: int = 24, n_test: int = 6) -> tuple[TaskData, TaskData]:
    train_path, test_path = demo_paths(kind)
    train = load_task_data(train_path)
    test = load_task_data(test_path)
    train = train.model_copy(update={"examples": train.examples[:n_train]})
    test = test.model_copy(update={"examples": test.examples[:n_test], "labels": train.labels})
    return train, test


def _suite(name: str, train, test, **opts) -> PromptSuite:
    options = SuiteOptions(name=task_name("t", name), **opts)
    return _strategies()[name].build_suite(train, test, options)


def _build(name: str, train, test, task_dir: Path, **opts):
    """The strategy's suite, written by the lmeval runner: (config, YAML path, JSONL docs)."""
    from advisor_lmeval.tasks import write_task

    task = write_task(_suite(name, train, test, **opts), task_dir)
    path = task_dir / f"{task}.yaml"
    config = yaml.load(path.read_text(), Loader=_TaskLoader)  # noqa: S506 - a SafeLoader
    docs = [json.loads(x) for x in (task_dir / f"{task}.jsonl").read_text().splitlines()]
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
    assert task_name("My Data!", "few-shot") == "advisor_my_data_few_shot"
    data = TaskData(name="x", task_type="generation", examples=[Example(input="a", output="b")])
    assert data.labels is None


def test_suites_are_runner_neutral():
    train, test = _tiny()
    suite = _suite("few-shot", train, test, shots=3)
    assert (suite.name, suite.strategy, suite.task_type) == (
        "advisor_t_few_shot",
        "few-shot",
        "classification",
    )
    assert suite.description == "3-shot prompt"
    assert suite.choices == train.labels and suite.generation is None
    assert [d.target for d in suite.docs] == [ex.output for ex in test.examples]  # labels
    assert [d.line for d in suite.docs] == [ex.line for ex in test.examples]
    gen_train, gen_test = _tiny("extraction")
    cot = _suite("cot", gen_train, gen_test)
    assert cot.choices is None and cot.generation is not None
    assert cot.generation.until == ["\n\n", "Input:"]
    three_c = _suite("3c", gen_train, gen_test)
    assert three_c.generation.until == ["\n"]
    assert cot.generation.max_tokens == three_c.generation.max_tokens + 64


def test_lmeval_writes_documents_with_the_label_index_as_target(tmp_path):
    train, test = _tiny()
    config, _, docs = _build("zero-shot", train, test, tmp_path)
    assert list(docs[0]) == ["id", "line", "input", "prompt", "target", "label"]
    assert docs[0]["label"] == test.examples[0].output
    assert config["doc_to_choice"][docs[0]["target"]] == docs[0]["label"]
    gen_train, gen_test = _tiny("extraction")
    _, _, gen_docs = _build("3c", gen_train, gen_test, tmp_path)
    assert list(gen_docs[0]) == ["id", "line", "input", "prompt", "target"]


def test_lmeval_refuses_a_label_outside_the_choices(tmp_path):
    from advisor_lmeval.tasks import write_task

    train, test = _tiny()
    suite = _suite("zero-shot", train, test)
    suite.docs[0].target = "no-such-label"
    with pytest.raises(UsageError, match="not one of the choices"):
        write_task(suite, tmp_path)


def test_lmeval_runner_scores_only_hugging_face_models(tmp_path):
    from advisor_lmeval.runner import run

    class Remote(LoadedModel):
        name = "remote-api"

        def count_tokens(self, texts):
            return [len(t.split()) for t in texts]

        def score_choices(self, requests, *, batch_size=16):
            return [[0.0] * len(r.choices) for r in requests]

        def nll_per_char(self, texts):
            return 1.0

    runner = get_plugins().get("runner", "lmeval")
    train, test = _tiny()
    suite = _suite("zero-shot", train, test)
    assert runner.write_task(suite, tmp_path) == suite.name
    with pytest.raises(UsageError, match="scores Hugging Face models; remote-api is not one"):
        run(Remote(), suite, tmp_path)


@pytest.mark.slow
def test_plain_lm_eval_cli_runs_the_generated_task_and_agrees(tmp_path):
    """The YAML runs unchanged with the lm_eval CLI; its accuracy equals the in-process runner's."""
    import os
    import subprocess
    import sys

    plugins = get_plugins()
    loaded = plugins.resolve_model(None).load()
    assert loaded.path is not None
    device = str(next(loaded.model.parameters()).device)
    train, test = _tiny(n_test=12)
    suite = _suite("zero-shot", train, test)
    runner = plugins.get("runner", "lmeval")
    task = runner.write_task(suite, tmp_path / "tasks")
    out = tmp_path / "out"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    cli = Path(sys.executable).with_name("lm_eval")
    proc = subprocess.run(
        [str(cli), "--model", "hf", "--model_args", f"pretrained={loaded.path}", "--device", device,
         "--include_path", str(tmp_path / "tasks"), "--tasks", task, "--batch_size", "8",
         "--output_path", str(out)],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    result_files = list(out.rglob("results*.json"))
    assert result_files, proc.stdout[-1000:]
    cli_acc = json.loads(result_files[0].read_text())["results"][task]["acc,none"]
    mine = runner.run(loaded, suite, tmp_path / "tasks")
    assert len(mine.examples) == 12
    assert mine.metrics["acc"] == pytest.approx(cli_acc, abs=1e-9)
    assert mine.metrics["acc"] == pytest.approx(sum(e.scores["acc"] for e in mine.examples) / 12)
