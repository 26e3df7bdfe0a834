"""advisor.profiling and `advisor profile`: each measurement on tiny real files, error paths,
the real tokenizer and perplexity (slow), and a large synthetic file in bounded memory (slow)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import shared_dataset

import advisor.profiling_model as pm
from advisor.cli import cli
from advisor.errors import DataError
from advisor.profile import build_profile
from advisor.profiling import profile_from_data
from advisor.profiling_stats import (
    DuplicateCounter,
    Reservoir,
    near_duplicate_pairs,
    normalise,
    percentile,
)


def write_jsonl(path: Path, rows: list) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return path


@pytest.fixture
def no_tokenizer(monkeypatch):
    """Fast tests use the documented chars/4 approximation instead of loading a tokenizer."""
    monkeypatch.setattr(
        pm, "load_tokenizer", lambda model=None: (None, "no tokenizer in fast tests")
    )


def prof(path, **kw):
    kw.setdefault("perplexity", False)
    return profile_from_data(path, progress=False, **kw)


# ------------------------------------------------------------------ measurements


def test_counts_labels_and_balance(tmp_path, no_tokenizer):
    rows = [{"text": f"great film number {i}", "label": "pos"} for i in range(12)]
    rows += [{"text": f"dull film number {i}", "label": "neg"} for i in range(3)]
    dp = prof(write_jsonl(tmp_path / "d.jsonl", rows))
    assert dp.examples == 15 and dp.rows_read == 15
    assert dp.task_type == "classification" and dp.num_labels == 2
    assert dp.label_counts == {"pos": 12, "neg": 3}
    assert dp.smallest_class == ("neg", 3)
    assert dp.imbalance_ratio == 4.0
    assert dp.values == {"labeled_examples": 15, "task_type": "classification", "num_labels": 2}
    build_profile(dp.values)  # the measured values are valid Profile fields
    problems = " ".join(p.problem for p in dp.problems)
    assert "class 'neg' has only 3" in problems and "only 15 usable" in problems


def test_lengths_use_approximation_without_tokenizer(tmp_path, no_tokenizer):
    rows = [{"text": "x" * n, "label": "ab"[i % 2]} for i, n in enumerate((4, 8, 40, 400))]
    dp = prof(write_jsonl(tmp_path / "d.jsonl", rows))
    s = dp.input_lengths
    assert s.unit == "approx_tokens" and s.max == 100 and s.chars_max == 400
    assert s.chars_mean == pytest.approx(113.0)
    assert s.p50 == pytest.approx(6.0)  # (2 + 10) / 2, interpolated
    assert any("characters/4" in n for n in dp.notes)


def test_duplicates_exact_near_and_conflicting(tmp_path, no_tokenizer):
    rows = [
        {"text": "Where is my parcel?", "label": "shipping"},
        {"text": "Where is my parcel?", "label": "shipping"},  # exact
        {"text": "where is my PARCEL", "label": "shipping"},  # near (case/punctuation)
        {"text": "Where is my parcel?", "label": "refund"},  # conflicting label
        {"text": "I want my money back", "label": "refund"},
    ]
    dp = prof(write_jsonl(tmp_path / "d.jsonl", rows))
    assert (dp.exact_duplicates, dp.near_duplicates, dp.conflicting_duplicates) == (1, 1, 1)
    assert any("different label" in p.problem for p in dp.problems)


def test_bad_rows_are_counted_with_line_numbers(tmp_path, no_tokenizer):
    lines = [
        {"text": "fine row", "label": "a"},
        "{not json",
        {"text": "", "label": "a"},
        "",  # blank lines are skipped, not bad
        {"text": "no label here"},
        "[1, 2]",
        {"text": "another fine row", "label": "b"},
    ]
    dp = prof(write_jsonl(tmp_path / "d.jsonl", lines))
    assert dp.examples == 2 and dp.bad_rows == 4
    assert [(b.line, b.problem.split(" (")[0]) for b in dp.bad_row_examples] == [
        (2, "not valid JSON"),
        (3, "empty 'text'"),
        (5, "missing field 'label'"),
        (6, "not a JSON object"),
    ]


def test_train_test_overlap_and_unseen_labels(tmp_path, no_tokenizer):
    train = [{"text": f"row {i} text", "label": "ab"[i % 2]} for i in range(10)]
    test = [{"text": "ROW 3 TEXT!", "label": "b"}, {"text": "fresh", "label": "c"}]
    dp = prof(
        write_jsonl(tmp_path / "tr.jsonl", train),
        test_path=write_jsonl(tmp_path / "te.jsonl", test),
    )
    assert dp.test_examples == 2
    assert dp.train_test_overlap == 1 and dp.overlap_lines == [4]
    assert dp.test_only_labels == ["c"]


def test_csv_with_custom_fields_and_extraction(tmp_path, no_tokenizer):
    p = tmp_path / "d.csv"
    p.write_text(
        "msg,out\n"
        + "".join(
            f'"Order A-{i:04d} for a lamp",order_id=A-{i:04d} item=lamp\n' for i in range(20)
        ),
        encoding="utf-8",
    )
    dp = prof(p, text_field="msg", label_field="out")
    assert (dp.text_field, dp.label_field) == ("msg", "out")
    assert dp.task_type == "extraction" and dp.output_format == "structured"
    assert dp.num_labels is None and dp.output_lengths is not None
    assert dp.values["output_format"] == "structured"


def test_free_generation_is_not_classification(tmp_path, no_tokenizer):
    rows = [
        {"input": f"Write a line about {w}", "output": f"A short poem on {w} and the sea"}
        for w in "abcdefghij"
    ]
    dp = prof(write_jsonl(tmp_path / "g.jsonl", rows))
    assert dp.task_type == "generation" and dp.output_format == "free" and dp.label_counts is None


# ------------------------------------------------------------------ error paths


def test_wrong_field_name_is_a_one_line_error(tmp_path, no_tokenizer):
    p = write_jsonl(tmp_path / "d.jsonl", [{"text": "a", "label": "x"}])
    with pytest.raises(
        DataError, match=r"no field 'body' \(from --text-field\); fields found: text, label"
    ):
        prof(p, text_field="body")


def test_undetectable_fields(tmp_path, no_tokenizer):
    p = write_jsonl(tmp_path / "d.jsonl", [{"sentence": "a", "y": "x"}])
    with pytest.raises(DataError, match="use --text-field/--label-field"):
        prof(p)


def test_empty_file(tmp_path, no_tokenizer):
    p = tmp_path / "e.jsonl"
    p.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="no examples"):
        prof(p)


def test_only_malformed_rows(tmp_path, no_tokenizer):
    p = write_jsonl(tmp_path / "m.jsonl", ["{oops", "nope"])
    with pytest.raises(DataError, match="no usable rows; first problem at line 1"):
        prof(p)


def test_one_class_label_column(tmp_path, no_tokenizer):
    p = write_jsonl(tmp_path / "o.jsonl", [{"text": f"t{i}", "label": "same"} for i in range(5)])
    with pytest.raises(DataError, match="one class only"):
        prof(p)
    dp = prof(p, raise_on_fatal=False)
    assert dp.fatal and "num_labels" not in dp.values


def test_cli_table_json_and_exit_codes(tmp_path, no_tokenizer):
    good = write_jsonl(
        tmp_path / "g.jsonl", [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(6)]
    )
    runner = CliRunner()
    r = runner.invoke(cli, ["profile", str(good), "--no-perplexity"])
    assert r.exit_code == 0, r.output
    assert "Data profile" in r.output and "Problems and what to do" in r.output
    r = runner.invoke(cli, ["profile", str(good), "--no-perplexity", "--json"])
    data = json.loads(r.output)
    assert data["examples"] == 6 and data["values"]["num_labels"] == 2
    one = write_jsonl(
        tmp_path / "o.jsonl", [{"text": "a", "label": "x"}, {"text": "b", "label": "x"}]
    )
    r = runner.invoke(cli, ["profile", str(one), "--no-perplexity"])
    assert r.exit_code == 2 and "one class only" in r.output
    r = runner.invoke(cli, ["profile", str(good), "--label-field", "nope", "--no-perplexity"])
    assert r.exit_code == 2 and "Traceback" not in r.output and "no field 'nope'" in r.output
    r = runner.invoke(cli, ["profile", str(tmp_path / "missing.jsonl")])
    assert r.exit_code == 2 and "not found" in r.output


# ------------------------------------------------------------------ streaming helpers


def test_reservoir_is_uniform():
    hits = [0] * 10
    for seed in range(400):
        r: Reservoir[int] = Reservoir(2, seed=seed)
        for i in range(10):
            r.add(i)
        for x in r.items:
            hits[x] += 1
    assert sum(hits) == 800
    assert min(hits) > 50 and max(hits) < 110  # each ~80


def test_percentile():
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 90) == 5.0 and percentile([], 50) == 0.0


def test_duplicate_counter_estimates_after_shrinking():
    rng = random.Random(1)
    exact = DuplicateCounter()
    small = DuplicateCounter(cap=500)
    for _ in range(6000):
        text = f"row {rng.randrange(3000)}"
        for c in (exact, small):
            c.add(text, "x")
    true = exact.counts()["exact"]
    est = small.counts()["exact"]
    assert exact.exact and not small.exact
    assert len(small._pair) <= 500
    # The kept rows are chosen by Python's per-process string hash, so the estimate varies
    # from run to run: over 30 hash seeds the error averaged 0.09 (sd 0.07, max 0.25).
    assert abs(est - true) / true < 0.4


def test_near_duplicate_pairs():
    base = "my parcel from the shop in town last week has still not arrived at my house and nobody can tell me"
    texts = [
        base + " why",
        base + " where",  # one word of 22 changed: Jaccard 19/21
        "please reset the password on my account as soon as you can because I am locked out",
    ]
    pairs = near_duplicate_pairs(texts)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert normalise("  Déjà-VU!! ") == "deja vu"


# ------------------------------------------------------------------ real model (slow)


@pytest.mark.slow
def test_real_tokenizer_counts_tokens(tmp_path):
    rows = [
        {"text": "Hello world, this is a short test sentence.", "label": "ab"[i % 2]}
        for i in range(4)
    ]
    dp = prof(write_jsonl(tmp_path / "d.jsonl", rows))
    assert dp.input_lengths.unit == "tokens", dp.notes
    assert 6 <= dp.input_lengths.p50 <= 14


@pytest.mark.slow
def test_domain_shift_on_embedded_model():
    """General prose scores about 1x itself (low); random hex codes are far from it (high)."""
    general = pm.general_text()[40:48]
    same = pm.domain_shift(general, median_tokens=40)
    rng = random.Random(0)
    codes = [
        " ".join(f"{rng.randrange(16**6):06x}-ZQ{rng.randrange(999)}" for _ in range(5))
        for _ in range(8)
    ]
    far = pm.domain_shift(codes, median_tokens=40)  # same length: the general baseline is reused
    assert same["level"] == "low" and 0.8 < same["ratio"] < 1.2, same
    assert far["level"] == "high" and far["ratio"] > 4, far
    assert same["perplexity_general"] == far["perplexity_general"] > 1


@pytest.mark.slow
def test_profile_trec_with_test_file():
    trec = shared_dataset("trec")
    dp = prof(trec / "train.jsonl", test_path=trec / "test.jsonl")
    assert dp.examples == 2000 and dp.task_type == "classification" and dp.num_labels == 6
    assert dp.test_examples == 500 and dp.input_lengths.unit == "tokens"


_CHILD = """
import json, resource, sys
import advisor.profiling as P
import advisor.profiling_scan as S
from advisor.profiling_stats import DuplicateCounter
S.DuplicateCounter = lambda: DuplicateCounter(cap=20_000)
dp = P.profile_from_data(sys.argv[1], perplexity=False, progress=False, model="/nonexistent")
print(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "examples": dp.examples, "exact": dp.exact_duplicates,
                  "estimated": dp.duplicates_estimated, "notes": dp.notes}))
