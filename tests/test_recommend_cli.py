"""`advisor recommend` through click's CliRunner: flags, files, data, prompts, formats, errors."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

import advisor.engine
from advisor.cli import cli
from advisor.guidance import build_guidance
from advisor.profile import Profile
from advisor.recommendation import CostReport, MethodCost, Recommendation


def _fake_recommendation(profile: Profile, profile_sources=None, **_) -> Recommendation:
    g = build_guidance(profile, "fine-tune", "lora", 1.0)
    return Recommendation(
        verdict="fine-tune",
        method="lora",
        confidence=0.5,
        score=1.0,
        summary="fake engine",
        profile=profile,
        reasons=[],
        aspects=g.aspects,
        challenges=g.challenges,
        plan=g.plan,
        cost=CostReport(
            methods=[MethodCost(method="lora", usd_per_1k_queries=0.1, monthly_usd=1.0)],
            price_table="none",
        ),
        benchmark_command=g.benchmark_command,
        profile_sources=dict(profile_sources or {}),
        version="test",
    )


@pytest.fixture
def fake_engine(monkeypatch):
    """Replace the engine so these tests check only the CLI's glue; records each call."""
    calls: list[tuple[Profile, dict[str, str]]] = []

    def fake(profile, profile_sources=None, **kw):
        calls.append((profile, dict(profile_sources or {})))
        return _fake_recommendation(profile, profile_sources)

    monkeypatch.setattr(advisor.engine, "recommend", fake)
    return calls


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["recommend", *args], input=input)


def recommend_json(*args: str) -> Recommendation:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return Recommendation.model_validate_json(result.stdout)


# ---------------------------------------------------------------- flags and files


def test_help_has_a_flag_for_every_profile_field():
    out = run("--help").output
    for name in Profile.model_fields:
        assert "--" + name.replace("_", "-") in out
    assert "--data-cannot-leave" in out and "--json-schema" in out


def test_flags_build_the_profile(fake_engine):
    rec = recommend_json(
        "--labeled-examples", "5000", "--budget-usd", "200", "--gpu-memory-gb", "24",
        "--task-type", "extraction", "--data-cannot-leave", "--requirements-change", "weekly",
    )  # fmt: skip
    p, sources = fake_engine[-1]
    assert (p.labeled_examples, p.budget_usd, p.gpu_memory_gb) == (5000, 200.0, 24.0)
    assert p.task_type.value == "extraction" and p.data_can_leave is False
    assert p.requirements_change.value == "weekly"
    assert sources["labeled_examples"] == "flag" and sources["expertise"] == "default"
    # a GPU size without a count means one GPU, and says so
    assert p.gpu_count == 1 and sources["gpu_count"] == "inferred"
    assert rec.profile == p and rec.profile_sources == sources


def test_enum_flags_are_case_insensitive(fake_engine):
    recommend_json("--task-type", "QA")
    assert fake_engine[-1][0].task_type.value == "qa"


PROFILE_FILES = {
    "task.yaml": "labeled_examples: 1234\ntask_type: summarization\ndata_can_leave: false\n",
    "task.toml": 'labeled_examples = 1234\ntask_type = "summarization"\ndata_can_leave = false\n',
    "task.json": '{"labeled_examples": 1234, "task_type": "summarization", "data_can_leave": false}',
}


@pytest.mark.parametrize("name", sorted(PROFILE_FILES))
def test_profile_file_formats(fake_engine, tmp_path: Path, name):
    path = tmp_path / name
    path.write_text(PROFILE_FILES[name])
    recommend_json("--profile", str(path))
    p, sources = fake_engine[-1]
    assert (p.labeled_examples, p.task_type.value, p.data_can_leave) == (
        1234,
        "summarization",
        False,
    )
    assert sources["labeled_examples"] == sources["data_can_leave"] == "file"
    assert sources["budget_usd"] == "default"


def test_flags_override_the_file(fake_engine, tmp_path: Path):
    path = tmp_path / "task.yaml"
    path.write_text(PROFILE_FILES["task.yaml"])
    recommend_json("--profile", str(path), "--labeled-examples", "9", "--data-can-leave")
    p, sources = fake_engine[-1]
    assert (p.labeled_examples, p.data_can_leave, p.task_type.value) == (9, True, "summarization")
    assert (sources["labeled_examples"], sources["task_type"]) == ("flag", "file")


def test_benchmark_command_flags_reproduce_the_profile(fake_engine):
    """The profile flags in the suggested `advisor benchmark` command are valid recommend flags."""
    original = Profile(
        labeled_examples=321, gpu_memory_gb=40, gpu_count=2, data_can_leave=False,
        expertise="ml_researcher", model_params_b=1.5, latency_ms=300, output_format="structured",
    )  # fmt: skip
    argv = shlex.split(build_guidance(original, "fine-tune", "lora", 1.0).benchmark_command)
    flags = argv[argv.index("--strategies") + 2 :]
    recommend_json(*flags)
    assert fake_engine[-1][0] == original


