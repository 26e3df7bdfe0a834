"""Interactive `advisor recommend`: answers as people type them (advisor.answers), the questions
(model access and size included), --save-profile read back by --profile, and Ctrl-C."""

from __future__ import annotations

import builtins
import json

import pytest
from click.testing import CliRunner

from advisor.answers import parse_answer, profile_yaml, shown
from advisor.cli import cli
from advisor.commands.recommend import QUESTIONS
from advisor.errors import UsageError
from advisor.profile import Profile, build_profile, read_profile_file


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("labeled_examples", "20,000", 20_000),
        ("labeled_examples", "20k", 20_000),
        ("labeled_examples", "20 K", 20_000),
        ("labeled_examples", "1.5k", 1_500),
        ("labeled_examples", "20_000", 20_000),
        ("monthly_queries", "1.5M", 1_500_000),
        ("monthly_queries", "2 million", 2_000_000),
        ("monthly_queries", "50k per month", 50_000),
        ("monthly_queries", "1e6", 1_000_000),
        ("budget_usd", "$50", 50.0),
        ("budget_usd", "50 USD", 50.0),
        ("budget_usd", "$1.5k", 1_500.0),
        ("budget_usd", "50$", 50.0),
        ("budget_usd", "0", 0.0),
        ("model_params_b", "7b", 7.0),
        ("model_params_b", "70B", 70.0),
        ("model_params_b", "135M", 0.135),
        ("model_params_b", "0.5", 0.5),
        ("model_params_b", "none", None),
        ("model_params_b", "", None),
        ("gpu_memory_gb", "24GB", 24.0),
        ("gpu_memory_gb", "80 gb", 80.0),
        ("latency_ms", "200ms", 200),
        ("latency_ms", "2s", 2_000),
        ("deadline_days", "2 weeks", 14),
        ("deadline_days", "10d", 10),
        ("requirements_change", "w", "weekly"),
        ("requirements_change", "weekly", "weekly"),
        ("requirements_change", "m", "monthly"),
        ("requirements_change", "r", "rarely"),
        ("requirements_change", " Weekly ", "weekly"),
        ("model_access", "api", "api_only"),
        ("model_access", "api-only", "api_only"),
        ("model_access", "open weights", "open_weights"),
        ("task_type", "class", "classification"),
        ("expertise", "ml_r", "ml_researcher"),
        ("data_can_leave", "y", True),
        ("data_can_leave", "No", False),
    ],
)
def test_answers_people_type(field: str, text: str, value) -> None:
    assert parse_answer(field, text) == value


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("labeled_examples", "lots", "a whole number"),
        ("labeled_examples", "2.5", "a whole number"),
        ("labeled_examples", "20q", '"k"'),
        ("budget_usd", "$", "a number"),
        ("task_type", "c", "could be classification or code or chat"),
        ("requirements_change", "daily", "rarely, monthly, weekly"),
        ("data_can_leave", "maybe", "yes or no"),
        ("labeled_examples", "", "a whole number"),  # required: blank is not 'none'
    ],
)
def test_bad_answers_say_what_is_accepted(field: str, text: str, message: str) -> None:
    with pytest.raises(UsageError, match="invalid answer for") as err:
        parse_answer(field, text)
    assert message in str(err.value) and field in str(err.value)


def test_every_default_shown_is_read_back() -> None:
    p = Profile(model_params_b=0.135, latency_ms=200)
    for name in Profile.model_fields:
        value = getattr(p, name)
        parsed = parse_answer(name, shown(value))
        assert build_profile({name: parsed}) == build_profile({name: value}), name


def test_the_questions_include_model_access_and_size() -> None:
    assert {"model_access", "model_params_b"} <= set(QUESTIONS)
    assert set(QUESTIONS) <= set(Profile.model_fields)


# ---------------------------------------------------------------- the command


ANSWERS = ["class", "20,000", "api", "70b", "0", "$50", "1.5M", "n", "w"]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["recommend", *args], input=input)


def test_typed_answers_reach_the_profile() -> None:
    result = run("--interactive", "--json", input="\n".join(ANSWERS) + "\n")
    assert result.exit_code == 0, result.output
    p = json.loads(result.stdout)["profile"]
    assert p["labeled_examples"] == 20_000 and p["monthly_queries"] == 1_500_000
    assert p["model_access"] == "api_only" and p["model_params_b"] == 70
    assert p["budget_usd"] == 50 and p["requirements_change"] == "weekly"
    assert p["data_can_leave"] is False
    assert "Is the model open weights" in result.stderr and "Size of the model" in result.stderr


def test_saved_answers_are_read_back_identically(tmp_path) -> None:
    saved = tmp_path / "task.yaml"
    first = run(
        "--interactive", "--json", "--save-profile", str(saved), input="\n".join(ANSWERS) + "\n"
    )
    assert first.exit_code == 0, first.output
    assert f"saved the profile to {saved}" in first.stderr
    again = run("--profile", str(saved), "--json")
    assert again.exit_code == 0, again.output
    a, b = json.loads(first.stdout), json.loads(again.stdout)
    assert a["profile"] == b["profile"]
    assert (a["verdict"], a["confidence"]) == (b["verdict"], b["confidence"])
    assert not list(tmp_path.glob(".task.yaml.*"))  # written atomically: no temporary left


def test_saving_flags_without_questions_and_only_what_was_given(tmp_path) -> None:
    saved = tmp_path / "p.yml"
    result = run("--labeled-examples", "5k", "--save-profile", str(saved), "--json")
    assert result.exit_code != 0  # flags are strict; "5k" is for answers, not flags
    result = run(
        "--labeled-examples", "5000", "--gpu-memory-gb", "24", "--save-profile", str(saved)
    )
    assert result.exit_code == 0, result.output
    assert read_profile_file(saved) == {
        "labeled_examples": 5000,
        "gpu_memory_gb": 24.0,
        "gpu_count": 1,
    }


def test_save_profile_needs_a_yaml_name(tmp_path) -> None:
    result = run("--labeled-examples", "5", "--save-profile", str(tmp_path / "p.json"))
    assert result.exit_code == 2 and "YAML" in result.output and "Traceback" not in result.output


def test_profile_yaml_keeps_only_given_fields() -> None:
    text = profile_yaml(build_profile({"task_type": "qa", "budget_usd": 20}))
    assert text.startswith("# advisor profile")
    assert "labeled_examples" not in text and "task_type: qa" in text


def test_ctrl_c_at_a_question_exits_130_with_one_line(monkeypatch) -> None:
    def interrupted(*_: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(builtins, "input", interrupted)
    result = run("--interactive", "--json")
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines()[-1] == "Interrupted."
    assert "Traceback" not in result.output and result.stdout == ""


def test_end_of_input_is_an_error_not_a_hang() -> None:
    result = run("--interactive", "--json", input="class\n")
    assert result.exit_code == 2 and "no answer for 'labeled_examples'" in result.stderr
