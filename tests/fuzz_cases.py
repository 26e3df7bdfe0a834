"""Fuzz cases for every command: hypothesis strategies over CLI arguments, profile, price and
data files, and one runner that executes a case in-process and classifies its outcome.

Shared by ``tests/test_fuzz.py`` (a bounded run in the suite) and ``benchmarks/fuzz`` (the
large run that counts outcomes). A case is an argument list whose ``@name`` entries are
files the case writes first (or special paths: a FIFO, a folder, a missing file).
"""

from __future__ import annotations

import codecs
import json
import os
import select
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from advisor.errors import MAX_ERROR_CHARS
from advisor.profile import Profile

# -------------------------------------------------------------------------- values

HUGE_NUMBERS = ["1e308", "1e400", "-1e400", "9" * 400, "-" + "9" * 30, "1" + "0" * 30]
ODD_NUMBERS = ["nan", "NaN", "inf", "-inf", "Infinity", "0", "-0", "-1", "0.5", "1_000", "²", ""]
ODD_TEXT = ["\ud800", "a\udcff", "\x00", "\u202e", "'\"", "x" * 5000, " ", "\n", "é", "🙂"]
FIELDS = list(Profile.model_fields)
ENUM_VALUES = ["classification", "generation", "open_weights", "api_only", "high", "weekly"]

