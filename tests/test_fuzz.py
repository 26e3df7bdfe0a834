"""Fuzz every command in-process: hypothesis draws CLI arguments, profile, price and data
files (odd encodings, huge numbers and fields, deep nests, aliases, FIFOs, folders) and each
case must end with exit 0, 1 or 2, no uncaught exception and at most one short error line,
within a time limit. ``benchmarks/fuzz`` runs the same cases by the thousand."""

from __future__ import annotations

import pytest
from fuzz_cases import Case, cases, fuzz_plugins, run_case
from hypothesis import HealthCheck, given, settings

# Each case runs well under a second; a case past this limit is a hang.
CASE_SECONDS = 20


@pytest.mark.timeout(300)
@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
def test_no_input_breaks_or_hangs_a_command(case: Case):
    outcome = run_case(case, fuzz_plugins, seconds=CASE_SECONDS)
    assert outcome.kind in ("ok", "error"), outcome.detail
