"""Resumable checkpoints without pickle: tensors in safetensors, everything else in JSON.

A checkpoint is a folder ``step-NNNNNNN`` written under a temporary name and renamed when complete,
so the newest folder with that name is always whole (a kill -9 can only lose a temp folder).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
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


def optimizer_from_files(optimizer: Any, folder: Path) -> None:
    from safetensors.torch import load_file

    tensors = load_file(str(folder / "optimizer.safetensors"))
    state = _join_tensors(json.loads((folder / "optimizer.json").read_text()), tensors)
    # JSON turned the integer parameter ids into strings.
    state["state"] = {int(k): v for k, v in state["state"].items()}
    for group in state["param_groups"]:  # and tuples into lists
        if isinstance(group.get("betas"), list):
            group["betas"] = tuple(group["betas"])
    optimizer.load_state_dict(state)


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
    """Write a complete checkpoint for ``step`` atomically and prune old ones."""
    from safetensors.torch import save_file

    root.mkdir(parents=True, exist_ok=True)
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
        doc = {"step": step, "scheduler": sched, "rng": rng[1], **state}
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
    if not root.is_dir():
        return []
    done = [p for p in root.iterdir() if p.name.startswith(PREFIX) and (p / STATE).is_file()]
    return sorted(done, key=lambda p: p.name)


def load_checkpoint(folder: Path) -> dict[str, Any]:
    """Weights, best weights, RNG tensors and the JSON state of one checkpoint folder."""
    from safetensors.torch import load_file

    doc = json.loads((folder / STATE).read_text())
    doc["weights"] = load_file(str(folder / "weights.safetensors"))
    best = folder / "best.safetensors"
    doc["best_weights"] = load_file(str(best)) if best.exists() else None
    doc["rng_tensors"] = load_file(str(folder / "rng.safetensors"))
    return doc
