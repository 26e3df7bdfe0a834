"""Run one generated task through ``lm_eval.simple_evaluate`` on a model already in memory.

The model is wrapped in an ``HFLM`` each call (cheap); it is never reloaded. A fine-tune given
as an adapter folder is attached to the shared base with PEFT for the evaluation and removed
again afterwards, so the base comes back unchanged.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from advisor.bench.schema import ExampleResult
from advisor.components import LoadedModel

Progress = Callable[[int, int], None]  # (done, total) requests

# Below this size a fine-tune is merged into a copy of the base for scoring (fast, memory x2);
# above it the adapter is attached to the shared base and removed afterwards.
MERGE_COPY_MAX_PARAMS = 2_000_000_000

_task_managers: dict[tuple[str, tuple[str, ...]], Any] = {}


def _task_manager(task_dir: Path) -> Any:
    """One TaskManager per task folder and set of YAML files (indexing takes seconds)."""
    from lm_eval.tasks import TaskManager

    key = (str(task_dir.resolve()), tuple(sorted(p.name for p in task_dir.glob("*.yaml"))))
    if key not in _task_managers:
        _task_managers.clear()
        _task_managers[key] = TaskManager(include_path=str(task_dir), include_defaults=False)
    return _task_managers[key]


def _quiet() -> None:
    for name in ("lm-eval", "lm_eval", "datasets", "transformers", "peft"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with contextlib.suppress(Exception):
        import datasets

        datasets.disable_progress_bars()
        datasets.logging.set_verbosity_error()


def _lm_class() -> type:
    from lm_eval.models.huggingface import HFLM

    class ProgressHFLM(HFLM):
        """HFLM that reports batches to a callback instead of drawing tqdm bars."""

        on_progress: Progress | None = None
        _done = 0
        _total = 0

        def _start(self, n: int) -> None:
            self._done, self._total = 0, n
            self._tick(0)

        def _tick(self, rows: int) -> None:
            self._done = min(self._total, self._done + rows)
            if self.on_progress:
                self.on_progress(self._done, self._total)

        def loglikelihood(self, requests, disable_tqdm: bool = False):  # type: ignore[override]
            self._start(len(requests))
            out = super().loglikelihood(requests, disable_tqdm=True)
            self._tick(self._total)
            return out

        def generate_until(self, requests, disable_tqdm: bool = False):  # type: ignore[override]
            self._start(len(requests))
            out = super().generate_until(requests, disable_tqdm=True)
            self._tick(self._total)
            return out

        def _model_call(self, inps, *args, **kwargs):  # type: ignore[override]
            out = super()._model_call(inps, *args, **kwargs)
            self._tick(int(inps.shape[0]))
            return out

        def _model_generate(self, context, *args, **kwargs):  # type: ignore[override]
            out = super()._model_generate(context, *args, **kwargs)
            self._tick(int(context.shape[0]))
            return out

    return ProgressHFLM


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


def _prediction(sample: dict[str, Any], choices: list[str] | None) -> str:
    resps = sample.get("filtered_resps") or []
    if choices is not None:
        lls = [float(r[0]) if isinstance(r, list | tuple) else float(r) for r in resps]
        return choices[max(range(len(lls)), key=lls.__getitem__)] if lls else ""
    first = resps[0] if resps else ""
    return str(first[0] if isinstance(first, list | tuple) else first)


def run(
    loaded: LoadedModel,
    task_dir: str | Path,
    task: str,
    *,
    artifact: str | Path | None = None,
    batch_size: int = 8,
    limit: int | None = None,
    metrics: tuple[str, ...] = ("acc", "exact_match", "token_f1"),
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    """Score ``task`` from ``task_dir``; returns metrics, per-example results and seconds."""
    import torch
    from lm_eval import simple_evaluate

    _quiet()
    task_dir = Path(task_dir)
    manager = _task_manager(task_dir)
    start = time.perf_counter()
    with attached(loaded, artifact) as model, torch.no_grad():
        lm = _lm_class()(
            pretrained=model, tokenizer=loaded.tokenizer, batch_size=batch_size, device="cpu"
        )
        lm.on_progress = on_progress
        out = simple_evaluate(
            model=lm,
            tasks=[task],
            task_manager=manager,
            log_samples=True,
            limit=limit,
            bootstrap_iters=0,
            verbosity="ERROR",
        )
    seconds = time.perf_counter() - start
    if out is None:
        raise RuntimeError(f"lm-eval returned no results for task {task}")
    agg = out["results"][task]
    scores = {m: float(agg[f"{m},none"]) for m in metrics if f"{m},none" in agg}
    choices = out["configs"][task].get("doc_to_choice")
    choices = choices if isinstance(choices, list) else None
    examples = []
    for s in sorted(out["samples"][task], key=lambda s: s["doc_id"]):
        doc = s["doc"]
        target = doc.get("label", doc.get("target"))
        examples.append(
            ExampleResult(
                doc_id=int(s["doc_id"]),
                target=str(target),
                prediction=_prediction(s, choices),
                scores={m: float(s[m]) for m in metrics if m in s},
            )
        )
    return {"metrics": scores, "examples": examples, "seconds": seconds}
