"""The frozen weights of a base that an adapter trains on, held in the training dtype.

Under bf16 autocast every frozen linear layer's fp32 weight is cast to bf16 on each forward
pass and the cast is kept for the backward pass: for SmolLM2-135M that is 0.27 GB of copies
per step on top of the fp32 weights, a third of what a step keeps alive (measured with
``torch.autograd.graph.saved_tensors_hooks``: 7.1 of 20 MB per layer for 8 x 57 tokens).
Storing those weights in bf16 for the run gives the same matmuls (autocast rounds the same
way) without the copies or the casting, and frees their fp32 storage. When the run ends
(finished, failed or interrupted) the fp32 weights are read back from the model's own
safetensors files, exactly as loaded.

Only layers whose weights can be read back are lowered: a model without files (built in
memory) or with keys the files lack trains as before. A weight shared with the input
embeddings (a tied output layer) stays as it is: the embedding lookup reads it too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Lowered:
    """What ``lower`` changed: each linear layer (the module itself, so that it is found again
    inside an adapter's wrapper) with the file, the key and the dtype of its weight."""

    layers: list[tuple[Any, Path, str, Any]] = field(default_factory=list)


# safetensors' dtype names, for reading tensors back without a memory map.
_DTYPES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64"}


def _header(path: Path) -> tuple[int, dict[str, Any]]:
    """A safetensors file's data offset and tensor table (8-byte length, then JSON)."""
    with path.open("rb") as f:
        size = int.from_bytes(f.read(8), "little")
        table = json.loads(f.read(size))
    table.pop("__metadata__", None)
    return 8 + size, table


def _keys(folder: Path | None) -> dict[str, Path]:
    """Every tensor key of the safetensors files in ``folder``, with its file."""
    if folder is None or not Path(folder).is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in sorted(Path(folder).glob("*.safetensors")):
        try:
            _, table = _header(path)
        except (OSError, ValueError):  # unreadable: nothing here can be restored from it
            continue
        found.update({k: path for k, v in table.items() if v.get("dtype") in _DTYPES})
    return found


def _read(path: Path, keys: list[str]) -> Iterator[tuple[str, Any]]:
    """The tensors ``keys`` of the file at ``path``, one at a time, read with plain file reads:
    a memory map would keep every page it touched resident until closed (0.4 GB at once)."""
    import torch

    start, table = _header(path)
    with path.open("rb") as f:
        for key in keys:
            entry = table[key]
            begin, end = entry["data_offsets"]
            f.seek(start + begin)
            data = bytearray(f.read(end - begin))
            dtype = getattr(torch, _DTYPES[entry["dtype"]])
            yield key, torch.frombuffer(data, dtype=dtype).reshape(entry["shape"])


def lower(model: Any, dtype: Any, source: Path | None) -> Lowered:
    """Store ``model``'s linear weights in ``dtype`` where ``source`` holds them (call it
    before an adapter wraps the layers; they must be frozen for the run)."""
    import torch

    lowered = Lowered()
    keys = _keys(source) if dtype is not None else {}  # no headers read for a plain fp32 run
    if not keys:
        return lowered
    shared = model.get_input_embeddings().weight
    for name, module in model.named_modules():
        if type(module) is not torch.nn.Linear or module.weight is shared:
            continue
        key = f"{name}.weight"
        if key not in keys or module.weight.dtype == dtype:
            continue
        lowered.layers.append((module, keys[key], key, module.weight.dtype))
        low = module.weight.detach().to(dtype)
        module.weight = torch.nn.Parameter(low, requires_grad=module.weight.requires_grad)
    return lowered


def restore(lowered: Lowered) -> None:
    """Read the lowered weights back from their files, in their original dtype."""
    import torch

    by_file: dict[Path, dict[str, tuple[Any, Any]]] = {}
    for module, path, key, dtype in lowered.layers:
        by_file.setdefault(path, {})[key] = (module, dtype)
    for path, layers in by_file.items():
        for key, tensor in _read(path, list(layers)):
            module, dtype = layers[key]
            old = module.weight
            weight = tensor.to(device=old.device, dtype=dtype)
            module.weight = torch.nn.Parameter(weight, requires_grad=old.requires_grad)
    lowered.layers.clear()


def own_memory(model: Any) -> None:
    """Move weights that are views of a memory-mapped file into the process's own memory.

    safetensors maps the file and transformers keeps the weights as views of the map, so a
    weight replaced later (``lower``) stays resident as long as any other weight of the same
    file lives; owned copies are freed when replaced (measured: lowering the 210 linear
    layers of SmolLM2-135M freed nothing with mapped weights)."""
    import torch

    with torch.no_grad():
        for p in model.parameters():
            if p.device.type == "cpu":  # a GPU copy was never a view of the file
                p.data = p.data.clone()
