"""Real training runs on the embedded SmolLM2-135M with tiny data (slow: seconds to a minute each)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from advisor.components import Example, TaskData, TrainConfig

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

POS = [
    "great fun",
    "loved it",
    "superb acting",
    "a joy",
    "wonderful",
    "very good",
    "brilliant",
    "fine",
]
NEG = ["awful", "boring mess", "hated it", "terrible plot", "dull", "very bad", "a waste", "poor"]


@pytest.fixture(scope="module")
def data() -> TaskData:
    ex = [Example(input=t, output="positive", line=i) for i, t in enumerate(POS)]
    ex += [Example(input=t, output="negative", line=i + 8) for i, t in enumerate(NEG)]
    return TaskData(
        name="tiny", task_type="classification", examples=ex, labels=["negative", "positive"]
    )


def _fingerprint(model) -> float:
    return float(sum(p.detach().double().sum() for p in model.parameters()))


def _mean_loss(model, embedded_model, data) -> float:
    import torch
    from advisor_peft.collate import answer_loss, collate, encode

    items = [encode(e, data, embedded_model.tokenizer, 64) for e in data.examples]
    batch = collate(items, embedded_model.tokenizer.pad_token_id)
    model.eval()
    with torch.no_grad():
        return float(answer_loss(model, batch))


def test_lora_loss_falls_adapter_reloads_base_untouched(embedded_model, data, tmp_path: Path):
    import torch
    from advisor_peft.collate import collate, encode
    from advisor_peft.loop import release
    from advisor_peft.train import train_model
    from peft import PeftModel

    before_weights = _fingerprint(embedded_model.model)
    before = _mean_loss(embedded_model.model, embedded_model, data)
    cfg = TrainConfig(max_steps=8, batch_size=4, learning_rate=2e-3, eval_every=4, save_every=100)
    out = tmp_path / "lora"
    result, model = train_model(embedded_model, data, cfg, out, progress=False)
    assert model.get_base_model() is embedded_model.model  # trained in place: no copy

    after = _mean_loss(model, embedded_model, data)
    assert after < 0.5 * before, (before, after)
    assert result.steps == 8 and len(result.train_loss) == 8
    assert result.tokens_per_second > 0 and result.examples_per_second > 0

    assert {"adapter_config.json", "adapter_model.safetensors", "train_config.json"} <= {
        p.name for p in out.iterdir()
    }
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train_loss"][0][0] == 1 and metrics["validation_loss"]
    assert metrics["best_step"] in (4, 8) and not Path(str(out) + ".partial").exists()

    batch = collate([encode(e, data, embedded_model.tokenizer, 64) for e in data.examples[:4]], 2)
    kw = {k: batch[k] for k in ("input_ids", "attention_mask", "position_ids")}
    with torch.no_grad():
        want = model(**kw).logits
    release(model)  # the shared base without the adapter layers, as loaded
    assert not any("lora" in n for n, _ in embedded_model.model.named_modules())
    reloaded = PeftModel.from_pretrained(copy.deepcopy(embedded_model.model), out).eval()
    with torch.no_grad():
        got = reloaded(**kw).logits
        plain = embedded_model.model(**kw).logits
    assert torch.allclose(got, want, atol=1e-4)
    assert not torch.allclose(plain, want, atol=1e-2)
    assert _mean_loss(embedded_model.model, embedded_model, data) == pytest.approx(before)
    assert _fingerprint(embedded_model.model) == before_weights  # frozen: its weights unchanged
    assert not hasattr(embedded_model.model, "peft_config")
    assert embedded_model.model.config.use_cache and not embedded_model.model.training
    # Trained with matmul attention on the CPU (device.training_attention), given back as loaded.
    assert embedded_model.model.config._attn_implementation == "sdpa"


def _adapter(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(folder / "adapter_model.safetensors"))


def test_resume_after_interrupt_matches_uninterrupted(embedded_model, data, tmp_path: Path):
    import torch
    from advisor_peft.train import train

    cfg = TrainConfig(max_steps=6, batch_size=4, learning_rate=1e-3, eval_every=3, save_every=2)
    whole = train(embedded_model, data, cfg, tmp_path / "whole", progress=False)

    cut = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        train(embedded_model, data, cfg, cut, progress=False, interrupt_at=3)
    assert not cut.exists()  # an interrupted run never looks finished
    # The base it trained on in place is given back without the adapter layers.
    assert not any("lora" in n for n, _ in embedded_model.model.named_modules())
    assert (tmp_path / "cut.partial" / "checkpoints" / "step-0000003" / "state.json").is_file()

    resumed = train(embedded_model, data, cfg, cut, resume=True, progress=False)
    assert resumed.steps == whole.steps == 6
    a, b = _adapter(tmp_path / "whole"), _adapter(cut)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-6), k
    same = ("best_step", "converged", "stop_reason", "metric", "epochs")
    assert [getattr(resumed, k) for k in same] == [getattr(whole, k) for k in same]
    for got, want in (
        (resumed.train_loss, whole.train_loss),
        (resumed.validation_loss, whole.validation_loss),
        (resumed.validation_metric, whole.validation_metric),
    ):
        assert [s for s, _ in got] == [s for s, _ in want]
        assert [v for _, v in got] == pytest.approx([v for _, v in want], abs=1e-5)


def test_resume_refuses_changed_options(embedded_model, data, tmp_path: Path):
    from advisor_peft.train import train

    from advisor.errors import UsageError

    cfg = TrainConfig(max_steps=4, batch_size=4, save_every=100)
    with pytest.raises(KeyboardInterrupt):
        train(embedded_model, data, cfg, tmp_path / "o", progress=False, interrupt_at=1)
    changed = cfg.model_copy(update={"learning_rate": 1e-5})
    with pytest.raises(UsageError, match="learning_rate"):
        train(embedded_model, data, changed, tmp_path / "o", resume=True, progress=False)


def test_ia3_trains_and_reloads(embedded_model, data, tmp_path: Path):
    from advisor_peft.backends import config_for
    from advisor_peft.loop import release
    from advisor_peft.train import train_model
    from peft import PeftModel

    cfg = config_for("ia3", max_steps=4, batch_size=4, eval_every=2)
    before = _mean_loss(embedded_model.model, embedded_model, data)
    result, model = train_model(embedded_model, data, cfg, tmp_path / "ia3", progress=False)
    assert result.method == "ia3" and result.steps == 4
    assert _mean_loss(model, embedded_model, data) < before
    release(model)
    assert _mean_loss(embedded_model.model, embedded_model, data) == pytest.approx(before)
    adapter = json.loads((tmp_path / "ia3" / "adapter_config.json").read_text())
    assert adapter["peft_type"] == "IA3"
    PeftModel.from_pretrained(copy.deepcopy(embedded_model.model), tmp_path / "ia3")


def test_full_fine_tune_writes_a_loadable_model_folder(embedded_model, data, tmp_path: Path):
    from advisor_peft.backends import config_for
    from advisor_peft.models import load_model
    from advisor_peft.train import train_model

    cfg = config_for("full", max_steps=3, batch_size=4, learning_rate=5e-5, eval_every=3)
    before = _fingerprint(embedded_model.model)
    result, model = train_model(embedded_model, data, cfg, tmp_path / "full", progress=False)
    assert result.method == "full" and _fingerprint(embedded_model.model) == before
    reloaded = load_model(str(tmp_path / "full"))
    assert _fingerprint(reloaded.model) == pytest.approx(_fingerprint(model), rel=1e-9)
    assert _fingerprint(reloaded.model) != pytest.approx(before, rel=1e-9)
    assert _mean_loss(model, embedded_model, data) < _mean_loss(
        embedded_model.model, embedded_model, data
    )


def test_early_stopping_fires_and_keeps_the_best_step(embedded_model, data, tmp_path: Path):
    from advisor_peft.train import train

    # A learning rate far too high makes the validation loss rise after the first check.
    cfg = TrainConfig(
        max_steps=12,
        batch_size=4,
        learning_rate=0.5,
        warmup_ratio=0,
        eval_every=1,
        patience=2,
        min_steps=1,
        stop_on="loss",
    )
    result = train(embedded_model, data, cfg, tmp_path / "es", progress=False)
    assert result.stopped_early and result.steps < 12
    val = dict(result.validation_loss)
    assert result.best_step == min(val, key=val.get)
    assert result.steps == max(val)


def test_training_to_convergence_reports_a_consistent_curve(embedded_model, tmp_path: Path):
    """The default (no epochs): accuracy on the given validation rows at least 8 times, the
    best weights kept, and steps, epochs, best step and converged telling the same story."""
    from advisor_peft.train import train

    words = [(t, "positive") for t in POS] + [(t, "negative") for t in NEG]
    rows = [
        Example(input=f"{lead} {t}", output=y)
        for lead in ("honestly", "overall", "really")
        for t, y in words
    ]
    labels = ["negative", "positive"]
    train_data = TaskData(name="t", task_type="classification", examples=rows[:40], labels=labels)
    # One row twice with both labels: accuracy cannot reach 1.0, which would end the run at
    # once (the base model already sorts these words; see the test below).
    flipped = rows[40].model_copy(
        update={"output": "negative" if rows[40].output == "positive" else "positive"}
    )
    held = TaskData(
        name="v", task_type="classification", examples=[*rows[40:], flipped], labels=labels
    )
    cfg = TrainConfig(batch_size=8, learning_rate=1e-3, max_steps=40)
    result = train(
        embedded_model, train_data, cfg, tmp_path / "cv", validation=held, progress=False
    )
    assert result.metric == "acc" and len(result.validation_metric) >= 8
    assert [s for s, _ in result.validation_metric] == [s for s, _ in result.validation_loss]
    curve = dict(result.validation_metric)
    top = max(curve.values())  # the curve is rounded to 6 places, the best score is not
    assert result.best_score == pytest.approx(top, abs=1e-6) and curve[result.best_step] == top
    assert result.best_step == min(s for s, v in curve.items() if v == top)
    assert result.epochs == pytest.approx(result.steps / 5)  # 40 rows: 5 batches of 8
    assert result.steps >= 15  # the floor: 3 epochs
    assert result.converged == result.stopped_early == result.stop_reason.startswith("plateau")
    if not result.converged:
        assert result.steps == 40 and result.stop_reason.startswith("ceiling: max_steps 40")


def test_a_perfect_validation_score_ends_the_run(embedded_model, tmp_path: Path):
    """Accuracy 1.0 cannot be beaten, so the kept weights are final: the run stops there,
    converged, instead of training on to the floor for nothing."""
    from advisor_peft.train import train

    rows = [Example(input=f"honestly {t}", output="positive") for t in POS]
    rows += [Example(input=f"honestly {t}", output="negative") for t in NEG]
    labels = ["negative", "positive"]
    train_data = TaskData(name="t", task_type="classification", examples=rows, labels=labels)
    held = TaskData(name="v", task_type="classification", examples=rows[::3], labels=labels)
    cfg = TrainConfig(batch_size=8, learning_rate=1e-3, max_steps=40, eval_every=1)
    result = train(
        embedded_model, train_data, cfg, tmp_path / "sat", validation=held, progress=False
    )
    assert result.best_score == 1.0 and result.steps == result.best_step < 15  # under the floor
    assert result.converged and result.stopped_early
    assert result.stop_reason.startswith("saturated: validation accuracy 1.0")
