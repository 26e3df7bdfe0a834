"""Bad input, class by class: each is refused at its root with one short line, never a
traceback or a hang (the fuzz test in test_fuzz.py looks for the classes no one listed)."""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path

import pytest
from fuzz_cases import ALIAS_BOMB

from advisor.data import iter_rows, load_task_data
from advisor.errors import MAX_ERROR_CHARS, DataError, UsageError, error_line, excerpt
from advisor.files import MAX_NESTING, parse_config, read_text
from advisor.profile import build_profile, read_profile_file
from advisor.testing import plugin_manager_with, run_advisor

pytestmark = pytest.mark.timeout(60)


def one_error_line(result, *needles: str) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and len(errors[0]) <= MAX_ERROR_CHARS, result.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


def rows_file(tmp_path: Path, name: str = "d.jsonl", n: int = 10) -> Path:
    path = tmp_path / name
    path.write_text(
        "".join(json.dumps({"text": f"t {i}", "label": "ab"[i % 2]}) + "\n" for i in range(n))
    )
    return path


# ---------------------------------------------------------------- reading text


def test_utf16_and_bom_files_are_decoded(tmp_path: Path):
    for codec, prefix in (("utf-16", b""), ("utf-8", codecs.BOM_UTF8)):
        path = tmp_path / f"p-{codec}.yaml"
        path.write_bytes(prefix + "labeled_examples: 123\n".encode(codec))
        assert read_profile_file(path) == {"labeled_examples": 123}
    csv = tmp_path / "excel.csv"
    csv.write_bytes(codecs.BOM_UTF8 + b"text,label\nhello,a\nworld,b\n")
    assert [r for _, r, _ in iter_rows(csv)][0] == {"text": "hello", "label": "a"}


def test_binary_files_are_not_text(tmp_path: Path):
    for name in ("p.yaml", "d.jsonl"):
        (tmp_path / name).write_bytes(b"\x93\x00\xff garbage")
    with pytest.raises(UsageError, match="not UTF-8 text"):
        read_profile_file(tmp_path / "p.yaml")
    with pytest.raises(DataError, match="not UTF-8 text"):
        list(iter_rows(tmp_path / "d.jsonl"))


def test_fifos_devices_and_folders_are_refused_before_opening(tmp_path: Path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)  # opening it would block until a writer comes
    with pytest.raises(DataError, match="not a regular file"):
        list(iter_rows(fifo))
    with pytest.raises(UsageError, match="not a regular file"):
        read_text("/dev/zero", "profile file")
    with pytest.raises(DataError, match="folder"):
        list(iter_rows(tmp_path))
    for args in (["profile", str(fifo)], ["recommend", "--data", str(fifo)]):
        one_error_line(run_advisor(*args), "not a regular file")


def test_oversized_config_files_are_refused(tmp_path: Path):
    path = tmp_path / "p.yaml"
    path.write_text("# " + "x" * 300_000)
    with pytest.raises(UsageError, match="larger than 256 KiB"):
        read_profile_file(path)


# ---------------------------------------------------------------- bounded parsing


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".json", "[" * 100_000),
        (".json", "[" * (MAX_NESTING + 5) + "]" * (MAX_NESTING + 5)),
        (".toml", "x = " + "[" * 5000),
        (".yaml", "x: " + "[" * (MAX_NESTING + 5) + "]" * (MAX_NESTING + 5)),
    ],
)
def test_deep_nesting_is_refused_with_the_limit(suffix: str, text: str):
    with pytest.raises(ValueError, match="nest"):
        parse_config(text, suffix)


def test_yaml_alias_bomb_is_refused_at_once():
    with pytest.raises(ValueError, match="aliases"):
        parse_config(ALIAS_BOMB, ".yaml")


def test_data_rows_deep_huge_or_surrogate_are_bad_rows(tmp_path: Path):
    path = rows_file(tmp_path)
    with path.open("a") as fh:
        fh.write("[" * 5000 + "]" * 5000 + "\n")
        fh.write('{"text": "' + "9" * 5000 + '", "label": ' + "9" * 5000 + "}\n")
        fh.write('{"text": "x\\ud800", "label": "a"}\n')
    problems = [p for _, row, p in iter_rows(path) if row is None]
    assert len(problems) == 3
    assert "nested" in problems[0] and "digits" in problems[1] and "surrogate" in problems[2]
    with pytest.raises(DataError, match=":11: nested"):
        load_task_data(path)
    assert len(load_task_data(path, strict=False).examples) == 10


