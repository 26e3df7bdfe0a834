"""The converted model cache is a complete Hugging Face folder (fast: a tiny stand-in cache)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

LLAMA_CONFIG = {"model_type": "llama", "hidden_size": 8, "vocab_size": 4}


def _tiny_cache(folder: Path) -> None:
    """A cache as an older advisor wrote it: valid weights and manifest, no `architectures`."""
    from advisor_peft.models import WEIGHTS, _write_manifest

    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    (folder / WEIGHTS).write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 8)
    _write_manifest(folder, "test.gguf")


def test_an_old_cache_gets_its_architectures_on_load(tmp_path: Path, monkeypatch):
    from advisor_peft.models import cache_problem, ensure_cache, model_cache_dir

    monkeypatch.setenv("ADVISOR_CACHE", str(tmp_path))
    folder = model_cache_dir()
    _tiny_cache(folder)
    assert cache_problem(folder) is None

    # A valid cache is reused, never reconverted: the GGUF path does not even exist.
    assert ensure_cache(tmp_path / "absent.gguf") == folder
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"]
    assert config["hidden_size"] == 8  # everything else kept
    assert cache_problem(folder) is None  # the manifest follows the rewrite
    assert not list(folder.glob("*.tmp"))


def test_a_complete_config_is_left_alone(tmp_path: Path):
    from advisor_peft.models import repair_config

    _tiny_cache(tmp_path / "m")
    assert repair_config(tmp_path / "m")
    before = (tmp_path / "m" / "config.json").stat().st_mtime_ns
    assert not repair_config(tmp_path / "m")
    assert (tmp_path / "m" / "config.json").stat().st_mtime_ns == before


def test_an_unknown_model_type_is_not_guessed(tmp_path: Path):
    from advisor_peft.models import repair_config

    _tiny_cache(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text(json.dumps({"model_type": "no-such-model"}))
    assert not repair_config(tmp_path / "m")
    assert "architectures" not in json.loads((tmp_path / "m" / "config.json").read_text())
