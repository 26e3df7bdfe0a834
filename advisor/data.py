"""Reading task data: JSONL or CSV with text/label (classification) or input/output (generation).

Errors name the file and the 1-based line (CSV: row) so the user can fix them.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from advisor.components import Example, TaskData
from advisor.errors import DataError, excerpt, shorten
from advisor.files import (
    MAX_LINE_CHARS,
    bounded_lines,
    decode_problem,
    open_text,
    parse_json,
    regular_file,
)

CLASSIFICATION_FIELDS = ("text", "label")
GENERATION_FIELDS = ("input", "output")


JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")
CSV_SUFFIXES = (".csv", ".tsv")
Row = tuple[int, dict[str, Any] | None, str | None]


def iter_rows(path: str | Path) -> Iterator[Row]:
    """Yield (line, row, problem) streaming through the file; ``row`` is None when malformed.

    A file that cannot be read as a whole (not a regular file, not UTF-8/UTF-16 text, one JSON
    array instead of JSON Lines) is a DataError naming it; one bad row is a problem."""
    p = regular_file(path, "data file", DataError)
    suffix = p.suffix.lower()
    if suffix not in JSON_SUFFIXES + CSV_SUFFIXES:
        raise DataError(f"unsupported data file type '{suffix}' for {p}; use .jsonl or .csv")
    n = 0
    with open_text(p, "data file", DataError) as fh:
        try:
            rows = _json_rows(p, fh) if suffix in JSON_SUFFIXES else _csv_rows(p, fh, suffix)
            for row in rows:
                n = row[0]
                yield row
        except UnicodeDecodeError as err:
            problem = decode_problem(err, whole=False)
            raise DataError(f"{p}:{n + 1}: the file {problem}") from None


def _json_rows(p: Path, fh: io.TextIOBase) -> Iterator[Row]:
    first = True
    for n, line in enumerate(bounded_lines(fh), 1):
        if line is None:
            yield n, None, f"line longer than {MAX_LINE_CHARS:,} characters"
            continue
        if not line.strip():
            continue
        if first and line.lstrip().startswith("["):
            raise DataError(
                f"{p} holds a JSON array; advisor reads JSON Lines, one object per line "
                f"(convert it: jq -c '.[]' {p.name} > {p.stem}.jsonl)"
            )
        first = False
        try:
            row = parse_json(line)
        except ValueError as err:
            yield n, None, str(err)
            continue
        if not isinstance(row, dict):
            yield n, None, "not a JSON object"
            continue
        problem = _unicode_problem(row)
        yield n, None if problem else row, problem


def _unicode_problem(row: dict[str, Any]) -> str | None:
    """A lone surrogate (a ``\\ud800`` escape without its pair) is not text: nothing can
    print, tokenise or write it, so the row is refused here."""
    for value in (*row, *row.values()):
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "holds a lone surrogate (an unpaired \\ud800-\\udfff escape), not text"
    return None


def _csv_rows(p: Path, fh: io.TextIOBase, suffix: str) -> Iterator[Row]:
    lines = _csv_lines(p, fh)
    csv.field_size_limit(MAX_LINE_CHARS)  # the default, 128 KiB, is one long document
    reader = csv.DictReader(lines, delimiter="\t" if suffix == ".tsv" else ",")
    try:
        for row in reader:
            n = reader.line_num
            if None in row:
                yield n, None, "more values than header columns"
                continue
            yield n, dict(row), None
    except csv.Error as err:
        raise DataError(f"{p}:{reader.line_num}: malformed CSV ({err})") from None


def _csv_lines(p: Path, fh: io.TextIOBase) -> Iterator[str]:
    for n, line in enumerate(bounded_lines(fh), 1):
        if line is None:
            raise DataError(f"{p}:{n}: line longer than {MAX_LINE_CHARS:,} characters")
        yield line


def field_list(row: dict[str, Any]) -> str:
    """The fields of a row for a message: their names, the list cut short."""
    return shorten(", ".join(map(str, row)), 120) or "none"


def detect_fields(row: dict[str, Any]) -> tuple[str, str] | None:
    for pair in (CLASSIFICATION_FIELDS, GENERATION_FIELDS):
        if all(k in row for k in pair):
            return pair
    return None


def load_task_data(
    path: str | Path,
    *,
    text_field: str | None = None,
    label_field: str | None = None,
    task_type: str | None = None,
    name: str | None = None,
    strict: bool = True,
) -> TaskData:
    """Load a whole file. With ``strict`` a malformed or empty row is an error naming its line."""
    p = Path(path)
    examples: list[Example] = []
    fields: tuple[str, str] | None = (
        (text_field, label_field) if text_field and label_field else None
    )
    for n, row, problem in iter_rows(p):
        if row is None:
            if strict:
                raise DataError(f"{p}:{n}: {problem}")
            continue
        if fields is None:
            fields = detect_fields(row)
            if fields is not None and (text_field or label_field):
                # One field named by the user, the other from the usual pair.
                fields = (text_field or fields[0], label_field or fields[1])
            elif fields is None and text_field and "label" in row:
                fields = (text_field, "label")
            elif fields is None and label_field and "text" in row:
                fields = ("text", label_field)
            if fields is None:
                raise DataError(
                    f"{p}:{n}: no 'text'/'label' or 'input'/'output' fields (found: "
                    f"{field_list(row)}); use --text-field/--label-field"
                )
        missing = [f for f in fields if f not in row]
        if missing:
            raise DataError(f"{p}:{n}: missing field {excerpt(missing[0])}")
        x, y = row[fields[0]], row[fields[1]]
        if x is None or y is None or not str(x).strip() or not str(y).strip():
            if strict:
                raise DataError(
                    f"{p}:{n}: empty '{fields[0] if not str(x or '').strip() else fields[1]}'"
                )
            continue
        examples.append(Example(input=str(x).strip(), output=str(y).strip(), line=n))
    if not examples:
        raise DataError(f"{p}: no examples (the file is empty)")
    if task_type is None:
        # An 'output' column means free text to generate; any other target column is a label.
        task_type = (
            "generation" if fields and fields[1] == GENERATION_FIELDS[1] else "classification"
        )
    labels = sorted({e.output for e in examples}) if task_type == "classification" else None
    return TaskData(
        name=name or p.stem, task_type=task_type, examples=examples, labels=labels, source=str(p)
    )


def split(data: TaskData, test_fraction: float, seed: int = 0) -> tuple[TaskData, TaskData]:
    """Deterministic split, stratified by label for classification."""
    rng = random.Random(seed)
    groups: dict[str, list[Example]] = {}
    for e in data.examples:
        groups.setdefault(e.output if data.task_type == "classification" else "", []).append(e)
    train: list[Example] = []
    test: list[Example] = []
    for key in sorted(groups):
        items = groups[key][:]
        rng.shuffle(items)
        k = max(1, round(len(items) * test_fraction)) if len(items) > 1 else 0
        test.extend(items[:k])
        train.extend(items[k:])
    rng.shuffle(train)
    rng.shuffle(test)
    return (
        data.model_copy(update={"examples": train, "name": f"{data.name}"}),
        data.model_copy(update={"examples": test, "name": f"{data.name}"}),
    )


def load_documents(path: str | Path) -> list[dict[str, str]]:
    """The rag strategy's documents: JSON Lines (or CSV) rows with a non-empty ``text`` and an
    optional ``id``; any other field is ignored. A bad row is an error naming its line."""
    documents: list[dict[str, str]] = []
    for line, row, problem in iter_rows(path):
        if row is None:
            raise DataError(f"{path}:{line}: {problem}")
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            raise DataError(
                f"{path}:{line}: a document needs a non-empty 'text' (fields: {field_list(row)})"
            )
        doc = {"text": text}
        if row.get("id") not in (None, ""):
            doc["id"] = str(row["id"])
        documents.append(doc)
    if not documents:
        raise DataError(f"{path} holds no documents")
    return documents