def test_csv_fields_over_128_kib_and_json_arrays(tmp_path: Path):
    csv = tmp_path / "long.csv"
    csv.write_text("text,label\n" + "x" * 200_000 + ",a\nshort,b\n")
    assert len(load_task_data(csv).examples) == 2
    array = tmp_path / "rows.json"
    array.write_text(json.dumps([{"text": "a", "label": "b"}]))
    with pytest.raises(DataError, match="JSON array.*JSON Lines"):
        load_task_data(array)


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "values",
    [
        {"labeled_examples": 10**400},
        {"budget_usd": float("inf")},
        {"model_params_b": 1e308},
        {"num_labels": 1_000_000_000},
        {"monthly_queries": -1},
    ],
)
def test_profile_numbers_are_finite_and_bounded(values):
    with pytest.raises(UsageError, match="allowed: "):
        build_profile(values)


def test_huge_values_are_quoted_briefly():
    assert excerpt(10**5000) == "an integer of about 5001 digits"
    assert len(excerpt("x" * 10_000)) <= 40
    assert "\\ud800" in excerpt("\ud800")
    line = error_line("bad\nvalue " + "y" * 5000)
    assert "\n" not in line and len(line) <= MAX_ERROR_CHARS


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["cost", "--epochs", "nan"], "--epochs"),
        (["cost", "--shots", "9" * 400], "--shots"),
        (["cost", "--model-params-b", "1e308"], "--model-params-b"),
        (["benchmark", "--threads", "1" + "0" * 30], "1 to 1,024"),
        (["benchmark", "--epochs", "nan"], "--epochs"),
        (["benchmark", "--seed", "9" * 30], "--seed"),
        (["benchmark", "--curve-sizes", "16,²"], "--curve-sizes"),
        (["recommend", "--budget-usd", "1e400"], "budget_usd"),
        (["recommend", "--labeled-examples", "9" * 5000], "labeled_examples"),
    ],
)
def test_numeric_flags_are_one_line_errors(args: list[str], needle: str):
    one_error_line(run_advisor(*args, plugins=plugin_manager_with(["evidence"])), needle)


def test_infinite_profile_file_values_are_refused(tmp_path: Path):
    path = tmp_path / "p.json"
    path.write_text('{"budget_usd": 1e400}')
    for command in ("recommend", "cost"):
        one_error_line(run_advisor(command, "--profile", str(path)), "finite")


def test_cost_maths_stays_finite_on_extreme_prices(tmp_path: Path):
    import yaml

    from advisor.cost.serving import api_curve, break_even

    # A saving of 1e-300 dollars a query never pays back 1e300: no volume, not an OverflowError.
    assert break_even(api_curve("prompt", 0, 1e-300), api_curve("tuned", 1e300, 0)) is None
    table = yaml.safe_load(
        (Path(__file__).parents[1] / "advisor/data/prices.yaml").read_text(encoding="utf-8")
    )
    table["date"] = str(table["date"])
    for gpu in table["gpus"].values():
        gpu["usd_per_hour"] = 1e-300
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps(table))
    result = run_advisor(
        "cost", "--prices", str(prices), "--model-params-b", "10000", "--examples", "1000000000000"
    )
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- before any work


def test_benchmark_checks_everything_before_loading_data(tmp_path: Path):
    data = rows_file(tmp_path)
    plugins = plugin_manager_with(["evidence", "prompts"])
    file = tmp_path / "file"
    file.write_text("")
    run = tmp_path / "run"
    (run / "results.json").mkdir(parents=True)
    cases = [
        (["--budget-usd", "-5"], "budget_usd"),
        (["--output", str(file)], "is a file"),
        (["--output", str(file / "x")], "cannot write"),
        (["--output", str(run), "--resume"], "results.json is not a file"),
        (["--test", str(tmp_path / "missing.jsonl")], "not found"),
    ]
    for args, needle in cases:
        result = run_advisor("benchmark", "--data", str(data), *args, plugins=plugins)
        one_error_line(result, needle)


def test_recommend_checks_flags_and_output_before_profiling(tmp_path: Path, monkeypatch):
    import advisor.profiling

    def no_profiling(*args, **kwargs):
        raise AssertionError("profiled before validating")

    monkeypatch.setattr(advisor.profiling, "profile_from_data", no_profiling)
    data = rows_file(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("")
    for args in (["--budget-usd", "-1"], ["--output", str(blocker / "x.html")]):
        one_error_line(run_advisor("recommend", "--data", str(data), *args))


def test_unknown_flags_are_one_line():
    one_error_line(run_advisor("cost", "--no-such-flag"), "--no-such-flag", "cost --help")
    one_error_line(run_advisor("recommend", "--no-such-flag"), "--no-such-flag")
