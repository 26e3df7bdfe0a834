"""Model sources: the embedded model's safetensors cache and local folders (slow: loads a model)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Two cores shared with other jobs: one thread avoids OpenMP threads spinning on each other."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def cached():
    """The embedded model through the user's cache (converted once, reused by every test run)."""
    from advisor_peft.models import load_model

    return load_model()


def _logits(loaded, text: str = "Input: hello\nAnswer:"):
    import torch

    ids = loaded.tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        return loaded.model(**ids).logits


def test_cache_is_complete_and_loads_with_tied_head(cached):
    from advisor_peft.models import MANIFEST, WEIGHTS, cache_problem

    folder = cached.path
    assert cache_problem(folder) is None
    assert (folder / MANIFEST).is_file() and (folder / "config.json").is_file()
    from safetensors import safe_open

    with safe_open(str(folder / WEIGHTS), "pt") as fh:
        names = list(fh.keys())
    assert "lm_head.weight" not in names  # tied: stored once
    m = cached.model
    assert m.lm_head.weight.data_ptr() == m.model.embed_tokens.weight.data_ptr()
    assert cached.tokenizer.pad_token is not None


def test_truncated_cache_is_rebuilt_not_loaded(cached, tmp_path: Path, monkeypatch):
    """Copy the good cache, cut its weights in half, and load: it must be rebuilt from the GGUF."""
    from advisor_peft.models import WEIGHTS, cache_problem, load_model, model_cache_dir

    monkeypatch.setenv("ADVISOR_CACHE", str(tmp_path / "cache"))
    broken = model_cache_dir()
    shutil.copytree(cached.path, broken)
    size = (broken / WEIGHTS).stat().st_size
    with (broken / WEIGHTS).open("r+b") as fh:
        fh.truncate(size // 2)
    assert cache_problem(broken) is not None

    rebuilt = load_model()
    assert rebuilt.path == broken and cache_problem(broken) is None
    assert (broken / WEIGHTS).stat().st_size == size
    import torch

    assert torch.allclose(_logits(rebuilt), _logits(cached), atol=1e-5)
    assert not list(broken.parent.glob(".smollm2-135m.*"))  # no temp folders left behind


def test_local_folder_loads_like_the_cache(cached, tmp_path: Path):
    import torch
    from advisor_peft.models import load_model, resolve_model

    folder = tmp_path / "my-model"
    shutil.copytree(cached.path, folder)
    source = resolve_model(str(folder))
    assert source.name == "my-model" and source.params_b == pytest.approx(0.135, abs=0.01)
    loaded = load_model(str(folder))
    assert torch.allclose(_logits(loaded), _logits(cached))
