"""The problems a data profile shows, each with what to do about it (thresholds are rules
of thumb, stated in the messages)."""

from __future__ import annotations

from collections.abc import Callable

from advisor.profiling_models import DataProfile, Problem

Add = Callable[[str, str, str], None]  # (severity, problem, what to do)


def find_problems(dp: DataProfile) -> list[Problem]:
    """Each measured problem with what to do about it (thresholds are rules of thumb)."""
    out: list[Problem] = []

    def add(sev: str, problem: str, action: str) -> None:
        out.append(Problem(severity=sev, problem=problem, action=action))  # type: ignore[arg-type]

    _row_problems(dp, add)
    _overlap_problems(dp, add)
    return out


def _row_problems(dp: DataProfile, add: Add) -> None:
    """Labels, bad rows, size and balance."""

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


def _overlap_problems(dp: DataProfile, add: Add) -> None:
    """Duplicates, train/test overlap, lengths and domain shift."""
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
