"""Files in and out: the one atomic writer every report, result and task file goes through,
and the one way user files are read (regular files only, UTF-8 or UTF-16 by its byte-order
mark, bounded parsing with the limit in the message)."""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from advisor.errors import UsageError


def plain_mode(directory: bool = False) -> int:
    """The mode a plain ``open()`` (0666) or ``mkdir()`` (0777) gives under the current umask:
    for files and folders made private by mkstemp/mkdtemp before they are renamed into place."""
    umask = os.umask(0)  # the only way to read it; set back at once
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def write_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half.

    Writes a temporary file in the same folder (same filesystem) and renames it over the target.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise UsageError(f"cannot write {target}: {err.strerror or err}") from None
    try:
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        os.chmod(tmp, plain_mode())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {target}: {err.strerror or err}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def check_writable(path: str | Path, what: str, *, folder: bool = False) -> Path:
    """``path`` can be written (as a file, or with ``folder`` as a folder to create or fill):
    checked before any work, so that a bad ``--output`` costs nothing."""
    target = Path(path)
    if target.exists() and target.is_dir() != folder:
        wanted, found = ("folder", "a file") if folder else ("file", "a folder")
        raise UsageError(f"{what} {target} is {found}; give a {wanted}")
    start = target if folder else target.parent
    existing = next(p for p in (start, *target.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise UsageError(f"cannot write {what} {target}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {what} {target}: {existing} is not writable")
    return target


# ---------------------------------------------------------------- reading

# Profile and price files are a few KB; anything this large is not one.
MAX_CONFIG_BYTES = 256 * 1024
# One JSONL line or CSV field (a long document is a few MB of text).
MAX_LINE_CHARS = 16 * 1024 * 1024
# Containers inside containers; a profile is flat and a data row holds scalars.
MAX_NESTING = 64


def regular_file(path: str | Path, what: str, error: type[UsageError] = UsageError) -> Path:
    """``path`` if it is a regular file; a FIFO, device or folder is refused before anything
    opens it (opening a FIFO blocks until someone writes to it)."""
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise error(f"cannot read {what} {p}: not found") from None
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the name
        raise error(f"cannot read {what} {p}: {getattr(err, 'strerror', None) or err}") from None
    if stat.S_ISDIR(mode):
        raise error(f"{what} {p} is a folder; give a file")
    if not stat.S_ISREG(mode):
        raise error(f"{what} {p} is not a regular file (a pipe, socket or device); give a file")
    return p


def text_encoding(head: bytes) -> str:
    """The codec for a file starting with ``head``: UTF-16 when it starts with a UTF-16
    byte-order mark, else UTF-8 (a UTF-8 BOM, as Excel writes, is dropped)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def decode_problem(err: UnicodeDecodeError, whole: bool = True) -> str:
    """What a decoding error means for the user: the byte, and its offset when ``err`` came
    from decoding the ``whole`` file (a stream decodes in chunks: its offsets are not the
    file's)."""
    bad = err.object[err.start : err.start + 1].hex()
    kind = "UTF-16" if "16" in err.encoding else "UTF-8"
    where = f" at offset {err.start}" if whole else ""
    return f"is not {kind} text (byte 0x{bad}{where}); save it as UTF-8"


def read_text(
    path: str | Path,
    what: str,
    *,
    max_bytes: int = MAX_CONFIG_BYTES,
    error: type[UsageError] = UsageError,
) -> str:
    """The whole text of a small file (UTF-8 with or without BOM, or UTF-16 with its BOM)."""
    p = regular_file(path, what, error)
    try:
        with p.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as err:
        raise error(f"cannot read {what} {p}: {err.strerror or err}") from None
    if len(raw) > max_bytes:
        raise error(f"{what} {p} is larger than {max_bytes // 1024} KiB; is it the right file?")
    try:
        return raw.decode(text_encoding(raw[:4]))
    except UnicodeDecodeError as err:
        raise error(f"{what} {p} {decode_problem(err)}") from None


@contextlib.contextmanager
def open_text(
    path: str | Path, what: str, error: type[UsageError] = UsageError
) -> Iterator[io.TextIOWrapper]:
    """A regular file opened for streaming text, its encoding taken from its byte-order mark
    (``newline=""``: line endings are kept, as csv wants). Decoding errors surface while
    reading, as UnicodeDecodeError (see ``decode_problem``)."""
    p = regular_file(path, what, error)
    try:
        raw = p.open("rb")
    except OSError as err:
        raise error(f"cannot read {what} {p}: {err.strerror or err}") from None
    with raw:
        head = raw.read(4)
        raw.seek(0)
        yield io.TextIOWrapper(raw, encoding=text_encoding(head), newline="")


def bounded_lines(fh: io.TextIOBase, limit: int = MAX_LINE_CHARS) -> Iterator[str | None]:
    """The lines of ``fh``; None for a line longer than ``limit`` characters (skipped to its
    end without holding it in memory)."""
    while line := fh.readline(limit + 1):
        if len(line) <= limit or line[-1] in "\r\n":
            yield line
            continue
        while (rest := fh.readline(limit)) and rest[-1] not in "\r\n":
            pass
        yield None


# ---------------------------------------------------------------- parsing


def nesting(value: Any) -> int:
    """How deep lists and mappings nest in ``value`` (a scalar: 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            deepest = max(deepest, depth)
            if depth <= MAX_NESTING:  # deeper than the limit is all the caller needs to know
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, depth + 1) for child in children)
    return deepest


TOO_DEEP = f"nested deeper than {MAX_NESTING} levels"


def parse_json(text: str) -> Any:
    """``json.loads`` that raises ValueError with a short reason for every malformed input,
    a too-deep nest and a number too long to convert included."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg} at character {err.pos})") from None
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    except ValueError:  # json turns each digit run into an int: Python caps those at 4,300
        raise ValueError("not valid JSON (a number with too many digits)") from None
    # Brackets only count when there are enough of them to go too deep: a cheap test first.
    if text.count("[") + text.count("{") > MAX_NESTING and nesting(value) > MAX_NESTING:
        raise ValueError(TOO_DEEP)
    return value


def _parse_yaml(text: str) -> Any:
    """Safe YAML without aliases (``*name``: a kilobyte of them expands into billions of
    nodes) and without deep nests (libyaml's composer recurses in C, with no guard)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            raise ValueError(f"YAML aliases (*{event.anchor}) are not allowed here")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_NESTING + 1:  # the document's own mapping is one level
                raise ValueError(TOO_DEEP)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def parse_config(text: str, suffix: str) -> Any:
    """A YAML, TOML or JSON document (by ``suffix``) as plain data; ValueError with a short
    reason when it is malformed or too deep."""
    if suffix == ".json":
        return parse_json(text)
    try:
        if suffix == ".toml":
            import tomllib

            value = tomllib.loads(text)
        else:
            value = _parse_yaml(text)
    except ValueError:  # ours, and tomllib's TOMLDecodeError (one line, with the position)
        raise
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    except Exception as err:  # yaml's errors: the problem and where, not the whole context
        problem, mark = getattr(err, "problem", None), getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ValueError(
            f"{problem or (str(err).splitlines() or [type(err).__name__])[0]}{where}"
        ) from None
    if nesting(value) > MAX_NESTING:
        raise ValueError(TOO_DEEP)
    return value


M = TypeVar("M")


def load_data_file(path: Path, model: type[M], what: str) -> M:
    """One of the project's own YAML data files (methods, providers, ...) validated by the
    pydantic ``model``; a UsageError naming the file and every entry that is wrong."""
    import yaml
    from pydantic import ValidationError

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe
        return model.model_validate(data)  # type: ignore[attr-defined,no-any-return]
    except (OSError, yaml.YAMLError) as err:
        raise UsageError(f"invalid {what} file {path}: {str(err).splitlines()[0]}") from None
    except ValidationError as err:
        problems = [
            f"'{'.'.join(str(x) for x in e['loc']) or 'file'}': {e['msg']}" for e in err.errors()
        ]
        raise UsageError(f"invalid {what} file {path}: " + "; ".join(problems)) from None
