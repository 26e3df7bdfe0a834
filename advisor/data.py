"""Reading task data: JSONL or CSV with text/label (classification) or input/output (generation).

Errors name the file and the 1-based line (CSV: row) so the user can fix them.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from advisor.components import Example, TaskData
from advisor.errors import DataError

CLASSIFICATION_FIELDS = ("text", "label")
GENERATION_FIELDS = ("input", "output")


def iter_rows(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield (line, row, problem) streaming through the file; ``row`` is None when malformed."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file not found: {p}")
    if p.is_dir():
        raise DataError(f"data path is a folder, expected a .jsonl or .csv file: {p}")
    suffix = p.suffix.lower()
    try:
        fh = p.open(encoding="utf-8", newline="")
    except OSError as err:
        raise DataError(f"cannot read data file {p}: {err.strerror or err}") from None
    with fh:
        if suffix in (".jsonl", ".json", ".ndjson"):
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    yield n, None, f"not valid JSON ({err.msg})"
                    continue
                if not isinstance(row, dict):
                    yield n, None, "not a JSON object"
                    continue
                yield n, row, None
        elif suffix in (".csv", ".tsv"):
            reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
            for row in reader:
                n = reader.line_num
                if None in row:
                    yield n, None, "more values than header columns"
                    continue
                yield n, dict(row), None
        else:
            raise DataError(f"unsupported data file type '{suffix}' for {p}; use .jsonl or .csv")


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
                    f"{', '.join(map(str, row)) or 'none'}); use --text-field/--label-field"
                )
        missing = [f for f in fields if f not in row]
        if missing:
            raise DataError(f"{p}:{n}: missing field '{missing[0]}'")
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
