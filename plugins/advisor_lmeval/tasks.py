"""A ``PromptSuite`` as a plain lm-eval task: the YAML and the JSONL of test documents beside it.

Every task loads its documents with lm-eval's local-file loader (``dataset_path: json``) so
``lm_eval --include_path DIR --tasks NAME`` runs it offline, unchanged. Each document carries
its finished prompt, so the YAML stays small. Generation tasks score with the core's
``advisor/bench/task_metrics.py``, copied beside the YAML as ``advisor_metrics.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from advisor.components import PromptSuite
from advisor.errors import UsageError
from advisor.files import write_atomic

METRICS_MODULE = "advisor_metrics"
PROCESS_RESULTS = f"!function {METRICS_MODULE}.process_results"


def _metrics_source() -> bytes:
    # Read as a file of the advisor package, not imported: importing advisor.bench from a
    # plugin would tie the plugin to the benchmark package (an import cycle until v2).
    return (resources.files("advisor") / "bench" / "task_metrics.py").read_bytes()


def suite_docs(suite: PromptSuite) -> list[dict[str, Any]]:
    """The JSONL documents: a classification ``target`` is the label's index in the choices
    (lm-eval's multiple-choice target), with the label itself as ``label``."""
    docs = []
    for doc in suite.docs:
        row: dict[str, Any] = {
            "id": doc.id,
            "line": doc.line,
            "input": doc.input,
            "prompt": doc.prompt,
        }
        if suite.task_type == "classification":
            choices = suite.choices or []
            if doc.target not in choices:
                raise UsageError(
                    f"suite {suite.name}: example {doc.id} has label '{doc.target}', "
                    f"not one of the choices {choices}"
                )
            row["target"] = choices.index(doc.target)
            row["label"] = doc.target
        else:
            row["target"] = doc.target
        docs.append(row)
    return docs


def write_docs(path: Path, docs: Iterable[dict[str, Any]]) -> Path:
    write_atomic(path, "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))
    return path


def _base(name: str, docs_path: Path, description: str) -> dict[str, Any]:
    return {
        "task": name,
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(docs_path.resolve())}},
        "test_split": "test",
        "doc_to_text": "prompt",
        "metadata": {"version": 1, "generator": "advisor", "description": description},
    }


def multiple_choice_task(
    name: str, docs_path: Path, labels: list[str], description: str = ""
) -> dict[str, Any]:
    """Classification: score every label as a continuation, pick the most likely."""
    cfg = _base(name, docs_path, description)
    cfg.update(
        {
            "output_type": "multiple_choice",
            "doc_to_choice": list(labels),
            "doc_to_target": "target",
            "target_delimiter": " ",
            "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        }
    )
    return cfg


def generation_task(
    name: str,
    docs_path: Path,
    *,
    until: list[str],
    max_gen_toks: int,
    description: str = "",
) -> dict[str, Any]:
    """Generation: greedy decoding, scored by exact match and token F1 (advisor_metrics.py)."""
    cfg = _base(name, docs_path, description)
    cfg.update(
        {
            "output_type": "generate_until",
            "doc_to_target": "target",
            "target_delimiter": " ",
            "generation_kwargs": {"until": until, "max_gen_toks": max_gen_toks, "do_sample": False},
            "process_results": PROCESS_RESULTS,
            "metric_list": [
                {"metric": "exact_match", "aggregation": "mean", "higher_is_better": True},
                {"metric": "token_f1", "aggregation": "mean", "higher_is_better": True},
            ],
        }
    )
    return cfg


def task_config(suite: PromptSuite, docs_path: Path) -> dict[str, Any]:
    """The lm-eval config of ``suite`` whose documents are at ``docs_path``."""
    if suite.task_type == "classification":
        if not suite.choices:
            raise UsageError(f"suite {suite.name}: a classification suite needs choices")
        return multiple_choice_task(suite.name, docs_path, suite.choices, suite.description)
    if suite.generation is None:
        raise UsageError(f"suite {suite.name}: a generation suite needs a generation spec")
    return generation_task(
        suite.name,
        docs_path,
        until=list(suite.generation.until),
        max_gen_toks=suite.generation.max_tokens,
        description=suite.description,
    )


def write_config(task_dir: Path, config: dict[str, Any]) -> Path:
    """Write ``<task>.yaml`` (and the metrics module a generation task imports)."""
    cfg = dict(config)
    function_line = ""
    if cfg.get("process_results") == PROCESS_RESULTS:
        # `!function` is an lm-eval YAML tag: write it verbatim after the plain YAML.
        cfg.pop("process_results")
        function_line = f"process_results: {PROCESS_RESULTS}\n"
        src = _metrics_source()
        dest = task_dir / f"{METRICS_MODULE}.py"
        if not dest.exists() or dest.read_bytes() != src:
            task_dir.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(src)
    text = (
        "# Generated by `advisor benchmark`; run it with\n"
        f"#   lm_eval --model hf --model_args pretrained=MODEL_DIR --include_path {task_dir} "
        f"--tasks {cfg['task']}\n"
        + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
        + function_line
    )
    path = task_dir / f"{cfg['task']}.yaml"
    write_atomic(path, text)
    return path


def write_task(suite: PromptSuite, task_dir: Path) -> str:
    """Write ``<name>.jsonl`` and ``<name>.yaml`` for ``suite`` into ``task_dir``; returns the
    lm-eval task name (the suite's name)."""
    task_dir = Path(task_dir)
    docs_path = write_docs(task_dir / f"{suite.name}.jsonl", suite_docs(suite))
    write_config(task_dir, task_config(suite, docs_path))
    return suite.name
