"""Fast tests of the training plumbing: encoding, masking, collation, batch plans, schedules,
checkpoint round trips, cache integrity checks and user-facing errors. No model is loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from advisor_peft.collate import IGNORE, Encoded, collate, encode, eval_batches, plan_batches
from click.testing import CliRunner
from tiny_models import tiny_llama

from advisor.components import Example, TaskData, TrainConfig
from advisor.errors import UsageError
from advisor.template import render_prompt, render_target


class CharTokenizer:
    """One id per character; enough to check boundaries, padding and truncation."""

    eos_token_id = 2
    pad_token_id = 0

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict:
        ids = [3 + (ord(c) % 200) for c in text]
        return {"input_ids": ([1] if add_special_tokens else []) + ids}


def _data(task_type: str = "classification") -> TaskData:
    ex = [Example(input="good film", output="pos"), Example(input="bad", output="neg")]
    labels = ["neg", "pos"] if task_type == "classification" else None
    return TaskData(name="t", task_type=task_type, examples=ex, labels=labels)


def test_encode_uses_shared_template_and_splits_at_answer():
    data = _data()
    tok = CharTokenizer()
    enc = encode(data.examples[0], data, tok, max_length=512)
    assert enc.prompt == tok(render_prompt("good film", ["neg", "pos"]))["input_ids"]
    assert enc.answer == tok(render_target("pos"), add_special_tokens=False)["input_ids"]


def test_generation_answer_ends_with_eos_classification_does_not():
    tok = CharTokenizer()
    gen = _data("generation")
    assert encode(gen.examples[0], gen, tok, 512).answer[-1] == tok.eos_token_id
    cls = _data()
    assert encode(cls.examples[0], cls, tok, 512).answer[-1] != tok.eos_token_id


def test_encode_truncates_prompt_start_and_keeps_answer():
    data = TaskData(
        name="t",
        task_type="generation",
        examples=[Example(input="x" * 300, output="short answer")],
    )
    enc = encode(data.examples[0], data, CharTokenizer(), max_length=64)
    assert enc.length == 64
    full_prompt = CharTokenizer()(render_prompt("x" * 300))["input_ids"]
    assert enc.prompt == full_prompt[-len(enc.prompt) :]  # the end ("Answer:") survives
    assert enc.answer[-1] == CharTokenizer.eos_token_id


def test_collate_left_pads_and_masks_everything_but_answers():
    a = Encoded(prompt=[5, 6, 7], answer=[8, 9])
    b = Encoded(prompt=[5], answer=[10])
    batch = collate([a, b], pad_id=0)
    ids, mask, targets = batch["input_ids"], batch["attention_mask"], batch["targets"]
    assert ids.tolist() == [[5, 6, 7, 8, 9], [0, 0, 0, 5, 10]]
    assert mask.tolist() == [[1, 1, 1, 1, 1], [0, 0, 0, 1, 1]]
    assert targets.tolist() == [[8, 9], [IGNORE, 10]]
    # Padding does not shift positions: each sequence starts at 0.
    assert batch["position_ids"].tolist() == [[0, 1, 2, 3, 4], [0, 0, 0, 0, 1]]
    assert batch["tokens"] == 7 and batch["target_tokens"] == 3


def test_answer_loss_matches_full_sequence_loss():
    """The logits_to_keep shortcut gives the loss a plain causal-LM forward would give."""
    import torch
    from advisor_peft.collate import answer_loss
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=50,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
    )
    model = LlamaForCausalLM(cfg).eval()
    items = [Encoded([1, 5, 6, 7], [8, 9]), Encoded([1, 4], [11])]
    batch = collate(items, pad_id=0)
    with torch.no_grad():
        fast = answer_loss(model, batch, reduction="sum")
    slow = 0.0
    for it in items:  # unpadded, full logits, standard shift
        ids = torch.tensor([it.prompt + it.answer])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, :-1]
        labels = ids[0, 1:].clone()
        labels[: len(it.prompt) - 1] = IGNORE
        slow += torch.nn.functional.cross_entropy(
            logits, labels, ignore_index=IGNORE, reduction="sum"
        )
    assert float(fast) == pytest.approx(float(slow), rel=1e-4)


def test_the_output_layer_gets_contiguous_answer_positions_while_training():
    """A strided slice of the hidden states makes torch run the output layer as a batched matmul
    copying the vocabulary weight per row (12% of a LoRA step); the kept positions must arrive
    contiguous, and be the ones that predict the answer tokens."""
    import torch
    from advisor_peft.collate import answer_logits
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=50,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
    )
    model = LlamaForCausalLM(cfg).train()
    seen = []
    model.lm_head.register_forward_hook(lambda m, args, out: seen.append(args[0]))
    batch = collate([Encoded([1, 5, 6, 7], [8, 9]), Encoded([1, 4], [11])], pad_id=0)
    logits = answer_logits(model, batch)
    assert seen[0].is_contiguous() and seen[0].requires_grad
    assert logits.shape == (2, 2, 50)
    full = model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        position_ids=batch["position_ids"],
    ).logits
    assert torch.allclose(logits, full[:, -3:-1], atol=1e-6)


def test_plan_batches_is_a_deterministic_permutation_with_less_padding():
    lengths = [(i * 37) % 50 + 1 for i in range(200)]
    plan = plan_batches(lengths, 8, seed=1, epoch=0)
    assert sorted(i for b in plan for i in b) == list(range(200))
    assert plan == plan_batches(lengths, 8, seed=1, epoch=0)
    assert plan != plan_batches(lengths, 8, seed=1, epoch=1)

    def padded(batches):
        return sum(len(b) * max(lengths[i] for i in b) for b in batches)

    assert padded(plan) < 0.8 * padded(plan_batches(lengths, 8, seed=1, epoch=0, group=False))
    ev = eval_batches(lengths, 8)
    assert sorted(i for b in ev for i in b) == list(range(200))


@pytest.mark.parametrize("kind", ["linear", "cosine", "constant"])
def test_schedule_warms_up_then_decays(kind):
    from advisor_peft.loop import lr_lambda

    f = lr_lambda(TrainConfig(scheduler=kind, warmup_ratio=0.1), total=100)
    values = [f(s) for s in range(100)]
    assert values[0] < values[5] < values[10]
    assert max(values) == pytest.approx(1.0, abs=0.1)
    if kind == "constant":
        assert values[-1] == pytest.approx(1.0)
    else:
        assert values[-1] < 0.05
        assert all(a >= b for a, b in zip(values[10:], values[11:], strict=False))


def _tiny_run():
    """A linear layer, its AdamW optimizer and a schedule after three steps."""
    import torch

    torch.manual_seed(0)
    lin = torch.nn.Linear(4, 3)
    opt = torch.optim.AdamW(lin.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (s + 1))
    for _ in range(3):
        lin(torch.randn(2, 4)).sum().backward()
        opt.step()
        sched.step()
        opt.zero_grad()
    return lin, opt, sched


def _save_steps(root: Path, steps, lin, opt, sched) -> None:
    from advisor_peft.checkpoint import rng_state, save_checkpoint

    for step in steps:
        state = {"epoch": 0, "batch": step}
        save_checkpoint(root, step, dict(lin.named_parameters()), opt, sched, state, rng_state())


def test_optimizer_checkpoint_round_trip_without_pickle(tmp_path: Path):
    import torch
    from advisor_peft.checkpoint import list_checkpoints, load_checkpoint

    lin, opt, sched = _tiny_run()
    _save_steps(tmp_path, (1, 2, 3), lin, opt, sched)
    kept = list_checkpoints(tmp_path)
    assert [p.name for p in kept] == ["step-0000002", "step-0000003"]
    assert not any(p.suffix == ".pt" or p.suffix == ".bin" for p in kept[-1].iterdir())
    doc = load_checkpoint(kept[-1])
    assert torch.equal(doc["weights"]["weight"], lin.weight)

    lin2 = torch.nn.Linear(4, 3)
    opt2 = torch.optim.AdamW(lin2.parameters(), lr=0.1)
    opt2.load_state_dict(doc["optimizer"])
    s1, s2 = opt.state_dict(), opt2.state_dict()
    for k in s1["state"]:
        for name, v in s1["state"][k].items():
            assert torch.equal(v, s2["state"][k][name])
    assert s1["param_groups"] == s2["param_groups"]


def test_half_written_checkpoints_are_never_taken(tmp_path: Path):
    from advisor_peft.checkpoint import latest_intact, list_checkpoints

    (tmp_path / "step-0000005").mkdir()  # not from save_checkpoint: no state.json
    (tmp_path / ".tmp-abc").mkdir()  # a write a kill interrupted
    warnings: list[str] = []
    assert latest_intact(tmp_path, warnings.append) is None
    assert "step-0000005" in warnings[0] and "starting over" in warnings[0]
    lin, opt, sched = _tiny_run()
    _save_steps(tmp_path, (6,), lin, opt, sched)
    assert not (tmp_path / ".tmp-abc").exists()  # stale temp folders go at the next save
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-0000005", "step-0000006"]
    assert latest_intact(tmp_path, warnings.append)["step"] == 6


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize(
    "damage",
    [
        lambda f: (f / "weights.safetensors").unlink(),
        lambda f: _truncate(f / "weights.safetensors"),
        lambda f: _truncate(f / "optimizer.safetensors"),
        lambda f: (f / "state.json").write_text("{garbage"),
        lambda f: (f / "state.json").write_text('{"step": 3}'),
        lambda f: (f / "state.json").unlink(),
    ],
    ids=[
        "weights-deleted",
        "weights-truncated",
        "optimizer-truncated",
        "garbage-state",
        "foreign-state",
        "state-deleted",
    ],
)
def test_damaged_newest_checkpoint_falls_back_to_the_previous(tmp_path: Path, damage):
    from advisor_peft.checkpoint import latest_intact

    lin, opt, sched = _tiny_run()
    _save_steps(tmp_path, (2, 3), lin, opt, sched)
    damage(tmp_path / "step-0000003")
    warnings: list[str] = []
    doc = latest_intact(tmp_path, warnings.append)
    assert doc is not None and doc["step"] == 2 and doc["batch"] == 2
    assert len(warnings) == 1 and "step-0000003 is damaged" in warnings[0]
    assert "falling back to step-0000002" in warnings[0]
    damage(tmp_path / "step-0000002")
    assert latest_intact(tmp_path, warnings.append) is None
    assert "starting over" in warnings[-1]


# ---------------------------------------------------------------- model cache integrity


def _fake_cache(folder: Path) -> None:
    import torch
    from advisor_peft.models import WEIGHTS, _write_manifest
    from safetensors.torch import save_file

    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    save_file({"w": torch.arange(1000, dtype=torch.float32)}, str(folder / WEIGHTS))
    _write_manifest(folder, "test")


def test_cache_check_accepts_complete_and_rejects_damaged(tmp_path: Path):
    from advisor_peft.models import MANIFEST, WEIGHTS, cache_problem

    good = tmp_path / "good"
    _fake_cache(good)
    assert cache_problem(good) is None

    no_manifest = tmp_path / "nm"
    _fake_cache(no_manifest)
    (no_manifest / MANIFEST).unlink()
    assert "manifest" in cache_problem(no_manifest)

    truncated = tmp_path / "tr"
    _fake_cache(truncated)
    raw = (truncated / WEIGHTS).read_bytes()
    (truncated / WEIGHTS).write_bytes(raw[: len(raw) // 2])
    assert "size" in cache_problem(truncated)

    flipped = tmp_path / "fl"
    _fake_cache(flipped)
    raw = bytearray((flipped / WEIGHTS).read_bytes())
    raw[-1] ^= 0xFF
    (flipped / WEIGHTS).write_bytes(bytes(raw))
    assert "checksum" in cache_problem(flipped)


def test_cache_location_respects_env(monkeypatch, tmp_path: Path):
    from advisor_peft.models import cache_root

    monkeypatch.delenv("ADVISOR_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "advisor"
    monkeypatch.setenv("ADVISOR_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"


# ---------------------------------------------------------------- errors and plugin wiring


def test_unknown_model_name_says_how_to_provide_it(tmp_path: Path):
    from advisor_peft.models import resolve_model

    with pytest.raises(UsageError, match="--model PATH"):
        resolve_model("meta-llama/Llama-3-8B")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no config.json"):
        resolve_model(str(tmp_path / "empty"))


def test_backends_are_registered_with_defaults_and_memory():
    from advisor.plugins import get_plugins

    backends = {b.name: b for b in get_plugins().training_backends()}
    assert {"lora", "ia3", "full"} <= set(backends)
    assert backends["ia3"].defaults["learning_rate"] > backends["lora"].defaults["learning_rate"]
    mem = {k: backends[k].memory_gb(7.0) for k in ("lora", "ia3", "full")}
    assert mem["full"] > 3 * mem["lora"] > 0
    assert backends["lora"].memory_gb(70.0) > backends["lora"].memory_gb(7.0)


def _run(args: list[str]):
    from advisor.cli import cli

    return CliRunner().invoke(cli, args)


def test_train_cli_bad_data_line_is_named(tmp_path: Path):
    f = tmp_path / "train.jsonl"
    f.write_text('{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n{"text": oops}\n')
    res = _run(["train", "--data", str(f), "--output", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert f"{f}:3" in res.output and "Traceback" not in res.output


def test_train_cli_absent_label_column(tmp_path: Path):
    f = tmp_path / "train.jsonl"
    f.write_text('{"text": "a", "label": "x"}\n{"text": "b"}\n')
    res = _run(["train", "--data", str(f), "--output", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert f"{f}:2" in res.output and "'label'" in res.output
    args = ["--text-field", "text", "--label-field", "y"]
    res = _run(["train", "--data", str(f), "--output", str(tmp_path / "o"), *args])
    assert res.exit_code == 2 and "missing field 'y'" in res.output


def test_train_cli_missing_model_and_bad_method(tmp_path: Path):
    f = tmp_path / "train.jsonl"
    f.write_text('{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n')
    res = _run(["train", "--data", str(f), "--output", str(tmp_path / "o"), "--model", "nope-7b"])
    assert res.exit_code == 2 and "--model PATH" in res.output
    res = _run(["train", "--data", str(f), "--output", str(tmp_path / "o"), "--method", "magic"])
    assert res.exit_code == 2 and "lora" in res.output


def test_models_cli_json_lists_the_embedded_model():
    res = _run(["models", "--json"])
    assert res.exit_code == 0
    rows = json.loads(res.output)
    row = next(r for r in rows if r["name"] == "smollm2-135m")
    assert row["params_b"] == pytest.approx(0.135) and row["location"]


def test_train_cli_takes_defaults_from_plan_and_flags_win(tmp_path: Path):
    """Glue only: a stand-in backend and model record the config the command builds."""
    from fake_plugin import FakeModel

    from advisor.components import ModelSource, TrainingBackend, TrainResult
    from advisor.hookspecs import hookimpl
    from advisor.plugins import get_plugins

    seen = {}

    def fake_train(base, data, config, output_dir, **kw):
        seen.update(config=config, kw=kw, base=base.name)
        return TrainResult(
            output_dir=output_dir, method=config.method, steps=1, train_loss=[(1, 0.5)]
        )

    class Fake:
        @hookimpl
        def advisor_training_backends(self):
            return [
                TrainingBackend(
                    name="fake",
                    description="records its config",
                    method="lora",
                    defaults={"learning_rate": 0.123},
                    memory_gb=lambda b: 1.0,
                    train=fake_train,
                    attach=lambda base, artifact: None,
                )
            ]

        @hookimpl
        def advisor_models(self):
            load = lambda: FakeModel("stub")  # noqa: E731
            return [ModelSource(name="stub", description="x", location="-", load=load)]

    get_plugins().register(Fake(), name="fake")
    f = tmp_path / "train.jsonl"
    f.write_text(
        "".join(json.dumps({"text": f"t{i}", "label": "ab"[i % 2]}) + "\n" for i in range(40))
    )
    args = ["train", "--data", str(f), "--output", str(tmp_path / "o"), "--method", "fake"]
    res = _run([*args, "--model", "stub", "--batch-size", "2", "--resume", "--json"])
    assert res.exit_code == 0, res.output
    cfg = seen["config"]
    from advisor.guidance import hyperparameters
    from advisor.profile import load_profile

    plan = hyperparameters(
        load_profile(None, labeled_examples=40, task_type="classification"), "lora"
    )
    assert cfg.batch_size == 2  # the flag wins
    assert cfg.lora_r == plan["lora_r"]  # the plan's choice
    # The plan's "up to N epochs" is the ceiling of a run to convergence.
    assert cfg.epochs is None and cfg.max_epochs == plan["epochs"] and cfg.eval_every is None
    assert cfg.learning_rate == plan["learning_rate"] != 0.123
    assert seen["kw"]["resume"] is True and seen["base"] == "stub"
    assert json.loads(res.output)["steps"] == 1

    res = _run([*args, "--model", "stub", "--no-plan", "--json"])
    assert seen["config"].learning_rate == 0.123 and seen["config"].epochs == TrainConfig().epochs


def _tiny_llama(vocab: int = 256):
    return tiny_llama(vocab)


def test_cached_label_scoring_equals_one_sequence_per_label():
    from advisor_peft.scoring import accuracy, label_loglikelihoods, label_loglikelihoods_plain

    ex = [
        Example(input="good film " * (i % 3 + 1), output=["pos", "neg", "meh"][i % 3])
        for i in range(7)
    ]
    data = TaskData(name="t", task_type="classification", examples=ex, labels=["meh", "neg", "pos"])
    model, tok = _tiny_llama(), CharTokenizer()
    fast = label_loglikelihoods(model, tok, data, ex, batch_size=3)
    slow = label_loglikelihoods_plain(model, tok, data, ex)
    assert len(fast) == 7 and all(len(r) == 3 for r in fast)
    for a, b in zip(fast, slow, strict=True):
        assert a == pytest.approx(b, abs=1e-3)
    assert 0.0 <= accuracy(model, tok, data, ex) <= 1.0


def test_one_validation_pass_gives_the_accuracy_and_the_training_loss():
    """The loss read off the label scores is the training loss on the same rows (the loop
    no longer runs a second pass for it)."""
    import torch
    from advisor_peft.collate import answer_loss, collate, encode
    from advisor_peft.scoring import accuracy_and_loss, label_loglikelihoods

    ex = [
        Example(input="good film " * (i % 3 + 1), output=["pos", "neg", "meh"][i % 3])
        for i in range(7)
    ]
    data = TaskData(name="t", task_type="classification", examples=ex, labels=["meh", "neg", "pos"])
    model, tok = _tiny_llama(), CharTokenizer()
    acc, loss = accuracy_and_loss(model, tok, data, ex)
    rows = label_loglikelihoods(model, tok, data, ex)
    want_acc = sum(
        data.labels[max(range(3), key=r.__getitem__)] == e.output
        for r, e in zip(rows, ex, strict=True)
    )
    batch = collate([encode(e, data, tok, 512) for e in ex], tok.pad_token_id)
    with torch.no_grad():
        want_loss = float(answer_loss(model, batch))
    assert acc == want_acc / len(ex)
    assert loss == pytest.approx(want_loss, rel=1e-4)
