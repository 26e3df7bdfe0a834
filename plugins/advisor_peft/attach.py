"""``attach``: a fine-tune written by these backends, on top of the shared base, for scoring.

An adapter folder is merged into a copy of a small base (scoring then runs at base-model
speed; memory x2) or attached to a large base and stripped again afterwards; a full fine-tune
is a complete model folder loaded beside the base. Either way the base comes back unchanged.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from pathlib import Path

from advisor.components import LoadedModel
from advisor.errors import UsageError
from advisor.progress import quiet_libraries
from advisor_peft.hf import HFModel

# Below this size a fine-tune is merged into a copy of the base for scoring (fast, memory x2);
# above it the adapter is attached to the shared base and removed afterwards.
MERGE_COPY_MAX_PARAMS = 2_000_000_000


@contextlib.contextmanager
def attach(base: LoadedModel, artifact: str | Path) -> Iterator[HFModel]:
    """The base with the adapter or full model in ``artifact``, as an HFModel."""
    if not isinstance(base, HFModel):
        raise UsageError(f"the peft backends fine-tune Hugging Face models; {base.name} is not one")
    path = Path(artifact)
    if (path / "adapter_config.json").exists():
        from peft import PeftModel

        if sum(p.numel() for p in base.model.parameters()) <= MERGE_COPY_MAX_PARAMS:
            with quiet_libraries(loggers=("peft", "transformers")):
                merged = PeftModel.from_pretrained(copy.deepcopy(base.model), str(path))
                model = merged.merge_and_unload()
            model.eval()
            yield base.with_model(model)
            return
        with quiet_libraries(loggers=("peft", "transformers")):
            model = PeftModel.from_pretrained(base.model, str(path), is_trainable=False)
        model.eval()
        try:
            yield base.with_model(model)
        finally:
            model.unload()  # strips the adapter layers without merging: the base is untouched
        return
    from transformers import AutoModelForCausalLM

    with quiet_libraries(loggers=("transformers",)):
        model = AutoModelForCausalLM.from_pretrained(str(path))
    model.to(next(base.model.parameters()).device)
    model.eval()
    yield base.with_model(model)
