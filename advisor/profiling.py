"""Profile a task's data file: what it holds, what is wrong with it, what it says about the task.

``profile_from_data(path)`` streams the file once (any size, bounded memory): counts,
labels and balance, lengths, duplicates, train/test overlap, malformed rows with line
numbers, and (on a sample, with the embedded model) the domain shift. ``DataProfile.values``
are the Profile fields it measured; ``DataProfile.problems`` pairs each problem with what
to do about it.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from advisor.data import detect_fields, iter_rows
from advisor.errors import DataError
from advisor.profiling_stats import (
    DuplicateCounter,
    Reservoir,
    hash64,
    near_duplicate_pairs,
    normalise,
    percentile,
)

SAMPLE_SIZE = 2000  # rows kept (uniformly) for token lengths and near-duplicates
PERPLEXITY_SAMPLE = 32  # texts scored by the model for the domain shift
KEEP_BAD_ROWS = 20  # malformed rows listed by line number (all are counted)
MAX_LABELS = 1000  # more distinct outputs than this: not a classification column
MAX_TEST_HASHES = 500_000


class BadRow(BaseModel):
    line: int
    problem: str


class LengthStats(BaseModel):
    unit: Literal["tokens", "approx_tokens"] = Field(description="approx_tokens = characters / 4")
    counter: str = Field(description="What counted the tokens.")
    sample_size: int
    mean: float
    p50: float
    p90: float
    p99: float
    max: int
    chars_mean: float = Field(description="Over every row, not only the sample.")
    chars_max: int


class DomainShiftEstimate(BaseModel):
    model: str
    sample_size: int
    general_segments: int
    perplexity_data: float
    perplexity_general: float
    ratio: float = Field(description="perplexity_data / perplexity_general (length-matched)")
    level: Literal["low", "medium", "high"]


class Problem(BaseModel):
    severity: Literal["error", "warning", "info"]
    problem: str
    action: str


class DataProfile(BaseModel):
    path: str
    test_path: str | None = None
    text_field: str
    label_field: str
    rows_read: int = Field(description="Non-blank lines (CSV: records) in the file.")
    examples: int = Field(description="Usable rows.")
    task_type: Literal["classification", "extraction", "generation", "summarization"]
    num_labels: int | None = None
    label_counts: dict[str, int] | None = None
    smallest_class: tuple[str, int] | None = None
    imbalance_ratio: float | None = Field(None, description="largest class / smallest class")
    output_format: Literal["free", "structured"] | None = None
    input_lengths: LengthStats | None = None
    output_lengths: LengthStats | None = None
    exact_duplicates: int = 0
    conflicting_duplicates: int = Field(0, description="Same text, different label/output.")
    near_duplicates: int = Field(
        0, description="Equal after case/punctuation/spacing normalisation."
    )
    duplicates_estimated: bool = Field(False, description="True when hash sampling was needed.")
    fuzzy_duplicate_pairs: int = Field(
        0, description="Word-3-gram Jaccard >= 0.8 within the sample."
    )
    fuzzy_sample_size: int = 0
    test_examples: int | None = None
    train_test_overlap: int | None = Field(
        None, description="Train rows whose text is also in test."
    )
    overlap_lines: list[int] = Field(default_factory=list)
    test_only_labels: list[str] = Field(default_factory=list)
    bad_rows: int = 0
    bad_row_examples: list[BadRow] = Field(default_factory=list)
    domain_shift: DomainShiftEstimate | None = None
    notes: list[str] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)

    @property
    def values(self) -> dict[str, Any]:
        """The Profile fields this file measured, ready for ``advisor.profile.build_profile``."""
        out: dict[str, Any] = {"labeled_examples": self.examples, "task_type": self.task_type}
        if self.num_labels is not None and self.num_labels >= 2:
            out["num_labels"] = self.num_labels
        if self.domain_shift is not None:
            out["domain_shift"] = self.domain_shift.level
        if self.output_format is not None:
            out["output_format"] = self.output_format
        return out

    @property
    def fatal(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


# --------------------------------------------------------------------------- helpers

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
    found = ", ".join(map(str, first)) or "none"
    if text_field or label_field:
        detected = detect_fields(first) or (None, None)
        fields = (text_field or detected[0], label_field or detected[1])
        for flag, name in (("--text-field", fields[0]), ("--label-field", fields[1])):
            if name is None:
                raise DataError(f"{path}:{n}: give {flag} too (fields found: {found})")
            if name not in first:
                raise DataError(
                    f"{path}:{n}: no field '{name}' (from {flag}); fields found: {found}"
                )
        return fields  # type: ignore[return-value]
    fields = detect_fields(first)
    if fields is None:
        raise DataError(
            f"{path}:{n}: no 'text'/'label' or 'input'/'output' fields (found: {found}); "
            "use --text-field/--label-field"
        )
    return fields


def _length_stats(
    sample_texts: list[str],
    tokenizer: Any,
    counter: str,
    chars_total: int,
    chars_max: int,
    rows: int,
) -> LengthStats:
    from advisor.profiling_model import approx_tokens, count_tokens

    if tokenizer is not None:
        counts = count_tokens(tokenizer, sample_texts)
        unit = "tokens"
    else:
        counts = [approx_tokens(t) for t in sample_texts]
        unit = "approx_tokens"
    s = sorted(counts)
    return LengthStats(
        unit=unit,
        counter=counter,
        sample_size=len(s),
        mean=round(sum(s) / len(s), 1) if s else 0.0,
        p50=round(percentile(s, 50), 1),
        p90=round(percentile(s, 90), 1),
        p99=round(percentile(s, 99), 1),
        max=s[-1] if s else 0,
        chars_mean=round(chars_total / rows, 1) if rows else 0.0,
        chars_max=chars_max,
    )


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


def _progress(enabled: bool):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not enabled,
    )


# --------------------------------------------------------------------------- main


def profile_from_data(
    path: str | Path,
    *,
    test_path: str | Path | None = None,
    text_field: str | None = None,
    label_field: str | None = None,
    model: str | None = None,
    perplexity: bool = True,
    progress: bool | None = None,
    raise_on_fatal: bool = True,
    seed: int = 0,
) -> DataProfile:
    """Profile ``path`` (JSONL or CSV). Raises DataError for an unreadable, empty or unusable file."""
    p = Path(path)
    if progress is None:
        progress = os.isatty(2)
    fields: tuple[str, str] | None = None
    rows_read = examples = bad = 0
    bad_examples: list[BadRow] = []
    labels: Counter[str] | None = Counter()
    dups = DuplicateCounter()
    sample: Reservoir[tuple[str, str]] = Reservoir(SAMPLE_SIZE, seed=seed)
    chars_in = chars_in_max = chars_out = chars_out_max = 0
    structured = 0
    test_hashes: set[int] = set()
    test_labels: set[str] = set()
    test_rows: int | None = None
    overlap = 0
    overlap_lines: list[int] = []

    def bad_row(n: int, problem: str) -> None:
        nonlocal bad
        bad += 1
        if len(bad_examples) < KEEP_BAD_ROWS:
            bad_examples.append(BadRow(line=n, problem=problem))

    total_lines = _count_lines(p) if p.is_file() else None
    with _progress(progress) as bar:
        task = bar.add_task(f"profiling {p.name}", total=total_lines)
        for n, row, problem in iter_rows(p):
            rows_read += 1
            if rows_read % 2000 == 0:
                bar.update(task, completed=n)
            if row is None:
                bad_row(n, problem or "malformed")
                continue
            if fields is None:
                fields = _fields_for(p, row, n, text_field, label_field)
                if test_path is not None:
                    test_hashes, test_labels, test_rows = _read_test(Path(test_path), fields)
            x, y = row.get(fields[0]), row.get(fields[1])
            if fields[0] not in row or fields[1] not in row:
                bad_row(n, f"missing field '{fields[0] if fields[0] not in row else fields[1]}'")
                continue
            if isinstance(x, (dict, list)) or isinstance(y, (dict, list)):
                bad_row(n, "nested value where text was expected")
                continue
            xs = "" if x is None else str(x).strip()
            ys = "" if y is None else str(y).strip()
            if not xs or not ys:
                bad_row(n, f"empty '{fields[0] if not xs else fields[1]}'")
                continue
            examples += 1
            chars_in += len(xs)
            chars_in_max = max(chars_in_max, len(xs))
            chars_out += len(ys)
            chars_out_max = max(chars_out_max, len(ys))
            if labels is not None:
                labels[ys] += 1
                if len(labels) > MAX_LABELS:
                    labels = None  # free-form outputs: stop counting them
            structured += _is_structured(ys)
            dups.add(xs, ys)
            sample.add((xs, ys))
            if test_hashes and hash64(normalise(xs)) in test_hashes:
                overlap += 1
                if len(overlap_lines) < KEEP_BAD_ROWS:
                    overlap_lines.append(n)
        bar.update(task, completed=total_lines)

    if fields is None:
        if bad:
            raise DataError(
                f"{p}: no usable rows; first problem at line {bad_examples[0].line}: {bad_examples[0].problem}"
            )
        raise DataError(f"{p}: no examples (the file is empty)")
    if examples == 0:
        raise DataError(
            f"{p}: no usable rows ({bad} bad; first at line {bad_examples[0].line}: {bad_examples[0].problem})"
        )

    notes: list[str] = []
    # ---- task type and labels
    # Canonical label names decide; otherwise a column counts as labels when few values repeat.
    classification_fields = fields[1] in ("label", "labels", "class", "category", "target")
    looks_categorical = (
        labels is not None
        and len(labels) <= max(50, examples // 20)
        and len(labels) <= max(2, examples // 2)
    )
    is_classification = labels is not None and (classification_fields or looks_categorical)
    output_format: str | None = None
    label_counts = smallest = ratio = None
    num_labels = None
    if is_classification:
        task_type = "classification"
        assert labels is not None
        label_counts = dict(labels.most_common())
        num_labels = len(labels)
        lab, cnt = min(labels.items(), key=lambda kv: (kv[1], kv[0]))
        smallest = (lab, cnt)
        ratio = round(max(labels.values()) / cnt, 2)
    else:
        share = structured / examples
        mean_in, mean_out = chars_in / examples, chars_out / examples
        if share >= 0.9:
            task_type, output_format = "extraction", "structured"
        elif mean_in >= 400 and mean_out <= 0.35 * mean_in:
            task_type, output_format = "summarization", "free"
        else:
            task_type, output_format = "generation", "free"

    # ---- lengths (tokenizer on the sample; approximation without one)
    from advisor.profiling_model import load_tokenizer

    tokenizer, counter = load_tokenizer(model)
    if tokenizer is None:
        notes.append(f"token counts approximated as characters/4: {counter}")
        counter = "characters / 4"
    sample_in = [x for x, _ in sample.items]
    input_lengths = _length_stats(sample_in, tokenizer, counter, chars_in, chars_in_max, examples)
    output_lengths = None
    if task_type != "classification":
        output_lengths = _length_stats(
            [y for _, y in sample.items], tokenizer, counter, chars_out, chars_out_max, examples
        )

    # ---- duplicates
    counts = dups.counts()
    fuzzy_texts = sample_in[:1000]
    fuzzy = near_duplicate_pairs(fuzzy_texts)
    if not dups.exact:
        notes.append(
            f"duplicate counts estimated from a 1/{1 << dups.level} hash sample of the rows"
        )

    # ---- domain shift
    shift = None
    if perplexity:
        try:
            import random

            from advisor.profiling_model import domain_shift

            rng = random.Random(seed)
            texts = rng.sample(sample_in, min(PERPLEXITY_SAMPLE, len(sample_in)))
            shift = DomainShiftEstimate(**domain_shift(texts, int(input_lengths.p50), model))
        except Exception as err:  # the estimate is optional; say why it is missing
            msg = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
            notes.append(f"domain shift not measured: {msg}")
    else:
        notes.append("domain shift not measured (--no-perplexity)")

    profile = DataProfile(
        path=str(p),
        test_path=str(test_path) if test_path else None,
        text_field=fields[0],
        label_field=fields[1],
        rows_read=rows_read,
        examples=examples,
        task_type=task_type,
        num_labels=num_labels,
        label_counts=label_counts,
        smallest_class=smallest,
        imbalance_ratio=ratio,
        output_format=output_format,
        input_lengths=input_lengths,
        output_lengths=output_lengths,
        exact_duplicates=counts["exact"],
        conflicting_duplicates=counts["conflicting"],
        near_duplicates=counts["near"],
        duplicates_estimated=not dups.exact,
        fuzzy_duplicate_pairs=len(fuzzy),
        fuzzy_sample_size=len(fuzzy_texts),
        test_examples=test_rows,
        train_test_overlap=overlap if test_path else None,
        overlap_lines=overlap_lines,
        test_only_labels=sorted(test_labels - set(labels))
        if (test_path and is_classification and labels)
        else [],
        bad_rows=bad,
        bad_row_examples=bad_examples,
        domain_shift=shift,
        notes=notes,
    )
    profile.problems = find_problems(profile)
    if raise_on_fatal and profile.fatal:
        raise DataError(f"{p}: {profile.fatal[0].problem}")
    return profile


def find_problems(dp: DataProfile) -> list[Problem]:
    """Each measured problem with what to do about it (thresholds are rules of thumb)."""
    out: list[Problem] = []

    def add(sev: str, problem: str, action: str) -> None:
        out.append(Problem(severity=sev, problem=problem, action=action))  # type: ignore[arg-type]

    if dp.task_type == "classification" and dp.num_labels == 1:
        add(
            "error",
            f"the label column '{dp.label_field}' has one class only ('{dp.smallest_class[0] if dp.smallest_class else ''}')",
            "nothing can be learned or measured from one class: add examples of the other classes, or check --label-field",
        )
    if dp.bad_rows:
        lines = ", ".join(str(b.line) for b in dp.bad_row_examples[:5])
        add(
            "warning",
            f"{dp.bad_rows} empty or malformed rows (lines {lines}{', ...' if dp.bad_rows > 5 else ''})",
            "fix or drop them; training and benchmark runs skip them or stop on them",
        )
    if dp.examples < 50:
        add(
            "warning",
            f"only {dp.examples} usable examples",
            "too few to fine-tune reliably (data scarcity): prefer few-shot prompting, or label more data",
        )
    if dp.smallest_class and dp.smallest_class[1] < 10 and (dp.num_labels or 0) >= 2:
        add(
            "warning",
            f"class '{dp.smallest_class[0]}' has only {dp.smallest_class[1]} examples",
            "collect more of it, or merge it into a related class; a fine-tune will rarely predict it",
        )
    if dp.imbalance_ratio and dp.imbalance_ratio >= 5:
        add(
            "warning",
            f"labels are imbalanced ({dp.imbalance_ratio:g}:1 largest to smallest)",
            "report macro-F1 next to accuracy, and consider class weights or oversampling the rare classes",
        )
    dup = dp.exact_duplicates + dp.near_duplicates
    if dup and dup >= max(1, 0.01 * dp.examples):
        add(
            "warning",
            f"{dp.exact_duplicates} exact and {dp.near_duplicates} near-duplicate rows ({100 * dup / dp.examples:.1f}%)",
            "deduplicate before training: repeats overweight a few examples and make overfitting look like progress",
        )
    if dp.conflicting_duplicates:
        add(
            "warning",
            f"{dp.conflicting_duplicates} rows repeat a text with a different label/output",
            "resolve the conflicting labels; no model can fit both",
        )
    if dp.fuzzy_duplicate_pairs and dp.fuzzy_duplicate_pairs >= max(3, 0.02 * dp.fuzzy_sample_size):
        add(
            "info",
            f"{dp.fuzzy_duplicate_pairs} pairs of very similar rows in a sample of {dp.fuzzy_sample_size}",
            "templated data: check that the test set is not just paraphrases of training rows",
        )
    if dp.train_test_overlap:
        lines = ", ".join(map(str, dp.overlap_lines[:5]))
        add(
            "warning",
            f"{dp.train_test_overlap} training rows also appear in the test set (train lines {lines})",
            "remove them from the training file; otherwise test scores overstate what a fine-tune learned",
        )
    if dp.test_only_labels:
        add(
            "warning",
            f"labels only in the test set: {', '.join(dp.test_only_labels[:5])}",
            "a fine-tune cannot predict labels it never saw: add training examples for them",
        )
    if dp.input_lengths and dp.input_lengths.p99 > 1024:
        add(
            "info",
            f"long inputs (p99 {dp.input_lengths.p99:g} {dp.input_lengths.unit})",
            "truncation will cut them when training with a short max length; raise it or chunk the inputs",
        )
    if dp.domain_shift and dp.domain_shift.level == "high":
        add(
            "info",
            f"high domain shift (per-character perplexity {dp.domain_shift.ratio:g}x general text)",
            "prompting alone may struggle; fine-tuning (or continued pre-training) on this text helps most here",
        )
    return out
