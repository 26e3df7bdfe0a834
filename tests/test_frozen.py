"""Frozen base weights held in the training dtype during a run (advisor_peft.frozen)."""

from __future__ import annotations

import pytest
import torch
from advisor_peft import frozen
from tiny_models import tiny_llama


def _tied_llama():
    from transformers import LlamaForCausalLM

    model = tiny_llama()
    model.config.tie_word_embeddings = True
    tied = LlamaForCausalLM(model.config).eval()
    assert tied.get_output_embeddings().weight is tied.get_input_embeddings().weight
    return tied


def _state(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("tie", [False, True])
def test_lowered_weights_give_autocasts_matmuls_and_come_back_exactly(tmp_path, tie):
    model = _tied_llama() if tie else tiny_llama()
    model.save_pretrained(tmp_path)
    frozen.own_memory(model)
    before = _state(model)
    ids = torch.tensor([[1, 5, 9, 3, 7]])
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        want = model(ids).logits

    lowered = frozen.lower(model, torch.bfloat16, tmp_path)
    linears = [m for m in model.modules() if type(m) is torch.nn.Linear]
    tied = model.get_input_embeddings().weight
    # 7 per layer, and the output layer unless it is the embedding (looked up in fp32).
    assert len(lowered.layers) == sum(m.weight is not tied for m in linears) == 14 + (not tie)
    assert all(m.weight.dtype == torch.bfloat16 for m, *_ in lowered.layers)
    assert model.get_input_embeddings().weight.dtype == torch.float32  # lookups stay fp32
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        got = model(ids).logits
    assert torch.equal(got, want)  # the same bf16 matmuls autocast ran on the fp32 weights

    frozen.restore(lowered)
    after = _state(model)
    assert after.keys() == before.keys()
    assert all(torch.equal(after[k], before[k]) for k in before)
    assert lowered.layers == []


@pytest.mark.parametrize("why", ["no files", "no dtype"])
def test_nothing_is_lowered_without_files_to_restore_from_or_a_training_dtype(tmp_path, why):
    model = tiny_llama()
    if why == "no files":
        lowered = frozen.lower(model, torch.bfloat16, tmp_path)  # an empty folder
    else:
        model.save_pretrained(tmp_path)
        lowered = frozen.lower(model, None, tmp_path)
    assert lowered.layers == []
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_owned_weights_are_copies_not_views_of_the_file(tmp_path):
    from transformers import AutoModelForCausalLM

    _tied_llama().save_pretrained(tmp_path)
    model = AutoModelForCausalLM.from_pretrained(tmp_path)
    before = _state(model)
    frozen.own_memory(model)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    # Tied weights stay tied.
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight
