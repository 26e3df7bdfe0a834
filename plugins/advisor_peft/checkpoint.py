"""Resumable checkpoints without pickle: tensors in safetensors, everything else in JSON.

A checkpoint is a folder ``step-NNNNNNN`` written under a temporary name and renamed when complete,
so a kill -9 can only lose a temp folder (removed at the next save). Its ``state.json`` lists
every file's size; a folder damaged afterwards (a file removed or cut short, garbage JSON) fails
``load_checkpoint`` and ``latest_intact`` falls back to the previous one.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

STATE = "state.json"
PREFIX = "step-"


def _split_tensors(obj: Any, tensors: dict[str, Any], path: str) -> Any:
    """Replace tensors in a nested structure by {"__tensor__": key}, collecting them in ``tensors``."""
    import torch

    if isinstance(obj, torch.Tensor):
        tensors[path] = obj.detach().cpu().contiguous()
        return {"__tensor__": path}
    if isinstance(obj, dict):
        return {str(k): _split_tensors(v, tensors, f"{path}.{k}") for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_split_tensors(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]
    return obj


def _join_tensors(obj: Any, tensors: dict[str, Any]) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__tensor__"}:
            return tensors[obj["__tensor__"]]
        return {k: _join_tensors(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_join_tensors(v, tensors) for v in obj]
    return obj


def optimizer_to_files(optimizer: Any, folder: Path) -> None:
    from safetensors.torch import save_file

    tensors: dict[str, Any] = {}
    layout = _split_tensors(optimizer.state_dict(), tensors, "opt")
    save_file(tensors, str(folder / "optimizer.safetensors"))
    (folder / "optimizer.json").write_text(json.dumps(layout))


def _read_optimizer(folder: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    tensors = load_file(str(folder / "optimizer.safetensors"))
    state = _join_tensors(json.loads((folder / "optimizer.json").read_text()), tensors)
    # JSON turned the integer parameter ids into strings.
    state["state"] = {int(k): v for k, v in state["state"].items()}
    for group in state["param_groups"]:  # and tuples into lists
        if isinstance(group.get("betas"), list):
            group["betas"] = tuple(group["betas"])
    return state


def rng_state() -> tuple[dict[str, Any], dict[str, Any]]:
    """(tensors, json) for the torch, CUDA and Python random generators."""
    import torch

    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda{i}"] = s
    version, internal, gauss = random.getstate()
    return tensors, {"python": [version, list(internal), gauss]}


def set_rng_state(tensors: dict[str, Any], meta: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(tensors["torch"])
    cuda = [tensors[k] for k in sorted(tensors) if k.startswith("cuda")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    version, internal, gauss = meta["python"]
    random.setstate((version, tuple(internal), gauss))


def _clear_stale_temps(root: Path) -> None:
    """Temp folders of writes a kill interrupted (one writer per run: they are never live)."""
    for old in root.glob(".tmp-*"):
        shutil.rmtree(old, ignore_errors=True)


def save_checkpoint(
    root: Path,
    step: int,
    weights: dict[str, Any],
    optimizer: Any,
    scheduler: Any,
    state: dict[str, Any],
    rng: tuple[dict[str, Any], dict[str, Any]],
    best: dict[str, Any] | None = None,
    keep: int = 2,
) -> Path:
    """Write a complete checkpoint for ``step`` atomically and prune old ones.

    ``state.json`` is written last and records every other file's size, so a folder whose
    files were cut short or removed afterwards is recognised as damaged on load."""
    from safetensors.torch import save_file

    root.mkdir(parents=True, exist_ok=True)
    _clear_stale_temps(root)
    final = root / f"{PREFIX}{step:07d}"
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        save_file(
            {k: v.detach().cpu().contiguous() for k, v in weights.items()},
            str(tmp / "weights.safetensors"),
        )
        if best:
            save_file(
                {k: v.cpu().contiguous() for k, v in best.items()}, str(tmp / "best.safetensors")
            )
        optimizer_to_files(optimizer, tmp)
        save_file(rng[0], str(tmp / "rng.safetensors"))
        sched = {k: v for k, v in scheduler.state_dict().items() if k != "lr_lambdas"}
        files = {p.name: p.stat().st_size for p in sorted(tmp.iterdir())}
        doc = {"step": step, "scheduler": sched, "rng": rng[1], "files": files, **state}
        (tmp / STATE).write_text(json.dumps(doc, indent=1))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for old in list_checkpoints(root)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(root: Path) -> list[Path]:
    """Checkpoint folders, oldest first (whether intact or not: ``load_checkpoint`` tells)."""
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.name.startswith(PREFIX)), key=lambda p: p.name)


class CheckpointDamaged(Exception):
    """A checkpoint folder that cannot be trusted; the message says why."""


def _check_files(folder: Path, doc: Any) -> None:
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
        raise CheckpointDamaged(f"{STATE} is not a checkpoint's")
    missing = sorted({"step", "scheduler", "rng"} - doc.keys())
    if missing:
        raise CheckpointDamaged(f"{STATE} lacks {', '.join(missing)}")
    for name, size in doc["files"].items():
        path = folder / name
        if not path.is_file():
            raise CheckpointDamaged(f"{name} is missing")
        if path.stat().st_size != size:
            raise CheckpointDamaged(f"{name} has {path.stat().st_size} bytes, not {size}")


def load_checkpoint(folder: Path) -> dict[str, Any]:
    """Weights, best weights, optimizer state, RNG tensors and the JSON state of one checkpoint
    folder; raises CheckpointDamaged when anything is missing, cut short or unreadable."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        doc = json.loads((folder / STATE).read_text())
        _check_files(folder, doc)
        doc["weights"] = load_file(str(folder / "weights.safetensors"))
        best = folder / "best.safetensors"
        doc["best_weights"] = load_file(str(best)) if best.exists() else None
        doc["rng_tensors"] = load_file(str(folder / "rng.safetensors"))
        doc["optimizer"] = _read_optimizer(folder)
        return doc
    except CheckpointDamaged:
        raise
    except FileNotFoundError as err:
        raise CheckpointDamaged(f"{Path(err.filename or '?').name} is missing") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, SafetensorError) as err:
        raise CheckpointDamaged(f"unreadable: {str(err)[:120]}") from None


def latest_intact(root: Path, warn: Callable[[str], None]) -> dict[str, Any] | None:
    """The newest checkpoint that loads, telling ``warn`` about each damaged one skipped;
    None when there is none (the run starts over)."""
    folders = list_checkpoints(root)
    for i in range(len(folders) - 1, -1, -1):
        try:
            return load_checkpoint(folders[i])
        except CheckpointDamaged as err:
            then = f"falling back to {folders[i - 1].name}" if i else "starting over"
            warn(f"checkpoint {folders[i].name} is damaged ({err}); {then}")
    return None
