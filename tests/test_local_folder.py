"""Any local Hugging Face causal-LM folder is a --model for both arms: a tiny randomly
initialised Llama built from the embedded model's config and tokenizer (slow: real training
and lm-eval scoring, on a model small enough to take seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

KB = Path(__file__).resolve().parents[1] / "advisor" / "data" / "demo" / "kb"


def _tiny_llama(folder: Path) -> Path:
    """The embedded model's architecture and tokenizer, 2 layers of width 64, random weights."""
    import torch
    from advisor_peft.models import embedded_gguf, ensure_cache
    from transformers import AutoConfig, AutoTokenizer, LlamaForCausalLM

    gguf = embedded_gguf()
    if gguf is None:
        pytest.skip("the embedded model is not installed (its config and tokenizer are used)")
    cache = ensure_cache(gguf)
    config = AutoConfig.from_pretrained(cache)
    config.update(
        dict(num_hidden_layers=2, hidden_size=64, intermediate_size=128,
             num_attention_heads=4, num_key_value_heads=2, head_dim=16)
    )  # fmt: skip
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(cache).save_pretrained(folder)
    return folder


def test_a_tiny_random_llama_folder_runs_prompts_retrieval_and_lora(tmp_path: Path):
    from advisor_peft.models import resolve_model

    from advisor.bench.run import run_benchmark
    from advisor.bench.schema import BenchmarkOptions

    folder = _tiny_llama(tmp_path / "tiny-llama")
    assert json.loads((folder / "config.json").read_text())["architectures"] == ["LlamaForCausalLM"]
    source = resolve_model(str(folder))
    assert source.name == "tiny-llama" and source.params_b is not None and source.params_b < 0.01

    options = BenchmarkOptions(
        data=KB / "train.jsonl", test=KB / "test.jsonl", documents=KB / "documents.jsonl",
        model=str(folder), strategies=["zero-shot", "rag", "lora"], limit=4, train_limit=16,
        shots=1, max_steps=2, output=tmp_path / "run", progress=False, forgetting=False,
    )  # fmt: skip
    results = run_benchmark(options)
    assert [s.name for s in results.strategies] == ["zero-shot", "rag", "lora"]
    for s in results.strategies:
        assert s.n == 4 and {"exact_match", "token_f1"} <= set(s.metrics)
    assert results.get("rag").prompt_tokens > results.get("zero-shot").prompt_tokens
    lora = results.get("lora")
    assert lora.train is not None and lora.train.steps == 2
    assert (Path(lora.artifact) / "adapter_config.json").is_file()


def test_the_chat_template_wraps_training_and_scoring_alike(tmp_path: Path):
    """--chat-template: the fine-tune learns on chat-wrapped prompts and every arm is scored
    on the same wrapping (its own lm-eval task, the plain one left as written)."""
    from advisor_peft.chat import as_chat
    from advisor_peft.collate import encode
    from transformers import AutoTokenizer

    from advisor.bench.run import run_benchmark
    from advisor.bench.schema import BenchmarkOptions
    from advisor.data import load_task_data

    folder = _tiny_llama(tmp_path / "tiny-llama")
    tickets = KB.parent / "tickets"
    options = BenchmarkOptions(
        data=tickets / "train.jsonl", test=tickets / "test.jsonl", model=str(folder),
        strategies=["zero-shot", "lora"], limit=4, train_limit=24, max_steps=2,
        chat_template=True, output=tmp_path / "run", progress=False, forgetting=False,
    )  # fmt: skip
    results = run_benchmark(options)
    assert results.complete and results.get("lora").train.steps == 2
    tasks = tmp_path / "run" / "tasks"
    chat_docs = [json.loads(line) for line in next(tasks.glob("*zero_shot_chat*.jsonl")).open()]
    tok = AutoTokenizer.from_pretrained(folder)
    marker = as_chat(tok, "")[:12]  # the template's opening of the user's turn
    assert chat_docs and all(str(d["prompt"]).startswith(marker) for d in chat_docs)
    # Training saw the very same text: encode's chat prompt decodes to the scored prompt.
    data = load_task_data(tickets / "train.jsonl")
    example = data.model_copy(update={"labels": sorted({e.output for e in data.examples})})
    item = encode(example.examples[0], example, tok, 512, chat=True)
    assert tok.decode(item.prompt).startswith(marker)