# ---------------------------------------------------------------- data and prompts


def test_data_values_sit_below_file_and_flags(fake_engine, monkeypatch, tmp_path: Path):
    import advisor.profiling

    seen = {}

    def fake_profile(path, perplexity=True, **kwargs):
        seen.update(path=path, perplexity=perplexity, **kwargs)
        return SimpleNamespace(
            values={"labeled_examples": 77, "task_type": "classification", "num_labels": 3},
            problems=[],
        )

    monkeypatch.setattr(advisor.profiling, "profile_from_data", fake_profile)
    prof = tmp_path / "p.json"
    prof.write_text('{"num_labels": 5}')
    recommend_json("--data", "train.jsonl", "--profile", str(prof), "--task-type", "qa")
    p, sources = fake_engine[-1]
    assert seen == {"path": "train.jsonl", "perplexity": False}
    assert (p.labeled_examples, p.num_labels, p.task_type.value) == (77, 5, "qa")
    assert (sources["labeled_examples"], sources["num_labels"], sources["task_type"]) == (
        "data",
        "file",
        "flag",
    )


@pytest.mark.slow  # the profiler loads the embedded tokenizer (transformers) for token lengths
def test_data_file_is_profiled_for_real(fake_engine, tmp_path: Path):
    data = tmp_path / "train.jsonl"
    rows = [{"text": f"message number {i} about {'billing' if i % 2 else 'login'}", "label": "billing" if i % 2 else "login"} for i in range(30)]  # fmt: skip
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    recommend_json("--data", str(data))
    p, sources = fake_engine[-1]
    assert p.labeled_examples == 30 and p.num_labels == 2
    assert p.task_type.value == "classification" and sources["labeled_examples"] == "data"


def test_interactive_questions_fill_the_profile(fake_engine):
    answers = (
        "\n".join(["extraction", "250", "open", "7b", "16", "50", "200000", "n", "weekly"]) + "\n"
    )
    result = run(
        "--interactive", "--json", "--budget-usd", "75", input=answers.replace("\n50\n", "\n")
    )
    assert result.exit_code == 0, result.output
    p, sources = fake_engine[-1]
    assert p.task_type.value == "extraction" and p.labeled_examples == 250
    assert p.gpu_memory_gb == 16 and p.gpu_count == 1
    assert p.budget_usd == 75 and sources["budget_usd"] == "flag"  # a given flag is not asked
    assert p.monthly_queries == 200_000 and p.data_can_leave is False
    assert p.requirements_change.value == "weekly" and sources["task_type"] == "prompt"
    Recommendation.model_validate_json(result.stdout)  # prompts went to stderr


def test_interactive_reasks_a_bad_answer(fake_engine):
    answers = "\n".join(["qa", "-3", "12", "api", "none", "0", "40", "1000", "y", "rarely"]) + "\n"
    result = run("--interactive", "--json", input=answers)
    assert result.exit_code == 0, result.output
    assert "greater than or equal to 0" in result.stderr
    assert fake_engine[-1][0].labeled_examples == 12


def test_questions_on_a_terminal_only_without_input(fake_engine, monkeypatch):
    import importlib

    # (the package attribute `advisor.commands.recommend` is the click command, not the module)
    cmd = importlib.import_module("advisor.commands.recommend")
    monkeypatch.setattr(cmd, "_at_terminal", lambda output_to_file: True)
    answers = "\n".join(["chat", "10", "", "", "0", "5", "100", "y", "weekly"]) + "\n"
    result = run(input=answers)
    assert result.exit_code == 0, result.output
    assert "What kind of task" in result.stderr
    assert fake_engine[-1][0].task_type.value == "chat"
    # any profile input means no questions, even at a terminal
    result = run("--labeled-examples", "5", input="")
    assert result.exit_code == 0 and "What kind of task" not in result.output


def test_no_questions_without_a_terminal(fake_engine):
    result = run("--json", input="should not be read\n")
    assert result.exit_code == 0, result.output
    assert fake_engine[-1][0] == Profile()
    assert set(fake_engine[-1][1].values()) == {"default"}


# ---------------------------------------------------------------- outputs (real engine)


def test_json_is_a_valid_recommendation_from_the_real_engine():
    rec = recommend_json("--labeled-examples", "20", "--requirements-change", "weekly")
    assert rec.verdict in ("prompt", "prompt-then-fine-tune")
    assert rec.profile.labeled_examples == 20
    assert rec.profile_sources["labeled_examples"] == "flag"
    assert len(rec.aspects) == 10 and len(rec.challenges) == 7


