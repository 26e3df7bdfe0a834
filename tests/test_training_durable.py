"""Nothing is lost, nothing crashes: what `advisor train` may replace or resume, checked before a
model loads; half-written checkpoints and conversions; and (slow) SIGKILL at several moments
followed by --resume, ending with the weights of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.components import ModelSource, TrainConfig, TrainResult
from advisor.errors import UsageError
from advisor.hookspecs import hookimpl
from advisor.train_output import CONFIG_FILE, METRICS_FILE, check_output, partial_dir, publish

ROOT = Path(__file__).resolve().parents[1]
POS = ["great fun", "loved it", "superb acting", "a joy", "wonderful", "very good", "brilliant"]
NEG = ["awful", "boring mess", "hated it", "terrible plot", "dull", "very bad", "a waste"]


def _data_file(folder: Path) -> Path:
    rows = [{"text": t, "label": "positive"} for t in POS + ["fine"]]
    rows += [{"text": t, "label": "negative"} for t in NEG + ["poor"]]
    path = folder / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


class _NoLoad:
    """A model source whose load() fails the test: everything checked must fail before it."""

    @hookimpl
    def advisor_models(self):
        def load():
            raise AssertionError("the model was loaded")

        return [ModelSource(name="noload", description="must not load", location="-", load=load)]


def _train(tmp_path: Path, *args: str):
    from advisor.cli import cli
    from advisor.plugins import get_plugins

    plugins = get_plugins()
    if "noload" not in plugins.info:
        plugins.register(_NoLoad(), name="noload")
    base = ["train", "--data", str(_data_file(tmp_path)), "--model", "noload", "--no-plan"]
    return CliRunner().invoke(cli, [*base, *args])


def _finished(folder: Path, config: TrainConfig) -> None:
    """A folder as a finished `advisor train` leaves it."""
    folder.mkdir(parents=True)
    (folder / CONFIG_FILE).write_text(json.dumps(config.model_dump(mode="json")))
    (folder / "adapter_model.safetensors").write_bytes(b"old")
    result = TrainResult(output_dir=folder, method="lora", steps=3, train_loss=[(3, 0.25)])
    (folder / METRICS_FILE).write_text(result.model_dump_json())


def _lora(**options) -> TrainConfig:
    from advisor_peft.backends import config_for

    return config_for("lora", **options)


# ---------------------------------------------------------------- --overwrite and --output


def test_overwrite_refuses_a_foreign_folder_and_keeps_its_files(tmp_path: Path):
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "important.txt").write_text("keep me")
    (mine / "sub" / "notes.md").write_text("and me")
    res = _train(tmp_path, "--output", str(mine), "--overwrite")
    assert res.exit_code == 2, res.output
    line = res.output.strip()
    assert "refusing to --overwrite" in line and str(mine) in line and METRICS_FILE in line
    assert len(line.splitlines()) == 1 and "Traceback" not in res.output
    assert (mine / "important.txt").read_text() == "keep me"
    assert (mine / "sub" / "notes.md").read_text() == "and me"


def test_overwrite_replaces_an_earlier_advisor_output(tmp_path: Path):
    out = tmp_path / "run"
    _finished(out, _lora())
    assert check_output(out, _lora(epochs=1), resume=False, overwrite=True) is None
    work = partial_dir(out)
    work.mkdir()
    (work / METRICS_FILE).write_text("{}")
    (work / "adapter_model.safetensors").write_bytes(b"new")
    publish(work, out)
    assert (out / "adapter_model.safetensors").read_bytes() == b"new" and not work.exists()


def test_a_folder_that_changed_during_training_is_not_replaced(tmp_path: Path):
    out, work = tmp_path / "run", tmp_path / "run.partial"
    out.mkdir()  # empty when the run started: allowed
    assert check_output(out, _lora(), resume=False, overwrite=False) is None
    (out / "important.txt").write_text("written meanwhile")
    work.mkdir()
    with pytest.raises(UsageError, match="changed during training"):
        publish(work, out)
    assert (out / "important.txt").is_file() and work.is_dir()


def test_home_root_and_current_folder_are_never_replaced(tmp_path: Path, monkeypatch):
    home = tmp_path / "home"
    _finished(home, _lora())  # even one that looks like an advisor output
    monkeypatch.setenv("HOME", str(home))
    for folder in (home, Path("/"), Path.cwd()):
        with pytest.raises(UsageError, match="home, root or current folder"):
            check_output(folder, _lora(), resume=False, overwrite=True)
    assert (home / METRICS_FILE).is_file()


def test_a_foreign_partial_folder_is_not_removed(tmp_path: Path):
    (tmp_path / "run.partial").mkdir()
    (tmp_path / "run.partial" / "data.csv").write_text("x")
    res = _train(tmp_path, "--output", str(tmp_path / "run"))
    assert res.exit_code == 2 and "not an interrupted advisor run" in res.output
    assert (tmp_path / "run.partial" / "data.csv").is_file()


@pytest.mark.parametrize("where", ["file", "below-a-file", "unwritable"])
def test_bad_output_fails_before_the_model_loads(tmp_path: Path, monkeypatch, where):
    (tmp_path / "a-file").write_text("x")
    output = tmp_path / ("a-file" if where == "file" else "a-file/sub")
    if where == "unwritable":  # the tests may run as root, for whom os.access says yes
        monkeypatch.setattr("advisor.train_output.os.access", lambda path, mode: False)
        output = tmp_path / "new" / "run"
    res = _train(tmp_path, "--output", str(output))
    assert res.exit_code == 2, res.output
    assert {"file": "is a file", "below-a-file": "is a file", "unwritable": "cannot write"}[
        where
    ] in res.output
    assert len(res.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [
        ("--lr", "nan", "learning_rate"),
        ("--warmup-ratio", "nan", "warmup_ratio"),
        ("--epochs", "inf", "epochs"),
        ("--seed", "1" * 30, "seed"),
        ("--batch-size", "1" * 400, "batch_size"),
    ],
)
def test_bad_numbers_fail_before_the_model_loads(tmp_path: Path, flag, value, field):
    res = _train(tmp_path, "--output", str(tmp_path / "o"), flag, value)
    assert res.exit_code == 2, res.output
    line = res.output.strip()
    assert len(line.splitlines()) == 1 and len(line) < 300, line
    assert f"bad training option {field}=" in line and "allowed:" in line


def test_train_config_bounds_are_finite_and_documented_in_the_message():
    from pydantic import ValidationError

    for bad in ({"epochs": float("inf")}, {"learning_rate": -1}, {"seed": 2**32}):
        with pytest.raises(ValidationError):
            TrainConfig(**bad)
    assert TrainConfig().seed == 0 and TrainConfig(max_grad_norm=None).max_grad_norm is None


# ---------------------------------------------------------------- --resume


def test_resume_of_a_finished_run_with_other_options_says_which(tmp_path: Path):
    out = tmp_path / "run"
    _finished(out, _lora(max_steps=3))
    res = _train(tmp_path, "--output", str(out), "--resume", "--max-steps", "3", "--lr", "0.01")
    assert res.exit_code == 2, res.output
    assert "finished run with other options" in res.output
    assert "learning_rate 0.0002 -> 0.01" in res.output
    # The same options: the finished result, without loading the model.
    res = _train(tmp_path, "--output", str(out), "--resume", "--max-steps", "3", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["steps"] == 3
    assert (out / "adapter_model.safetensors").read_bytes() == b"old"


def test_resume_of_an_interrupted_run_with_other_options_fails_first(tmp_path: Path):
    work = tmp_path / "run.partial"
    work.mkdir()
    (work / CONFIG_FILE).write_text(json.dumps(_lora(max_steps=3).model_dump(mode="json")))
    res = _train(tmp_path, "--output", str(tmp_path / "run"), "--resume", "--max-steps", "4")
    assert res.exit_code == 2 and "max_steps 3 -> 4" in res.output
    (work / CONFIG_FILE).write_text("garbage")
    res = _train(tmp_path, "--output", str(tmp_path / "run"), "--resume", "--max-steps", "3")
    assert res.exit_code == 2 and "unreadable" in res.output


# ---------------------------------------------------------------- model conversion


def test_stale_conversion_temps_are_removed_and_live_ones_kept(tmp_path: Path):
    from advisor_peft.models import STALE_AFTER_S, _clean_stale_temps

    dead = tmp_path / ".m.999999999.abc.tmp"  # no such pid
    live = tmp_path / f".m.{os.getpid()}.def.tmp"
    old_style, fresh_style = tmp_path / ".m.xyz", tmp_path / ".m.uvw"
    for folder in (dead, live, old_style, fresh_style, tmp_path / "m"):
        folder.mkdir()
    long_ago = time.time() - STALE_AFTER_S - 10
    os.utime(old_style, (long_ago, long_ago))
    _clean_stale_temps(tmp_path, "m")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, fresh_style.name, "m"])


def test_a_failed_conversion_leaves_no_temp_folder(tmp_path: Path, monkeypatch):
    import types

    import advisor_peft.models as models

    class Loader:
        @staticmethod
        def from_pretrained(*args, **kwargs):
            return object()

    fake = types.SimpleNamespace(AutoModelForCausalLM=Loader, AutoTokenizer=Loader)
    monkeypatch.setitem(sys.modules, "transformers", fake)

    def half_written(model, tokenizer, folder: Path) -> None:
        (folder / "model.safetensors").write_bytes(b"x" * 1000)
        raise OSError("disk full")

    monkeypatch.setattr(models, "save_model_folder", half_written)
    with pytest.raises(OSError, match="disk full"):
        models._convert_gguf(tmp_path / "m.gguf", tmp_path / "cache" / "m", "m")
    assert list((tmp_path / "cache").iterdir()) == []


# ---------------------------------------------------------------- SIGKILL, then --resume (slow)

# A handful of steps on the embedded model: checkpoints at steps 2 and 4, the run ends at 6.
KILL_ARGS = [
    "--no-plan", "--max-steps", "6", "--batch-size", "4", "--save-every", "2", "--eval-every", "3",
    "--max-length", "32", "--lr", "1e-3", "--no-progress", "--json",
]  # fmt: skip
WAIT_S = 300  # per process: model load plus a few steps on a busy 2-core machine


def _start(data: Path, out: Path, log: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "advisor.cli", "train", "--data", str(data), "--output", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    with log.open("w") as fh:
        return subprocess.Popen([*cmd, *KILL_ARGS, *extra], env=env, stdout=fh, stderr=fh)


def _kill_when(proc: subprocess.Popen, log: Path, ready) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` holds (bounded wait)."""
    deadline = time.monotonic() + WAIT_S
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"train ended (rc {proc.returncode}) before the kill: {log.read_text()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no kill moment within {WAIT_S} s: {log.read_text()[-2000:]}")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


