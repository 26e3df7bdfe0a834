"""The retrieval arm: --documents, the rag strategy's passages and prompts, the knowledge-base
demo it is measured on."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.components import SuiteOptions
from advisor.data import load_documents, load_task_data
from advisor.errors import DataError, UsageError
from advisor.plugins import get_plugins

ROOT = Path(__file__).resolve().parents[1]
KB = ROOT / "advisor" / "data" / "demo" / "kb"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _kb_suite(shots: int = 0, documents: list[dict] | None = None):
    rag = {s.name: s for s in get_plugins().prompt_strategies()}["rag"]
    train, test = load_task_data(KB / "train.jsonl"), load_task_data(KB / "test.jsonl")
    docs = load_documents(KB / "documents.jsonl") if documents is None else documents
    options = SuiteOptions(name="kb_rag", shots=shots, documents=docs)
    return rag.build_suite(train, test, options), test


def test_each_question_gets_the_article_that_answers_it():
    suite, test = _kb_suite()
    by_id = {d["id"]: d["text"] for d in _rows(KB / "documents.jsonl")}
    assert suite.task_type == "generation" and suite.generation is not None
    for doc in suite.docs:
        first = doc.prompt.split("Passage 1 (", 1)[1].split(")", 1)[0]
        assert doc.target in by_id[first], doc.input  # the best passage holds the answer
        assert doc.prompt.count("Passage ") == 3
        assert doc.prompt.endswith(f"Input: {doc.input}\nAnswer:")
    assert len(suite.docs) == len(test.examples)


def test_shots_show_a_passage_then_a_solved_question():
    suite, _ = _kb_suite(shots=2)
    prompt = suite.docs[0].prompt
    # Two solved examples (one passage each), then the question's three passages.
    assert prompt.count("Passage 1 (") == 3 and prompt.count("Answer:") == 3
    assert "2 shots" in suite.description


def test_rag_without_documents_says_which_flag_to_pass():
    with pytest.raises(UsageError, match="--documents FILE"):
        _kb_suite(documents=[])


def test_long_documents_become_overlapping_passages():
    from advisor_prompts.rag import CHUNK_WORDS, OVERLAP_WORDS, passages

    words = [f"w{i}" for i in range(CHUNK_WORDS + 50)]
    out = passages([{"text": " ".join(words), "id": "long"}, {"text": "short one"}])
    assert [p.source for p in out] == ["long", "long", "2"]  # no id: its position
    assert out[0].text.split()[-OVERLAP_WORDS:] == out[1].text.split()[:OVERLAP_WORDS]
    assert out[1].text.split()[-1] == words[-1]  # nothing lost at the end
    assert (
        passages([{"text": " ".join(words[:CHUNK_WORDS])}])[0].text.split() == words[:CHUNK_WORDS]
    )


def test_documents_file_errors_name_the_line(tmp_path: Path):
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": 1, "text": "fine"}\n{"title": "no text"}\n')
    with pytest.raises(DataError, match=r"docs.jsonl:2: a document needs a non-empty 'text'"):
        load_documents(path)
    path.write_text('{"id": 7, "text": "fine", "extra": 1}\n')
    assert load_documents(path) == [{"text": "fine", "id": "7"}]
    path.write_text("\n")
    with pytest.raises(DataError, match="holds no documents"):
        load_documents(path)


def test_benchmark_refuses_a_missing_documents_file_before_any_work(tmp_path: Path):
    args = ["benchmark", "--strategies", "rag", "--output", str(tmp_path / "run")]
    result = CliRunner().invoke(cli, [*args, "--documents", str(tmp_path / "absent.jsonl")])
    assert result.exit_code == 2 and "--documents file" in result.output
    assert not (tmp_path / "run").exists()


def test_benchmark_with_rag_and_no_documents_is_one_clear_line(tmp_path: Path):
    args = ["benchmark", "--data", str(KB / "train.jsonl"), "--test", str(KB / "test.jsonl")]
    result = CliRunner().invoke(cli, [*args, "--strategies", "rag", "--output", str(tmp_path)])
    assert result.exit_code == 2 and "pass --documents FILE" in result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- the knowledge-base demo


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_kb_demo", ROOT / "scripts" / "make_kb_demo.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kb_generator_reproduces_committed_files():
    files = _generator().build()
    assert {p.name for p in files} == {"documents.jsonl", "train.jsonl", "test.jsonl"}
    for path, text in files.items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is stale: run scripts/make_kb_demo.py"
        )


def test_kb_facts_come_from_the_documents_and_tests_are_new_phrasings():
    documents = _rows(KB / "documents.jsonl")
    train, test = _rows(KB / "train.jsonl"), _rows(KB / "test.jsonl")
    assert 60 <= len(documents) <= 120 and len({d["id"] for d in documents}) == len(documents)
    text = "\n".join(d["text"] for d in documents)
    assert all(row["output"] in text for row in train + test)
    train_questions = {row["input"] for row in train}
    assert not train_questions & {row["input"] for row in test}
    # Every tested fact was trained on (in another phrasing): a fine-tune could know it.
    assert {row["output"] for row in test} <= {row["output"] for row in train}
    assert len(load_task_data(KB / "test.jsonl").examples) == len(test)


def test_documents_without_a_single_word_are_a_clear_error():
    with pytest.raises(UsageError, match="no document has a word"):
        _kb_suite(documents=[{"text": "! ? 1"}])
