"""advisor.data: reading JSONL/CSV task files, field detection, errors with line numbers, splits."""

from __future__ import annotations

import json

import pytest

from advisor.data import load_task_data, split
from advisor.errors import DataError


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_classification_and_generation_are_detected(tmp_path):
    cls = load_task_data(write_jsonl(tmp_path / "c.jsonl", [{"text": "a", "label": "x"}] * 2))
    gen = load_task_data(write_jsonl(tmp_path / "g.jsonl", [{"input": "a", "output": "b c"}]))
    assert (cls.task_type, cls.labels) == ("classification", ["x"])
    assert (gen.task_type, gen.labels) == ("generation", None)


def test_csv_rows_keep_their_line_numbers(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("text,label\nhello,a\nworld,b\n", encoding="utf-8")
    data = load_task_data(p)
    assert [(e.input, e.output, e.line) for e in data.examples] == [
        ("hello", "a", 2),
        ("world", "b", 3),
    ]


def test_one_named_field_pairs_with_the_usual_other(tmp_path):
    rows = [{"text": "a", "label": "x", "topic": "p"}, {"text": "b", "label": "y", "topic": "q"}]
    data = load_task_data(write_jsonl(tmp_path / "d.jsonl", rows), label_field="topic")
    assert data.labels == ["p", "q"] and data.task_type == "classification"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "a", "label": "x"}\n{not json\n', ":2: not valid JSON"),
        ('{"text": "a", "label": "x"}\n{"text": "", "label": "y"}\n', ":2: empty 'text'"),
        ('{"text": "a", "label": "x"}\n{"text": "b"}\n', ":2: missing field 'label'"),
        ('{"question": "a", "answer": "x"}\n', ":1: no 'text'/'label'"),
        ("", "no examples"),
    ],
)
def test_bad_rows_name_the_line(tmp_path, content, message):
    p = tmp_path / "bad.jsonl"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message.replace("{", r"\{")):
        load_task_data(p)


def test_missing_file_and_unknown_suffix(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_task_data(tmp_path / "nope.jsonl")
    (tmp_path / "d.parquet").write_text("x")
    with pytest.raises(DataError, match="unsupported data file type"):
        load_task_data(tmp_path / "d.parquet")


def test_split_is_deterministic_stratified_and_disjoint(tmp_path):
    rows = [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(40)]
    data = load_task_data(write_jsonl(tmp_path / "d.jsonl", rows))
    train, test = split(data, 0.25, seed=3)
    again_train, again_test = split(data, 0.25, seed=3)
    assert [e.input for e in test.examples] == [e.input for e in again_test.examples]
    assert {e.input for e in train.examples}.isdisjoint({e.input for e in test.examples})
    assert len(train.examples) + len(test.examples) == 40
    assert sorted(e.output for e in test.examples) == ["a"] * 5 + ["b"] * 5
