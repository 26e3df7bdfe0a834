"""Model sources: the embedded model's safetensors cache and local folders (slow: loads a model)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


def _logits(loaded, text: str = "Input: hello\nAnswer:"):
    import torch

    ids = loaded.tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        return loaded.model(**ids).logits


def test_cache_is_complete_and_loads_with_tied_head(embedded_model):
    from advisor_peft.models import MANIFEST, WEIGHTS, cache_problem

    folder = embedded_model.path
    assert cache_problem(folder) is None
    assert (folder / MANIFEST).is_file() and (folder / "config.json").is_file()
    from safetensors import safe_open

    with safe_open(str(folder / WEIGHTS), "pt") as fh:
        names = list(fh.keys())
    assert "lm_head.weight" not in names  # tied: stored once
    m = embedded_model.model
    assert m.lm_head.weight.data_ptr() == m.model.embed_tokens.weight.data_ptr()
    assert embedded_model.tokenizer.pad_token is not None


def test_truncated_cache_is_rebuilt_not_loaded(embedded_model, tmp_path: Path, monkeypatch):
    """Copy the good cache, cut its weights in half, and load: it must be rebuilt from the GGUF."""
    from advisor_peft.models import WEIGHTS, cache_problem, load_model, model_cache_dir

    monkeypatch.setenv("ADVISOR_CACHE", str(tmp_path / "cache"))
    broken = model_cache_dir()
    shutil.copytree(embedded_model.path, broken)
    size = (broken / WEIGHTS).stat().st_size
    with (broken / WEIGHTS).open("r+b") as fh:
        fh.truncate(size // 2)
    assert cache_problem(broken) is not None

    rebuilt = load_model()
    assert rebuilt.path == broken and cache_problem(broken) is None
    # A complete Hugging Face folder: other tools (transformers serve) read the class from it.
    config = json.loads((broken / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"]
    assert (broken / WEIGHTS).stat().st_size == size
    import torch

    assert torch.allclose(_logits(rebuilt), _logits(embedded_model), atol=1e-5)
    assert not list(broken.parent.glob(".smollm2-135m.*"))  # no temp folders left behind


def test_local_folder_loads_like_the_cache(embedded_model, tmp_path: Path):
    import torch
    from advisor_peft.models import load_model, resolve_model

    folder = tmp_path / "my-model"
    shutil.copytree(embedded_model.path, folder)
    source = resolve_model(str(folder))
    assert source.name == "my-model" and source.params_b == pytest.approx(0.135, abs=0.01)
    loaded = load_model(str(folder))
    assert torch.allclose(_logits(loaded), _logits(embedded_model))


@pytest.mark.slow
def test_loaded_model_contract_through_the_resolver(embedded_model, one_torch_thread):
    """The core's view of a model: resolved by the hook, tokens counted without weights, choices
    scored, per-character loss; an unknown name says how to provide one."""
    from advisor.components import ChoiceRequest, LoadedModel
    from advisor.errors import UsageError
    from advisor.plugins import get_plugins

    plugins = get_plugins()
    source = plugins.resolve_model(None)
    assert source.name == "smollm2-135m" and source.tokenizer is not None
    texts = ["The cat sat on the mat.", "Refund my order please"]
    assert source.tokenizer().count_tokens(texts) == embedded_model.count_tokens(texts)
    assert isinstance(embedded_model, LoadedModel) and embedded_model.params_b == pytest.approx(
        0.1348, abs=1e-3
    )
    scores = embedded_model.score_choices(
        [
            ChoiceRequest(
                context="Question: What colour is the sky?\nAnswer:", choices=[" blue", " a table"]
            )
        ]
    )
    assert len(scores[0]) == 2 and scores[0][0] > scores[0][1]
    easy = embedded_model.nll_per_char(["The weather is nice today and the sun is out."])
    hard = embedded_model.nll_per_char(["qz8 xv0 kj3 pw7 zz1 qq9 xk2 jj5 vv4"])
    assert 0 < easy < hard
    with pytest.raises(UsageError, match="nothing is downloaded"):
        plugins.resolve_model("no-such-hub/model")
