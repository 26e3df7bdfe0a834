"""A tiny randomly initialised Llama (2 layers of width 16) for unit tests of model code."""

from __future__ import annotations

from typing import Any


def tiny_llama(vocab: int = 64) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=vocab,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
    )
    return LlamaForCausalLM(cfg).eval()
