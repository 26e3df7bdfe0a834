"""Bad input to `advisor benchmark`: one line naming the problem, exit code 2, no traceback."""

from __future__ import annotations

import json

from click.testing import CliRunner

from advisor.cli import cli


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _run(*args):
    result = CliRunner().invoke(cli, ["benchmark", "--quiet", *args])
    return result.exit_code, result.output


def test_test_labels_missing_from_train(tmp_path):
    train = _write(
        tmp_path / "train.jsonl",
        [{"text": f"t{i}", "label": "a" if i % 2 else "b"} for i in range(6)],
    )
    test = _write(
        tmp_path / "test.jsonl", [{"text": "x", "label": "a"}, {"text": "y", "label": "zebra"}]
    )
    code, out = _run("--data", str(train), "--test", str(test), "--output", str(tmp_path / "run"))
    assert code == 2
    assert "test labels missing from the training data: zebra" in out
    assert "Traceback" not in out
    assert not (tmp_path / "run").exists()


def test_empty_file(tmp_path):
    train = tmp_path / "train.jsonl"
    train.write_text("", encoding="utf-8")
    code, out = _run("--data", str(train), "--output", str(tmp_path / "run"))
    assert code == 2
    assert "train.jsonl" in out and "empty" in out
    assert "Traceback" not in out


def test_unknown_strategy_lists_available(tmp_path):
    code, out = _run("--strategies", "zero-shot,telepathy", "--output", str(tmp_path / "run"))
    assert code == 2
    assert "unknown strategy 'telepathy'" in out
    for name in ("zero-shot", "few-shot", "3c", "cot", "lora"):
        assert name in out.split("available:")[1]


def test_strategy_for_wrong_task_type(tmp_path):
    code, out = _run("--strategies", "cot", "--output", str(tmp_path / "run"))
    assert code == 2
    assert "'cot' supports generation tasks, not classification" in out


def test_existing_run_needs_resume(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text("{}", encoding="utf-8")
    code, out = _run("--strategies", "zero-shot", "--output", str(run))
    assert code == 2
    assert "not a results file" in out or "--resume" in out


def test_resume_needs_output():
    code, out = _run("--resume")
    assert code == 2 and "--resume needs --output" in out


def test_bad_profile_file_fails_before_any_work(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("bogus: 1\n", encoding="utf-8")
    code, out = _run("--profile", str(profile), "--output", str(tmp_path / "run"))
    assert code == 2
    assert "unknown field 'bogus'" in out
    assert "Traceback" not in out
    assert not (tmp_path / "run").exists()
