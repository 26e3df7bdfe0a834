"""Attaching a fine-tune to the shared base for scoring (moved verbatim from
``advisor_lmeval.runner``; wired as the peft backends' ``attach``).

A fine-tune given as an adapter folder is attached to the shared base with PEFT for the
evaluation and removed again afterwards, so the base comes back unchanged.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from advisor.components import LoadedModel

# Below this size a fine-tune is merged into a copy of the base for scoring (fast, memory x2);
# above it the adapter is attached to the shared base and removed afterwards.
MERGE_COPY_MAX_PARAMS = 2_000_000_000


@contextlib.contextmanager
def attached(loaded: LoadedModel, artifact: str | Path | None) -> Iterator[Any]:
    """The model to evaluate: the base, the base with an adapter, or a full fine-tune."""
    if artifact is None:
        yield loaded.model
        return
    path = Path(artifact)
    if (path / "adapter_config.json").exists():
        from peft import PeftModel

        if _params(loaded.model) <= MERGE_COPY_MAX_PARAMS:
            # Small model: merge the adapter into a copy, so scoring runs at base-model speed.
            merged = PeftModel.from_pretrained(copy.deepcopy(loaded.model), str(path))
            model = merged.merge_and_unload()
            model.eval()
            yield model
            return
        model = PeftModel.from_pretrained(loaded.model, str(path), is_trainable=False)
        model.eval()
        try:
            yield model
        finally:
            model.unload()  # strips the adapter layers without merging: the base is untouched
        return
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(path))
    model.eval()
    yield model


def _params(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())