numbers = st.one_of(
    st.sampled_from(HUGE_NUMBERS + ODD_NUMBERS),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.integers(min_value=0, max_value=5000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
texts = st.one_of(st.sampled_from(ODD_TEXT + ENUM_VALUES), st.text(max_size=40))
# Plausible values too, so that cases get past validation and exercise the work behind it.
SANE_TEXT = ENUM_VALUES + ["zero-shot", "few-shot,lora", "16,all", "a100-80gb", "text"]
sane = st.one_of(st.integers(1, 500).map(str), st.sampled_from(SANE_TEXT))
values = st.one_of(sane, sane, numbers, texts)
# A profile file's values: what YAML/TOML/JSON can hold, huge and odd ones included.
json_values = st.one_of(
    st.integers(min_value=-(10**400), max_value=10**400),
    st.integers(min_value=0, max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.sampled_from(ENUM_VALUES + ODD_TEXT),
    st.lists(st.integers(), max_size=3),
)


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


# -------------------------------------------------------------------------- files


def _toml(mapping: dict[str, Any]) -> str:
    lines = []
    for key, value in mapping.items():
        lines.append(f"{json.dumps(key)} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def _deep(n: int) -> str:
    return "[" * n + "]" * n


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


@st.composite
def profile_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, bytes) of a profile file: valid-looking, malformed, encoded oddly or hostile."""
    suffix = draw(st.sampled_from([".yaml", ".yml", ".toml", ".json", ".txt"]))
    mapping = draw(
        st.dictionaries(st.sampled_from(FIELDS + ["nope", "\ud800"]), json_values, max_size=4)
    )
    kind = draw(st.sampled_from(["plain"] * 6 + ["utf16", "bom", "bytes", "deep", "bomb", "big"]))
    if kind == "bytes":
        return suffix, draw(st.binary(max_size=200))
    if kind == "deep":
        n = draw(st.sampled_from([70, 5000, 100_000]))
        return suffix, (f"x = {_deep(n)}" if suffix == ".toml" else _deep(n)).encode()
    if kind == "bomb":
        return ".yaml", ALIAS_BOMB.encode()
    if kind == "big":
        return suffix, b"# " + b"x" * (300 * 1024)
    if suffix == ".toml":
        text = _toml({k: v for k, v in mapping.items() if v is not None and "\ud800" not in k})
    elif suffix == ".json":
        text = json.dumps(mapping)
    else:
        import yaml

        text = yaml.safe_dump(mapping, allow_unicode=False)
    if kind == "utf16":
        return suffix, text.encode("utf-16", "surrogatepass")
    data = text.encode("utf-8", "surrogatepass")
    return suffix, (codecs.BOM_UTF8 + data) if kind == "bom" else data


row_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["spam", "ham", "eggs", "\ud800", "", " "]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@st.composite
def data_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, bytes) of a data file: JSONL/CSV rows, odd encodings, huge fields, junk."""
    suffix = draw(st.sampled_from([".jsonl"] * 4 + [".csv"] * 3 + [".json", ".tsv", ".txt"]))
    keys = draw(st.sampled_from([("text", "label"), ("input", "output"), ("a", "b")]))
    rows = draw(
        st.lists(st.fixed_dictionaries({keys[0]: row_values, keys[1]: row_values}), max_size=30)
    )
    if draw(st.integers(0, 3)):  # mostly: enough clean rows for a usable file
        rows += [{keys[0]: f"example {i}", keys[1]: ["spam", "ham"][i % 2]} for i in range(20)]
    kind = draw(
        st.sampled_from(["plain"] * 10 + ["bom", "utf16", "bytes", "array", "deep", "huge", "nul"])
    )
    if kind == "bytes":
        return suffix, draw(st.binary(max_size=300))
    if kind == "array":
        return ".json", json.dumps(rows).encode()
    if suffix in (".csv", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        lines = [sep.join(keys)] + [
            sep.join(json.dumps(r[k], ensure_ascii=False) for k in keys) for r in rows
        ]
    else:
        lines = [json.dumps(r) for r in rows]
    if kind == "deep":
        lines.insert(draw(st.integers(0, len(lines))), _deep(draw(st.sampled_from([70, 5000]))))
    if kind == "huge":
        lines.insert(1, f'{{"text": "{"x" * 200_000}", "label": "spam"}}')
    if kind == "nul":
        lines.insert(1, "\x00" * 10)
    text = "\n".join(lines) + "\n"
    if kind == "utf16":
        return suffix, text.encode("utf-16", "surrogatepass")
    data = text.encode("utf-8", "surrogatepass")
    return suffix, (codecs.BOM_UTF8 + data) if kind == "bom" else data


PRICES = Path(__file__).resolve().parents[1] / "advisor" / "data" / "prices.yaml"


@st.composite
def price_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """The shipped table with a few numbers replaced, or junk."""
    import yaml

    if draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from([".yaml", ".json"])), draw(st.binary(max_size=200))
    table = yaml.safe_load(PRICES.read_text(encoding="utf-8"))
    table["date"] = str(table["date"])
    gpu = draw(st.sampled_from(sorted(table["gpus"])))
    key = draw(st.sampled_from(["memory_gb", "peak_bf16_tflops", "usd_per_hour"]))
    table["gpus"][gpu][key] = draw(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e-300, 10**400])
        )
    )
    return ".json", json.dumps(table).encode()


# -------------------------------------------------------------------------- command lines

SPECIAL_PATHS = ["@fifo", "@folder", "@missing", "@output_file"]


def path_arg(kind: str) -> st.SearchStrategy[tuple[str, dict[str, tuple[str, bytes]]]]:
    """A path option's value and the files it needs: a generated file or a special path."""
    maker = {"profile": profile_file, "data": data_file, "prices": price_file}[kind]
    generated = maker().map(lambda f: (f"@{kind}", {kind: f}))
    special = st.sampled_from(SPECIAL_PATHS).map(lambda p: (p, {}))
    return st.one_of(*[generated] * 6, special)


@st.composite
def option_args(draw: st.DrawFn, names: list[str]) -> list[str]:
    """A few of ``names`` as flags with hostile values."""
    chosen = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
    args = []
    for name in chosen:
        args += [name, draw(values)]
    return args


