"""``attach``: a fine-tune written by these backends, on top of the shared base, for scoring.

An adapter folder is attached to the shared base and stripped again afterwards (the base's own
weights are never changed); a full fine-tune is a complete model folder loaded beside the base.
Either way the base comes back unchanged.

The adapter is not merged: merging into a copy of the base doubled the model's memory (0.54 GB
for the 135M model, a sixth of the demo's peak), and merging into the base itself would leave
rounding error behind when it is subtracted again. Unmerged LoRA adds two rank-r matmuls per
layer, about 4% of the work at r=16 for SmolLM2-135M.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from advisor.components import LoadedModel
from advisor.errors import UsageError
from advisor.progress import quiet_libraries
from advisor_peft.hf import HFModel


@contextlib.contextmanager
def attach(base: LoadedModel, artifact: str | Path) -> Iterator[HFModel]:
    """The base with the adapter or full model in ``artifact``, as an HFModel."""
    if not isinstance(base, HFModel):
        raise UsageError(f"the peft backends fine-tune Hugging Face models; {base.name} is not one")
    path = Path(artifact)
    if (path / "adapter_config.json").exists():
        from peft import PeftModel

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
