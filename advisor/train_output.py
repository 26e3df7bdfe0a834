"""The folder protocol of a training run's ``--output``, shared by the command and the backends.

A run is built in ``DIR.partial`` (``train_config.json`` first, ``metrics.json`` last) and renamed
to ``DIR`` only when complete, so ``metrics.json`` in ``DIR`` is the marker of a finished advisor
output: the only kind of folder ``--overwrite`` may replace. Everything here runs before a model
is loaded, so bad paths and resume state fail in a second, not after minutes of loading.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from advisor.components import TrainConfig, TrainResult
from advisor.errors import UsageError

CONFIG_FILE = "train_config.json"
METRICS_FILE = "metrics.json"
# Fields that may differ between a run and its resumption.
RESUME_TOLERANT = frozenset({"save_every"})


def partial_dir(output_dir: Path) -> Path:
    return output_dir.with_name(output_dir.name + ".partial")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None


def finished_result(folder: Path) -> TrainResult | None:
    """The result of a finished advisor output in ``folder``, or None when it is not one."""
    doc = _read_json(folder / METRICS_FILE)
    if not isinstance(doc, dict) or not (folder / CONFIG_FILE).is_file():
        return None
    try:
        return TrainResult.model_validate(doc)
    except ValidationError:
        return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def config_differences(saved: Any, config: TrainConfig) -> list[str]:
    """'name: old -> new' for every option (but the tolerated ones) that differs from ``saved``."""
    saved = saved if isinstance(saved, dict) else {}
    now = config.model_dump(mode="json")
    return [
        f"{k} {_short(saved.get(k))} -> {_short(v)}"
        for k, v in now.items()
        if k not in RESUME_TOLERANT and saved.get(k) != v
    ]


def _protected(folder: Path) -> bool:
    """The home folder, the file-system root and the current folder (or one above it)."""
    resolved = folder.resolve()
    cwd = Path.cwd().resolve()
    return resolved in (Path.home().resolve(), Path(resolved.anchor)) or resolved in (
        cwd,
        *cwd.parents,
    )


def _check_writable(output_dir: Path) -> None:
    """The nearest existing folder above ``output_dir`` must be a folder we can write in."""
    ancestor = output_dir.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"--output {output_dir}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"--output {output_dir}: cannot write in {ancestor} (permission denied)")


def _check_resume(work: Path, config: TrainConfig) -> None:
    """An interrupted run resumes only with the options it was started with."""
    if not (work / CONFIG_FILE).is_file():
        return
    saved = _read_json(work / CONFIG_FILE)
    if not isinstance(saved, dict):
        raise UsageError(
            f"cannot resume: {work / CONFIG_FILE} is unreadable; drop --resume to start over"
        )
    diff = config_differences(saved, config)
    if diff:
        raise UsageError(
            f"cannot resume: options differ from the interrupted run ({'; '.join(diff[:4])}); "
            "use the same options, or drop --resume to start over"
        )


def _check_partial(work: Path) -> None:
    """``DIR.partial`` is replaced when a run starts over: only an earlier run's may be."""
    if not work.exists() and not work.is_symlink():
        return
    if not work.is_dir() or work.is_symlink():
        raise UsageError(f"{work} is in the way (not a folder of an interrupted run); remove it")
    if any(work.iterdir()) and not (work / CONFIG_FILE).is_file():
        raise UsageError(
            f"{work} holds files that are not an interrupted advisor run; "
            "remove them or choose another --output"
        )


def check_output(
    output_dir: Path, config: TrainConfig, *, resume: bool, overwrite: bool
) -> TrainResult | None:
    """Validate ``output_dir`` (and its ``.partial``) before any work.

    Returns the finished result when ``resume`` finds a finished run with the same options;
    raises UsageError for everything that cannot be written, replaced or resumed."""
    output_dir = Path(output_dir)
    if output_dir.is_symlink():
        raise UsageError(f"--output {output_dir} is a symbolic link; give the folder itself")
    if output_dir.exists() and not output_dir.is_dir():
        raise UsageError(f"--output {output_dir} is a file, not a folder")
    if output_dir.exists() and _protected(output_dir):
        # Even empty: the finished run would be renamed over it.
        raise UsageError(
            f"--output {output_dir} is your home, root or current folder; "
            "give the run a folder of its own"
        )
    _check_writable(output_dir)
    if output_dir.is_dir() and any(output_dir.iterdir()):
        done = finished_result(output_dir)
        if resume and done is not None:
            diff = config_differences(_read_json(output_dir / CONFIG_FILE), config)
            if diff:
                raise UsageError(
                    f"cannot resume: {output_dir} is a finished run with other options "
                    f"({'; '.join(diff[:4])}); use --overwrite without --resume to train again"
                )
            return done
        if not overwrite:
            raise UsageError(
                f"output folder {output_dir} already exists; choose another --output "
                "(or --overwrite to replace an earlier `advisor train` output)"
            )
        if done is None:
            raise UsageError(
                f"refusing to --overwrite {output_dir}: it has no {METRICS_FILE} of a finished "
                "run; only an earlier `advisor train` output is replaced (remove the folder "
                "yourself or choose another --output)"
            )
    work = partial_dir(output_dir)
    _check_partial(work)
    if resume:
        _check_resume(work, config)
    return None


def check_publishable(work: Path, output_dir: Path) -> None:
    """``output_dir`` may still be replaced by the finished ``work``: it is absent, empty or an
    earlier finished output (checked again at the end: it may have changed during training)."""
    replaceable = not _protected(output_dir) and finished_result(output_dir) is not None
    if output_dir.is_dir() and any(output_dir.iterdir()) and not replaceable:
        raise UsageError(
            f"{output_dir} changed during training and is no longer an advisor output; "
            f"remove it and run again with --resume (the checkpoints in {work} are kept)"
        )


def publish(work: Path, output_dir: Path) -> None:
    """Move the finished ``work`` folder to ``output_dir`` (see check_publishable)."""
    check_publishable(work, output_dir)
    if output_dir.is_dir():
        shutil.rmtree(output_dir)
    os.replace(work, output_dir)