def test_recommend_imports_no_heavy_modules():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from advisor.cli import cli\n"
        "for fmt in ('json', 'text', 'markdown', 'html'):\n"
        "    r = CliRunner().invoke(cli, ['recommend', '--format', fmt, '--labeled-examples', '900'])\n"
        "    assert r.exit_code == 0, r.output\n"
        "heavy = [m for m in ('torch', 'transformers', 'peft', 'lm_eval') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_json_schema_is_the_model_schema():
    result = run("--json-schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == Recommendation.model_json_schema()


def test_text_output_shows_verdict_and_benchmark_command():
    result = run(
        "--labeled-examples", "20000", "--gpu-memory-gb", "80", "--expertise", "ml_engineer"
    )
    assert result.exit_code == 0, result.output
    assert "Verdict" in result.stdout and "advisor benchmark --data" in result.stdout
    assert "Data Scarcity" in result.stdout


@pytest.mark.parametrize(
    ("fmt", "marker"), [("markdown", "# Recommendation:"), ("html", "<!DOCTYPE html>")]
)
def test_document_formats_written_to_file(tmp_path: Path, fmt, marker):
    out = tmp_path / f"advice.{fmt}"
    result = run("--labeled-examples", "3000", "--format", fmt, "--output", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith(marker)
    assert "Catastrophic forgetting" in text and "Cost" in text
    assert result.stdout == ""  # the report went to the file; the note to stderr
    assert str(out) in result.stderr


def test_markdown_to_stdout(fake_engine):
    result = run("--format", "markdown")
    assert result.exit_code == 0 and result.stdout.startswith("# Recommendation: fine-tune")


# ---------------------------------------------------------------- bad input


BAD_FILES = {
    "unknown field": ("p.yaml", "labeled_exmples: 5\n", ["labeled_exmples", "labeled_examples"]),
    "wrong type": ("p.json", '{"labeled_examples": "lots"}', ["labeled_examples", "integer"]),
    "negative": ("p.toml", "budget_usd = -1\n", ["budget_usd", "greater than or equal"]),
    "unknown enum": ("p.yaml", "goal: wisdom\n", ["goal", "behaviour, knowledge, both"]),
    "malformed yaml": ("p.yaml", "a: [1, 2\n", ["malformed", "p.yaml"]),
    "malformed json": ("p.json", "{nope", ["malformed", "p.json"]),
    "not a mapping": ("p.json", "[1, 2]", ["mapping"]),
    "bad extension": ("p.txt", "x", [".yaml", ".toml", ".json"]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_profile_files(fake_engine, tmp_path: Path, case):
    name, content, needles = BAD_FILES[case]
    path = tmp_path / name
    path.write_text(content)
    check_usage_error(run("--profile", str(path)), needles)
    assert not fake_engine


BAD_FLAGS = {
    "wrong type": (
        ["--labeled-examples", "many"],
        ["labeled_examples", "--labeled-examples", "integer >= 0"],
    ),
    "float for int": (["--gpu-count", "1.5"], ["gpu_count", "integer >= 0"]),
    "not finite": (["--budget-usd", "inf"], ["budget_usd", "finite number >= 0"]),
    "negative": (["--monthly-queries", "-10"], ["monthly_queries", "greater than or equal to 0"]),
    "zero where >0": (["--model-params-b", "0"], ["model_params_b", "greater than 0"]),
    "unknown enum": (
        ["--expertise", "wizard"],
        ["expertise", "none, basic, ml_engineer, ml_researcher"],
    ),
    "json vs format": (["--json", "--format", "html"], ["--json", "--format"]),
    "missing file": (["--profile", "/nonexistent/p.yaml"], ["cannot read", "p.yaml"]),
}


@pytest.mark.parametrize("case", sorted(BAD_FLAGS))
def test_bad_flags(fake_engine, case):
    args, needles = BAD_FLAGS[case]
    check_usage_error(run(*args), needles)
    assert not fake_engine


def check_usage_error(result, needles: list[str]) -> None:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_unwritable_output_is_a_usage_error(fake_engine, tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    check_usage_error(
        run("--format", "html", "--output", str(blocker / "x.html")), ["cannot write"]
    )


@pytest.mark.parametrize(
    "flags",
    [
        ["--model-access", "api_only", "--labeled-examples", "2000"],
        ["--goal", "knowledge", "--task-type", "qa", "--labeled-examples", "0"],
        ["--labeled-examples", "200000", "--gpu-memory-gb", "80", "--gpu-count", "8",
         "--expertise", "ml_researcher", "--model-params-b", "1"],
        ["--data-cannot-leave", "--task-type", "extraction", "--output-format", "structured"],
    ],
)  # fmt: skip
def test_real_engine_renders_in_every_format(flags, tmp_path: Path):
    from advisor.recommendation import ASPECTS, CHALLENGES

    rec = recommend_json(*flags)
    for fmt in ("text", "markdown", "html"):
        out = tmp_path / f"r.{fmt}"
        result = run(*flags, "--format", fmt, "--output", str(out))
        assert result.exit_code == 0, result.output
        text = out.read_text()
        for name in (*ASPECTS, *CHALLENGES):
            assert name in text
        assert rec.method in text and rec.verdict in text