PROFILE_FLAGS = [flag(n) for n in FIELDS]
COST_FLAGS = [
    "--model-params-b", "--gpu-memory-gb", "--gpu-count", "--examples", "--avg-tokens",
    "--epochs", "--monthly-queries", "--shots", "--prompt-tokens", "--output-tokens",
    "--horizon-months", "--gpu", "--api", "--task-type", "--model-access",
]  # fmt: skip
BENCH_FLAGS = [
    "--limit", "--train-limit", "--seed", "--shots", "--epochs", "--max-steps",
    "--batch-size", "--threads", "--strategies", "--curve-sizes", "--model",
]  # fmt: skip


@dataclass
class Case:
    args: list[str]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    command = draw(st.sampled_from(["recommend", "cost", "profile", "benchmark", "misc"]))
    files: dict[str, tuple[str, bytes]] = {}

    def with_path(option: str, kind: str) -> list[str]:
        value, needed = draw(path_arg(kind))
        files.update(needed)
        return [option, value] if option else [value]

    if command == "recommend":
        args = ["recommend", "--no-interactive", *draw(option_args(PROFILE_FLAGS))]
        if draw(st.booleans()):
            args += with_path("--profile", "profile")
        if draw(st.booleans()):
            args += with_path("--data", "data")
        args += draw(st.sampled_from([[], ["--json"], ["--format", "html", "--output", "@out"]]))
    elif command == "cost":
        args = ["cost", *draw(option_args(COST_FLAGS))]
        if draw(st.booleans()):
            args += with_path("--profile", "profile")
        if draw(st.booleans()):
            args += with_path("--prices", "prices")
        args += draw(st.sampled_from([[], ["--json"]]))
    elif command == "profile":
        args = ["profile", *with_path("", "data"), "--no-perplexity"]
        if draw(st.booleans()):
            args += with_path("--test", "data")
        for option in draw(
            st.lists(st.sampled_from(["--text-field", "--label-field"]), max_size=1)
        ):
            field_names = st.sampled_from(["text", "label", "input", "output", "a", "b"])
            args += [option, draw(st.one_of(field_names, field_names, texts))]
        args += draw(st.sampled_from([[], ["--json"]]))
    elif command == "benchmark":
        args = ["benchmark", "--quiet", *draw(option_args(BENCH_FLAGS + PROFILE_FLAGS))]
        args += with_path("--data", "data")
        if draw(st.booleans()):
            args += with_path("--test", "data")
        if draw(st.booleans()):
            args += with_path("--profile", "profile")
        args += draw(
            st.sampled_from([[], ["--output", "@out"], ["--output", "@run_dir", "--resume"]])
        )
        args += draw(st.sampled_from([["--output", "@output_file"], ["--output", "@locked"], []]))
    else:
        args = draw(
            st.sampled_from(
                [["models", "--json"], ["plugins", "--json"], ["plugins"], ["plugins", "new"]]
            )
        )
        if args == ["plugins", "new"]:
            args += [draw(texts), "--dir", draw(st.sampled_from(["@out", "@output_file"]))]
    return Case(args=args, files=files)


# -------------------------------------------------------------------------- running