"""


def _synthetic(path: Path, megabytes: int, repeats: int) -> int:
    rng = random.Random(megabytes)
    words = [
        "order",
        "refund",
        "late",
        "parcel",
        "login",
        "card",
        "charge",
        "invoice",
        "app",
        "broken",
        "thanks",
        "help",
        "please",
    ]
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        while fh.tell() < megabytes * 1_000_000:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(10, 40)))
            fh.write(json.dumps({"text": text, "label": f"l{rng.randrange(5)}"}) + "\n")
            n += 1
        for i in range(repeats):  # each of repeats/2 rows written twice
            fh.write(
                json.dumps({"text": f"repeated row {i % (repeats // 2)}", "label": "l0"}) + "\n"
            )
    return n + repeats


def _profile_in_child(path: Path) -> dict:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_large_file_in_bounded_memory(tmp_path):
    """Peak memory does not grow with the file: a 40 MB file peaks within a few MB of a 5 MB one
    (each profiled in a fresh process; hash cap lowered so the sampling path runs on both).
    The caps, not the file size, bound memory, so a 1 GB file behaves the same."""
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    n_small = _synthetic(small, 5, 200)
    n_big = _synthetic(big, 40, 2000)
    a, b = _profile_in_child(small), _profile_in_child(big)
    assert (a["examples"], b["examples"]) == (n_small, n_big)
    growth_mb = (b["rss_kb"] - a["rss_kb"]) / 1024
    assert growth_mb < 8, f"peak RSS grew {growth_mb:.1f} MB from a 5 MB to a 40 MB file"
    assert b["estimated"] and any("hash sample" in n for n in b["notes"])
    assert 650 <= b["exact"] <= 1400  # 1000 true repeats, estimated from a hash sample
