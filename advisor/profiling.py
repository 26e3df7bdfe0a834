"""Profile a task's data file: what it holds, what is wrong with it, what it says about the task.

``profile_from_data(path)`` streams the file once (any size, bounded memory): counts,
labels and balance, lengths, duplicates, train/test overlap, malformed rows with line
numbers, and (on a sample, with the embedded model) the domain shift. ``DataProfile.values``
are the Profile fields it measured; ``DataProfile.problems`` pairs each problem with what
to do about it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from advisor.errors import DataError
from advisor.profiling_models import BadRow, DataProfile, DomainShiftEstimate, LengthStats
from advisor.profiling_problems import find_problems
from advisor.profiling_scan import Scan, scan_file
from advisor.profiling_stats import near_duplicate_pairs, percentile

PERPLEXITY_SAMPLE = 32  # texts scored by the model for the domain shift


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
    scan = scan_file(
        p,
        test_path=Path(test_path) if test_path is not None else None,
        text_field=text_field,
        label_field=label_field,
        seed=seed,
        progress=os.isatty(2) if progress is None else progress,
    )
    _require_examples(p, scan)
    assert scan.fields is not None
    notes: list[str] = []
    shape = _task_shape(scan)
    tokenizer, counter = _token_counter(model, notes)
    sample_in = [x for x, _ in scan.sample.items]
    input_lengths = _length_stats(
        sample_in, tokenizer, counter, scan.chars_in, scan.chars_in_max, scan.examples
    )
    output_lengths = None
    if shape["task_type"] != "classification":
        outputs = [y for _, y in scan.sample.items]
        output_lengths = _length_stats(
            outputs, tokenizer, counter, scan.chars_out, scan.chars_out_max, scan.examples
        )
    counts = scan.dups.counts()
    fuzzy_texts = sample_in[:1000]
    fuzzy = near_duplicate_pairs(fuzzy_texts)
    if not scan.dups.exact:
        notes.append(
            f"duplicate counts estimated from a 1/{1 << scan.dups.level} hash sample of the rows"
        )
    shift = _domain_shift(sample_in, input_lengths, model, seed, notes) if perplexity else None
    if not perplexity:
        notes.append("domain shift not measured (--no-perplexity)")
    labels = scan.labels if shape["task_type"] == "classification" else None
    profile = DataProfile(
        path=str(p),
        test_path=str(test_path) if test_path else None,
        text_field=scan.fields[0],
        label_field=scan.fields[1],
        rows_read=scan.rows_read,
        examples=scan.examples,
        **shape,
        input_lengths=input_lengths,
        output_lengths=output_lengths,
        exact_duplicates=counts["exact"],
        conflicting_duplicates=counts["conflicting"],
        near_duplicates=counts["near"],
        duplicates_estimated=not scan.dups.exact,
        fuzzy_duplicate_pairs=len(fuzzy),
        fuzzy_sample_size=len(fuzzy_texts),
        test_examples=scan.test_rows,
        train_test_overlap=scan.overlap if test_path else None,
        overlap_lines=scan.overlap_lines,
        test_only_labels=sorted(scan.test_labels - set(labels)) if test_path and labels else [],
        bad_rows=scan.bad,
        bad_row_examples=[BadRow(line=b.line, problem=b.problem) for b in scan.bad_examples],
        domain_shift=shift,
        notes=notes,
    )
    profile.problems = find_problems(profile)
    if raise_on_fatal and profile.fatal:
        raise DataError(f"{p}: {profile.fatal[0].problem}")
    return profile


def _require_examples(path: Path, scan: Scan) -> None:
    first = scan.bad_examples[0] if scan.bad_examples else None
    if scan.fields is None:
        if first is not None:
            raise DataError(
                f"{path}: no usable rows; first problem at line {first.line}: {first.problem}"
            )
        raise DataError(f"{path}: no examples (the file is empty)")
    if scan.examples == 0 and first is not None:
        raise DataError(
            f"{path}: no usable rows ({scan.bad} bad; first at line {first.line}: {first.problem})"
        )


def _task_shape(scan: Scan) -> dict[str, Any]:
    """Task type, label statistics and output format, as DataProfile fields.

    Canonical label names decide; otherwise a column counts as labels when few values repeat."""
    assert scan.fields is not None
    labels, examples = scan.labels, scan.examples
    classification_field = scan.fields[1] in ("label", "labels", "class", "category", "target")
    looks_categorical = (
        labels is not None
        and len(labels) <= max(50, examples // 20)
        and len(labels) <= max(2, examples // 2)
    )
    if labels is not None and (classification_field or looks_categorical):
        lab, cnt = min(labels.items(), key=lambda kv: (kv[1], kv[0]))
        return {
            "task_type": "classification",
            "num_labels": len(labels),
            "label_counts": dict(labels.most_common()),
            "smallest_class": (lab, cnt),
            "imbalance_ratio": round(max(labels.values()) / cnt, 2),
            "output_format": None,
        }
    share = scan.structured / examples
    mean_in, mean_out = scan.chars_in / examples, scan.chars_out / examples
    if share >= 0.9:
        task_type, output_format = "extraction", "structured"
    elif mean_in >= 400 and mean_out <= 0.35 * mean_in:
        task_type, output_format = "summarization", "free"
    else:
        task_type, output_format = "generation", "free"
    return {"task_type": task_type, "output_format": output_format}


def _token_counter(model: str | None, notes: list[str]) -> tuple[Any, str]:
    """The model's tokenizer (without weights) and its description, or None and the
    approximation's name, with a note saying why."""
    from advisor.profiling_model import load_tokenizer

    tokenizer, counter = load_tokenizer(model)
    if tokenizer is None:
        notes.append(f"token counts approximated as characters/4: {counter}")
        counter = "characters / 4"
    return tokenizer, counter


def _domain_shift(
    sample_in: list[str], lengths: LengthStats, model: str | None, seed: int, notes: list[str]
) -> DomainShiftEstimate | None:
    """The estimate on a seeded sample of the inputs; None, with a note, when it fails."""
    try:
        import random

        from advisor.profiling_model import domain_shift

        rng = random.Random(seed)
        texts = rng.sample(sample_in, min(PERPLEXITY_SAMPLE, len(sample_in)))
        return DomainShiftEstimate(**domain_shift(texts, int(lengths.p50), model))
    except Exception as err:  # the estimate is optional; say why it is missing
        msg = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
        notes.append(f"domain shift not measured: {msg}")
        return None