class Hang(Exception):
    """A case ran past its time limit."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise Hang in this (main) thread after ``seconds``."""

    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang(f"over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def materialise(case: Case, root: Path) -> list[str]:
    """Write the case's files under ``root`` and return its arguments with real paths."""
    paths: dict[str, Path] = {}
    for name, (suffix, content) in case.files.items():
        paths[name] = root / f"{name}{suffix}"
        paths[name].write_bytes(content)
    fifo = root / "fifo.jsonl"
    os.mkfifo(fifo)
    (root / "folder.jsonl").mkdir()
    (root / "output_file").write_text("not a folder")
    run_dir = root / "run"
    (run_dir / "results.json").mkdir(parents=True)  # a folder where the results file goes
    locked = root / "locked"
    locked.mkdir(mode=0o500)
    special = {
        "@fifo": fifo,
        "@folder": root / "folder.jsonl",
        "@missing": root / "missing.yaml",
        "@output_file": root / "output_file",
        "@out": root / "out" / "report.html",
        "@run_dir": run_dir,
        "@locked": locked / "run",
    }
    out = []
    for arg in case.args:
        if arg.startswith("@") and arg[1:] in paths:
            out.append(str(paths[arg[1:]]))
        else:
            out.append(str(special.get(arg, arg)))
    return out


@dataclass
class Outcome:
    kind: str  # "ok", "error" (clean), "uncaught", "bad-exit", "bad-message", "hang"
    detail: str = ""


def run_case(case: Case, plugins_factory: Any, seconds: float = 20.0) -> Outcome:
    """Run one case in a scratch folder (also the working directory) and classify it."""
    from click.testing import CliRunner

    from advisor.cli import cli
    from advisor.plugins import reset_plugins, set_plugins

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        args = materialise(case, root)
        cwd = os.getcwd()
        os.chdir(root)
        set_plugins(plugins_factory())
        try:
            with time_limit(seconds):
                result = CliRunner().invoke(cli, args, catch_exceptions=True)
        except Hang as err:
            return Outcome("hang", f"{err} <- {args!r}"[:400])
        finally:
            reset_plugins()
            os.chdir(cwd)
            (root / "locked").chmod(0o700)
    if isinstance(result.exception, Hang):  # raised inside the command: CliRunner caught it
        return Outcome("hang", f"{result.exception} <- {args!r}"[:400])
    return classify(args, result)


def warm_up(plugins_factory: Any) -> None:
    """Import every command and load the shared tables once, so that forked cases start warm
    (a child's imports die with it)."""
    import importlib

    from advisor.commands import BUILTIN_COMMANDS

    for entry in BUILTIN_COMMANDS.values():
        importlib.import_module(entry.target.partition(":")[0])
    for args in (["recommend", "--no-interactive", "--json"], ["cost", "--json"], ["plugins"]):
        run_case(Case(args=args), plugins_factory)


def run_forked(case: Case, plugins_factory: Any, seconds: float = 20.0) -> Outcome:
    """``run_case`` in a forked child, killed past ``seconds`` + 5: a hang inside C code
    (where SIGALRM cannot interrupt) is counted too, and no case's state leaks into the next."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report one JSON line, exit without cleanup handlers
        os.close(read_end)
        try:
            outcome = run_case(case, plugins_factory, seconds)
        except BaseException as err:  # noqa: BLE001 - whatever escaped is the finding
            outcome = Outcome("uncaught", f"{type(err).__name__}: {err}"[:300])
        with os.fdopen(write_end, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(json.dumps([outcome.kind, outcome.detail]))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as fh:
        ready, _, _ = select.select([fh], [], [], seconds + 5)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return Outcome("hang", f"killed after {seconds + 5:g} s <- {case.args!r}"[:400])
        report = fh.read()
    os.waitpid(pid, 0)
    if not report:
        return Outcome("uncaught", f"the case's process died <- {case.args!r}"[:400])
    kind, detail = json.loads(report)
    return Outcome(kind, detail)


def classify(args: list[str], result: Any) -> Outcome:
    where = repr(args)[:300]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        problem = f"{type(result.exception).__name__}: {result.exception}"[:300]
        return Outcome("uncaught", f"{problem} <- {where}")
    if result.exit_code not in (0, 1, 2):
        return Outcome("bad-exit", f"{where}: exit {result.exit_code}")
    if result.exit_code == 0:
        return Outcome("ok")
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    if len(errors) != 1 or len(errors[0]) > MAX_ERROR_CHARS:
        return Outcome("bad-message", f"{result.stderr[:300]!r} <- {where}")
    return Outcome("error")


def fuzz_plugins() -> Any:
    """The rules and the prompt strategies, but no model source, trainer or runner: a
    benchmark stops before any model loads, and profiling counts characters."""
    from advisor.testing import plugin_manager_with

    return plugin_manager_with(["evidence", "prompts"])