def _finish(proc: subprocess.Popen, log: Path) -> str:
    try:
        proc.wait(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"train did not finish within {WAIT_S} s")
    assert proc.returncode == 0, log.read_text()[-3000:]
    return log.read_text()


def _adapter(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(folder / "adapter_model.safetensors"))


@pytest.mark.slow
def test_sigkill_at_several_moments_then_resume_equals_an_uninterrupted_run(tmp_path: Path):
    import torch
    from advisor_peft.models import embedded_gguf, ensure_cache

    ensure_cache(embedded_gguf())  # converted before the workers start (not timed by the kills)
    data = _data_file(tmp_path)
    whole = tmp_path / "whole"
    _finish(_start(data, whole, tmp_path / "whole.log"), tmp_path / "whole.log")

    out = tmp_path / "cut"
    work, logs = partial_dir(out), [tmp_path / f"cut{i}.log" for i in range(3)]
    checkpoints = work / "checkpoints"

    # 1. Before the first checkpoint: the run has started (its config is written), no step yet.
    _kill_when(_start(data, out, logs[0]), logs[0], lambda: (work / CONFIG_FILE).is_file())
    assert not out.exists()
    # 2. Mid-run, right after the second checkpoint (step 4) is complete.
    step4 = checkpoints / "step-0000004"
    _kill_when(_start(data, out, logs[1], "--resume"), logs[1], (step4 / "state.json").is_file)
    assert not out.exists() and (checkpoints / "step-0000002" / "state.json").is_file()
    # 3. The newest checkpoint damaged afterwards, and a checkpoint write cut short by a kill.
    weights = step4 / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    (checkpoints / ".tmp-killed").mkdir()
    (checkpoints / ".tmp-killed" / "weights.safetensors").write_bytes(b"\0" * 10)
    text = _finish(_start(data, out, logs[2], "--resume"), logs[2])
    assert "step-0000004 is damaged" in text and "falling back to step-0000002" in text

    assert not work.exists() and (out / METRICS_FILE).is_file()
    a, b = _adapter(whole), _adapter(out)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-6), k
    got, want = (json.loads((d / METRICS_FILE).read_text()) for d in (out, whole))
    assert got["steps"] == want["steps"] == 6
    for key in ("train_loss", "validation_loss", "validation_metric"):
        assert [s for s, _ in got[key]] == [s for s, _ in want[key]]
        assert [v for _, v in got[key]] == pytest.approx([v for _, v in want[key]], abs=1e-5)
