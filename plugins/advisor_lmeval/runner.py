"""Score a ``PromptSuite`` through ``lm_eval.simple_evaluate`` on a model already in memory.

The suite is written as a plain lm-eval task (``advisor_lmeval.tasks``) and the model wrapped
in an ``AdvisorHFLM`` each call (cheap; shared-prefix scoring, ``advisor_lmeval.lm``); it is
never reloaded. A fine-tune comes already attached
(``TrainingBackend.attach``): the runner scores whatever model it is given.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from advisor.components import ExampleResult, LoadedModel, Progress, PromptSuite, RunOutput
from advisor.errors import UsageError
from advisor.progress import quiet_libraries
from advisor_lmeval.tasks import write_task

METRICS = ("acc", "exact_match", "token_f1")

_task_managers: dict[tuple[str, tuple[str, ...]], Any] = {}


def _task_manager(task_dir: Path) -> Any:
    """One TaskManager per task folder and set of YAML files (indexing takes seconds)."""
    from lm_eval.tasks import TaskManager

    key = (str(task_dir.resolve()), tuple(sorted(p.name for p in task_dir.glob("*.yaml"))))
    if key not in _task_managers:
        _task_managers.clear()
        _task_managers[key] = TaskManager(include_path=str(task_dir), include_defaults=False)
    return _task_managers[key]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """lm-eval without its own output: its bars and logs off (the benchmark's progress display
    shows this work), and no ``git describe`` or environment survey in the run's metadata:
    outside a git checkout git prints "fatal: not a git repository" on stderr, and the results
    are not kept anyway."""
    from lm_eval import evaluator

    with contextlib.ExitStack() as stack:
        stack.enter_context(
            quiet_libraries(
                bars_in=("lm_eval.api.task", "lm_eval.api.model"),
                loggers=("lm-eval", "lm_eval", "datasets", "transformers", "peft"),
            )
        )
        stack.enter_context(mock.patch.object(evaluator, "get_git_commit_hash", lambda: None))
        stack.enter_context(mock.patch.object(evaluator, "add_env_info", lambda results: None))
        with contextlib.suppress(Exception):  # datasets' bars have a switch of their own
            import datasets

            if datasets.is_progress_bar_enabled():
                datasets.disable_progress_bars()
                stack.callback(datasets.enable_progress_bars)
        yield


def _prediction(sample: dict[str, Any], choices: list[str] | None) -> str:
    resps = sample.get("filtered_resps") or []
    if choices is not None:
        lls = [float(r[0]) if isinstance(r, list | tuple) else float(r) for r in resps]
        return choices[max(range(len(lls)), key=lls.__getitem__)] if lls else ""
    first = resps[0] if resps else ""
    return str(first[0] if isinstance(first, list | tuple) else first)


def _hf_parts(model: LoadedModel) -> tuple[Any, Any]:
    """The transformers model and tokenizer a Hugging Face ``LoadedModel`` carries."""
    hf, tokenizer = getattr(model, "model", None), getattr(model, "tokenizer", None)
    if hf is None or tokenizer is None:
        name = getattr(model, "name", type(model).__name__)
        raise UsageError(f"the lmeval runner scores Hugging Face models; {name} is not one")
    return hf, tokenizer


def evaluate(lm: Any, suite: PromptSuite, task_dir: Path) -> dict[str, Any]:
    """lm-eval's own ``simple_evaluate`` of the suite's task (written first if missing) with the
    lm-eval model ``lm``: its raw output, samples logged (the scoring benchmark compares two)."""
    import torch
    from lm_eval import simple_evaluate

    task_dir = Path(task_dir)
    if not (task_dir / f"{suite.name}.yaml").exists():
        write_task(suite, task_dir)
    with torch.no_grad(), _quiet():
        out = simple_evaluate(
            model=lm,
            tasks=[suite.name],
            task_manager=_task_manager(task_dir),
            log_samples=True,
            bootstrap_iters=0,
            verbosity="ERROR",
        )
    if out is None:
        raise RuntimeError(f"lm-eval returned no results for task {suite.name}")
    return out


def chat_suite(suite: PromptSuite, tokenizer: Any) -> PromptSuite:
    """The suite with every prompt as the user's turn of the chat template, under its own
    task name (the plain task stays as written)."""
    from advisor_peft.chat import as_chat

    docs = [d.model_copy(update={"prompt": as_chat(tokenizer, d.prompt)}) for d in suite.docs]
    return suite.model_copy(update={"name": f"{suite.name}_chat", "docs": docs})


def run(
    model: LoadedModel,
    suite: PromptSuite,
    task_dir: Path,
    *,
    batch_size: int = 8,
    on_progress: Progress | None = None,
) -> RunOutput:
    """Score ``suite`` (its task in ``task_dir``, written first if missing) on ``model``; a
    model in chat mode scores the suite's prompts wrapped in its chat template."""
    hf, tokenizer = _hf_parts(model)
    if getattr(model, "chat", False):
        suite = chat_suite(suite, tokenizer)
    start = time.perf_counter()
    with _quiet():  # HFLM's constructor logs its device and dtype choices
        from advisor_lmeval.lm import make_lm  # imports lm-eval: only when scoring

        lm = make_lm(hf, tokenizer, batch_size, on_progress)
    out = evaluate(lm, suite, task_dir)
    seconds = time.perf_counter() - start
    agg = out["results"][suite.name]
    examples = [
        ExampleResult(
            doc_id=int(s["doc_id"]),
            target=str(s["doc"].get("label", s["doc"].get("target"))),
            prediction=_prediction(s, suite.choices),
            scores={m: float(s[m]) for m in METRICS if m in s},
        )
        for s in sorted(out["samples"][suite.name], key=lambda s: s["doc_id"])
    ]
    return RunOutput(
        metrics={m: float(agg[f"{m},none"]) for m in METRICS if f"{m},none" in agg},
        examples=examples,
        seconds=seconds,
    )
