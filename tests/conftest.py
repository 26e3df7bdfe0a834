"""Shared fixtures: paths to ../shared data (skipping when absent) and a clean plugin manager."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from serve_fixture import openai_server  # noqa: F401 - a fixture: the real local server

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

# Property tests draw the same examples on every run, so a green suite stays green in CI;
# HYPOTHESIS_PROFILE=explore draws new ones (for hunting counterexamples by hand).
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Provider offerings are dated facts (advisor/data/providers.yaml): judge them on a fixed day.
os.environ.setdefault("ADVISOR_TODAY", "2026-12-01")


def shared_dataset(name: str) -> Path:
    path = SHARED / "data" / name
    if not (path / "train.jsonl").exists():
        pytest.skip(f"../shared/data/{name} is absent (needs the shared folder beside the repo)")
    return path


@pytest.fixture(autouse=True)
def _fresh_plugins(monkeypatch):
    """Each test sees a freshly loaded plugin manager (env changes take effect)."""
    from advisor.plugins import reset_plugins

    reset_plugins()
    yield
    reset_plugins()


@pytest.fixture(scope="module")
def one_torch_thread():
    """Two cores shared with other jobs: one thread avoids OpenMP threads spinning on each other."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def embedded_model():
    """The embedded model through the user's cache (converted once, reused by every test run)."""
    from advisor_peft.models import load_model

    return load_model()
