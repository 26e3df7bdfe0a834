"""One streaming pass over a data file for profiling: counts, labels, lengths, duplicates,
train/test overlap and malformed rows, in bounded memory (a uniform sample of rows is kept
for what needs the texts themselves)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.data import detect_fields, field_list, iter_rows
from advisor.errors import DataError, excerpt
from advisor.profiling_stats import DuplicateCounter, Reservoir, hash64, normalise
from advisor.progress import phase

SAMPLE_SIZE = 2000  # rows kept (uniformly) for token lengths and near-duplicates
KEEP_BAD_ROWS = 20  # malformed rows listed by line number (all are counted)
MAX_LABELS = 1000  # more distinct outputs than this: not a classification column
MAX_TEST_HASHES = 500_000


@dataclass
class BadRowNote:
    line: int
    problem: str


_KV = re.compile(r"^\s*([A-Za-z_][\w.-]*\s*[=:]\s*\S+[\s,;]*)+$")


def _is_structured(output: str) -> bool:
    s = output.strip()
    if s[:1] in "{[":
        try:
            json.loads(s)
            return True
        except ValueError:
            return False
    return bool(_KV.match(s))


def _count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
    return n


def _fields_for(
    path: Path, first: dict[str, Any], n: int, text_field: str | None, label_field: str | None
) -> tuple[str, str]:
    found = field_list(first)
    if text_field or label_field:
        detected = detect_fields(first) or (None, None)
        fields = (text_field or detected[0], label_field or detected[1])
        for flag, name in (("--text-field", fields[0]), ("--label-field", fields[1])):
            if name is None:
                raise DataError(f"{path}:{n}: give {flag} too (fields found: {found})")
            if name not in first:
                raise DataError(
                    f"{path}:{n}: no field {excerpt(name)} (from {flag}); fields found: {found}"
                )
        return fields  # type: ignore[return-value]
    fields = detect_fields(first)
    if fields is None:
        raise DataError(
            f"{path}:{n}: no 'text'/'label' or 'input'/'output' fields (found: {found}); "
            "use --text-field/--label-field"
        )
    return fields


def _read_test(path: Path, fields: tuple[str, str]) -> tuple[set[int], set[str], int]:
    """Normalised-text hashes and labels of the test file (bounded)."""
    hashes: set[int] = set()
    labels: set[str] = set()
    n_rows = 0
    for _n, row, _problem in iter_rows(path):
        if row is None:
            continue
        x, y = row.get(fields[0]), row.get(fields[1])
        if x is None or not str(x).strip():
            continue
        n_rows += 1
        if len(hashes) < MAX_TEST_HASHES:
            hashes.add(hash64(normalise(str(x))))
        if y is not None and len(labels) <= MAX_LABELS:
            labels.add(str(y).strip())
    if n_rows == 0:
        raise DataError(f"{path}: no examples in the test file (empty, or no '{fields[0]}' values)")
    return hashes, labels, n_rows


@dataclass
class Scan:
    """What one pass over the training file (and the test file's hashes) measured."""

    seed: int = 0
    fields: tuple[str, str] | None = None
    rows_read: int = 0
    examples: int = 0
    bad: int = 0
    bad_examples: list[BadRowNote] = field(default_factory=list)
    labels: Counter[str] | None = field(default_factory=Counter)
    # Looked up at each scan (not bound here), so a test can lower the counter's cap.
    dups: DuplicateCounter = field(default_factory=lambda: DuplicateCounter())
    sample: Reservoir[tuple[str, str]] = field(init=False)
    chars_in: int = 0
    chars_in_max: int = 0
    chars_out: int = 0
    chars_out_max: int = 0
    structured: int = 0
    test_hashes: set[int] = field(default_factory=set)
    test_labels: set[str] = field(default_factory=set)
    test_rows: int | None = None
    overlap: int = 0
    overlap_lines: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sample = Reservoir(SAMPLE_SIZE, seed=self.seed)

    def bad_row(self, n: int, problem: str) -> None:
        self.bad += 1
        if len(self.bad_examples) < KEEP_BAD_ROWS:
            self.bad_examples.append(BadRowNote(line=n, problem=problem))

    def add(self, n: int, row: dict[str, Any]) -> None:
        """Count one parsed row (the fields are known)."""
        assert self.fields is not None
        x_field, y_field = self.fields
        x, y = row.get(x_field), row.get(y_field)
        if x_field not in row or y_field not in row:
            self.bad_row(n, f"missing field '{x_field if x_field not in row else y_field}'")
            return
        if isinstance(x, (dict, list)) or isinstance(y, (dict, list)):
            self.bad_row(n, "nested value where text was expected")
            return
        xs = "" if x is None else str(x).strip()
        ys = "" if y is None else str(y).strip()
        if not xs or not ys:
            self.bad_row(n, f"empty '{x_field if not xs else y_field}'")
            return
        self.examples += 1
        self.chars_in += len(xs)
        self.chars_in_max = max(self.chars_in_max, len(xs))
        self.chars_out += len(ys)
        self.chars_out_max = max(self.chars_out_max, len(ys))
        if self.labels is not None:
            self.labels[ys] += 1
            if len(self.labels) > MAX_LABELS:
                self.labels = None  # free-form outputs: stop counting them
        self.structured += _is_structured(ys)
        self.dups.add(xs, ys)
        self.sample.add((xs, ys))
        if self.test_hashes and hash64(normalise(xs)) in self.test_hashes:
            self.overlap += 1
            if len(self.overlap_lines) < KEEP_BAD_ROWS:
                self.overlap_lines.append(n)


def scan_file(
    path: Path,
    *,
    test_path: Path | None,
    text_field: str | None,
    label_field: str | None,
    seed: int,
    progress: bool,
) -> Scan:
    """Stream ``path`` once; the test file is read (hashes and labels only) as soon as the
    training file's fields are known."""
    scan = Scan(seed=seed)
    total_lines = _count_lines(path) if path.is_file() else None
    with phase(f"profiling {path.name}", enabled=progress, transient=True) as tick:
        for n, row, problem in iter_rows(path):
            scan.rows_read += 1
            if scan.rows_read % 2000 == 0:
                tick(n, total_lines or 0)
            if row is None:
                scan.bad_row(n, problem or "malformed")
                continue
            if scan.fields is None:
                scan.fields = _fields_for(path, row, n, text_field, label_field)
                if test_path is not None:
                    scan.test_hashes, scan.test_labels, scan.test_rows = _read_test(
                        test_path, scan.fields
                    )
            scan.add(n, row)
    return scan
