"""The data profile's models: what ``profile_from_data`` measured, and its problems."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


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
