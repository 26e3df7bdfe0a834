# ruff: noqa: F811
"""Plugin isolation through the real entry-point mechanism.

Broken plugins are throwaway distributions (a module and a ``.dist-info`` with
``entry_points.txt``) put on ``sys.path``, so ``importlib.metadata`` finds them exactly as it
finds a pip-installed plugin; nothing is registered by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from advisor.engine import recommend
from advisor.hookspecs import HOOKSPEC_VERSION
from advisor.plugins import Plugins, get_plugins

# Importing a fixture registers it for this module; its parameters then "redefine" it (F811).
from advisor.testing import fake_distribution, make_distribution, run_advisor  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]

HEADER = """
from advisor.evidence import Rule
from advisor.hookspecs import hookimpl
from advisor.recommendation import Source


def make_rule(rule_id, weigh=lambda p: 1.0):
    return Rule(
        id=rule_id,
        statement="test rule " + rule_id,
        source=Source(title="test", kind="measurement", figure="none"),
        fields=["labeled_examples"],
        weigh=weigh,
    )
"""


def plugin_source(body: str) -> str:
    return HEADER + textwrap.dedent(body)


GOOD = plugin_source(
    """
    @hookimpl
    def advisor_evidence():
        return [make_rule("good.rule")]
    """
)


def errors(plugins: Plugins, name: str) -> str:
    return " | ".join(plugins.info[name].errors)


# ---------------------------------------------------------------- import and hook failures


def test_plugin_raising_on_import_is_reported_and_others_load(fake_distribution):
    fake_distribution("adv-good", GOOD, entry_point="good")
    fake_distribution("adv-bad", "raise RuntimeError('boom at import')\n", entry_point="bad")
    plugins = Plugins(only=["good", "bad"])
    plugins.survey()
    assert "import failed: RuntimeError: boom at import" in errors(plugins, "bad")
    assert plugins.info["bad"].distribution == "adv-bad"
    assert plugins.info["good"].errors == []
    assert [r.id for r in plugins.rules()] == ["good.rule"]


def test_plugin_calling_sys_exit_on_import_does_not_stop_advisor(fake_distribution):
    fake_distribution("adv-exit", "import sys\nsys.exit(3)\n", entry_point="exiter")
    fake_distribution("adv-good", GOOD, entry_point="good")
    plugins = Plugins(only=["exiter", "good"])
    assert "import failed: SystemExit" in errors(plugins, "exiter")
    assert [r.id for r in plugins.rules()] == ["good.rule"]


def test_hook_raising_is_reported_and_others_still_provide(fake_distribution):
    fake_distribution(
        "adv-raiser",
        plugin_source(
            """
            @hookimpl
            def advisor_evidence():
                raise ValueError("no rules today")
            """
        ),
        entry_point="raiser",
    )
    fake_distribution("adv-good", GOOD, entry_point="good")
    plugins = Plugins(only=["raiser", "good"])
    assert [r.id for r in plugins.rules()] == ["good.rule"]
    assert "advisor_evidence raised ValueError: no rules today" in errors(plugins, "raiser")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("return {'not': 'a list'}", "advisor_evidence returned dict, expected a list"),
        ("return ['a string']", "advisor_evidence returned a str, expected Rule"),
    ],
)
def test_hook_returning_the_wrong_type_is_reported(fake_distribution, body, expected):
    fake_distribution(
        "adv-wrong",
        plugin_source(
            f"""
            @hookimpl
            def advisor_evidence():
                {body}
            """
        ),
        entry_point="wrong",
    )
    fake_distribution("adv-good", GOOD, entry_point="good")
    plugins = Plugins(only=["wrong", "good"])
    assert [r.id for r in plugins.rules()] == ["good.rule"]
    assert expected in errors(plugins, "wrong")


def test_wrong_component_type_for_a_strategy_hook_is_reported(fake_distribution):
    fake_distribution(
        "adv-mixup",
        plugin_source(
            """
            @hookimpl
            def advisor_prompt_strategies():
                return [make_rule("a.rule.not.a.strategy")]
            """
        ),
        entry_point="mixup",
    )
    plugins = Plugins(only=["mixup"])
    assert plugins.prompt_strategies() == []
    assert "returned a Rule, expected PromptStrategy" in errors(plugins, "mixup")


def test_rule_whose_weigh_raises_or_returns_junk_counts_zero_and_is_reported(
    fake_distribution,
):
    fake_distribution(
        "adv-weigh",
        plugin_source(
            """
            def explode(profile):
                raise KeyError("labeled_examples")

            @hookimpl
            def advisor_evidence():
                return [make_rule("weigh.raises", explode), make_rule("weigh.junk", lambda p: "x")]
            """
        ),
        entry_point="weigh",
    )
    fake_distribution("adv-good", GOOD, entry_point="good")
    plugins = Plugins(only=["weigh", "good"])
    rec = recommend(plugins=plugins, labeled_examples=100)
    assert [r.rule_id for r in rec.reasons] == ["good.rule"]
    text = errors(plugins, "weigh")
    assert "rule 'weigh.raises' weigh raised KeyError" in text
    assert "rule 'weigh.junk' weigh raised ValueError" in text
    # `advisor plugins` weighs every rule once, so the problem shows without a recommendation.
    fresh = Plugins(only=["weigh"])
    fresh.survey()
    assert "weigh.raises" in errors(fresh, "weigh")


# ---------------------------------------------------------------- names and versions


def test_duplicate_rule_ids_first_in_alphabetical_order_wins(fake_distribution):
    for name in ("dup-b", "dup-a"):  # created out of order: load order must not depend on it
        fake_distribution(
            f"adv-{name}",
            plugin_source(
                f"""
                @hookimpl
                def advisor_evidence():
                    return [make_rule("same.rule", lambda p: {1.0 if name == "dup-a" else -1.0})]
                """
            ),
            entry_point=name,
        )
    plugins = Plugins(only=["dup-a", "dup-b"])
    rules = plugins.rules()
    assert [(r.id, r.origin) for r in rules] == [("same.rule", "dup-a")]
    assert rules[0].weigh(None) == 1.0
    assert "name 'same.rule' already provided by plugin 'dup-a'" in errors(plugins, "dup-b")
    assert plugins.info["dup-a"].errors == []


def test_builtin_wins_a_duplicate_rule_id_against_a_third_party_plugin(fake_distribution):
    builtin_ids = [r.id for r in Plugins(only=["evidence"]).rules()]
    if not builtin_ids:
        pytest.skip("the built-in evidence plugin provides no rules yet")
    taken = builtin_ids[0]
    # "aaa" sorts before every built-in name: only the documented rule makes the built-in win.
    fake_distribution(
        "adv-aaa",
        plugin_source(
            f"""
            @hookimpl
            def advisor_evidence():
                return [make_rule({taken!r})]
            """
        ),
        entry_point="aaa",
    )
    plugins = Plugins(only=["aaa", "evidence"])
    by_id = {r.id: r.origin for r in plugins.rules()}
    assert by_id[taken] == "evidence"
    assert f"name '{taken}' already provided by plugin 'evidence'" in errors(plugins, "aaa")


def test_duplicate_entry_point_name_is_rejected_and_listed(fake_distribution):
    fake_distribution("adv-impostor", GOOD, entry_point="evidence")
    plugins = Plugins(only=["evidence"])
    infos = plugins.survey()
    ours = [i for i in infos if i.name == "evidence" and i.distribution == "ft-advisor"]
    theirs = [i for i in infos if i.name == "evidence" and i.distribution == "adv-impostor"]
    assert ours and ours[0].builtin and not ours[0].errors
    assert theirs and not theirs[0].builtin
    assert "already taken by 'ft-advisor'" in theirs[0].errors[0]
    assert "good.rule" not in [r.id for r in plugins.rules()]


@pytest.mark.parametrize(
    ("declared", "loads"),
    [("1.0", False), ("1.7", False), ("2.0", True), ("2.3", True), ("3.0", False)],
)
def test_hookspec_major_version_decides(fake_distribution, declared, loads):
    fake_distribution("adv-versioned", f"ADVISOR_HOOKSPEC = {declared!r}\n" + GOOD, entry_point="v")
    plugins = Plugins(only=["v"])
    if loads:
        assert plugins.info["v"].errors == []
        assert [r.id for r in plugins.rules()] == ["good.rule"]
    else:
        assert f"built for hookspec {declared}" in errors(plugins, "v")
        assert HOOKSPEC_VERSION in errors(plugins, "v")
        assert plugins.rules() == []


def test_a_hookspec_1_plugin_is_refused_with_a_clear_message(fake_distribution):
    """A 1.x strategy (build_task returning an lm-eval dict) is not loaded, and says why."""
    fake_distribution(
        "adv-old",
        'ADVISOR_HOOKSPEC = "1.0"\n'
        + plugin_source(
            """
            from advisor.components import PromptStrategy

            @hookimpl
            def advisor_prompt_strategies():
                return [PromptStrategy(name="old", description="1.x", build_task=lambda *a: {})]
            """
        ),
        entry_point="old",
    )
    result = run_advisor("plugins", env={"ADVISOR_PLUGINS": "old"})
    assert result.exit_code == 0, result.output
    assert "old [adv-old]: built for hookspec 1.0, this advisor provides 2.0; not loaded" in (
        " ".join(result.output.split())
    )
    assert Plugins(only=["old"]).prompt_strategies() == []


def test_misspelt_and_unmarked_hooks_are_reported(fake_distribution):
    fake_distribution(
        "adv-typos",
        plugin_source(
            """
            @hookimpl
            def advisor_evidense():
                return [make_rule("never.seen")]

            def advisor_models():
                return []
            """
        ),
        entry_point="typos",
    )
    plugins = Plugins(only=["typos"])
    text = errors(plugins, "typos")
    assert "unknown hook 'advisor_evidense'" in text
    assert "advisor_models is not marked with @hookimpl" in text
    assert plugins.rules() == []


# ---------------------------------------------------------------- ADVISOR_PLUGINS


def test_advisor_plugins_restricts_loading(fake_distribution, monkeypatch):
    fake_distribution("adv-good", GOOD, entry_point="good")
    fake_distribution("adv-bad", "raise RuntimeError('must not be imported')\n", entry_point="bad")
    monkeypatch.setenv("ADVISOR_PLUGINS", "good, evidence")
    plugins = get_plugins()
    assert sorted(plugins.info) == ["evidence", "good"]
    assert "adv_bad" not in sys.modules


def test_empty_advisor_plugins_loads_only_the_core(fake_distribution, monkeypatch):
    fake_distribution("adv-good", GOOD, entry_point="good")
    monkeypatch.setenv("ADVISOR_PLUGINS", "")
    plugins = get_plugins()
    assert plugins.info == {}
    assert plugins.rules() == []


def test_unknown_name_in_advisor_plugins_is_reported(monkeypatch):
    monkeypatch.setenv("ADVISOR_PLUGINS", "evidence,no-such-plugin")
    infos = get_plugins().survey()
    missing = [i for i in infos if i.name == "no-such-plugin"]
    assert missing and "no installed plugin has this name" in missing[0].errors[0]


# ---------------------------------------------------------------- the command line


def test_advisor_plugins_json_lists_broken_plugins_with_their_errors(fake_distribution):
    fake_distribution("adv-bad", "raise ImportError('needs libfoo')\n", entry_point="bad")
    fake_distribution("adv-good", GOOD, entry_point="good")
    result = run_advisor("plugins", "--json", env={"ADVISOR_PLUGINS": "bad,good"})
    assert result.exit_code == 0, result.output
    infos = {i["name"]: i for i in json.loads(result.output)}
    assert infos["bad"]["errors"] == ["import failed: ImportError: needs libfoo"]
    assert infos["good"]["provides"] == {"advisor_evidence": ["good.rule"]}
    text = run_advisor("plugins", env={"ADVISOR_PLUGINS": "bad,good"})
    assert text.exit_code == 0
    assert "bad [adv-bad]: import failed: ImportError: needs libfoo" in text.output


def _advisor(args: list[str], pythonpath: Path, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(pythonpath), "NO_COLOR": "1", **env}
    return subprocess.run(
        [sys.executable, "-c", "from advisor.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=ROOT,
    )


def test_plugin_commands_are_added_isolated_and_cannot_replace_builtins(tmp_path):
    site = tmp_path / "site"
    make_distribution(
        site,
        "adv-cmds",
        """
        import click
        from advisor.hookspecs import hookimpl

        @hookimpl
        def advisor_commands(cli):
            raise RuntimeError("cannot add commands")
        """,
        entry_point="cmds",
    )
    make_distribution(
        site,
        "adv-hello",
        """
        import click
        from advisor.hookspecs import hookimpl

        @click.command()
        def hello():
            click.echo("hello from a plugin")

        @click.command()
        def hijack():
            click.echo("hijacked")

        @hookimpl
        def advisor_commands(cli):
            cli.add_command(hello)
            cli.add_command(hijack, name="plugins")  # a built-in name: must be refused
        """,
        entry_point="hello",
    )
    env = {"ADVISOR_PLUGINS": "cmds,hello,evidence"}
    hello = _advisor(["hello"], site, **env)
    assert hello.returncode == 0, hello.stderr
    assert hello.stdout.strip() == "hello from a plugin"
    listed = _advisor(["plugins", "--json"], site, **env)
    assert listed.returncode == 0, listed.stderr
    infos = {i["name"]: i for i in json.loads(listed.stdout)}
    assert "cannot add commands" in " ".join(infos["cmds"]["errors"])
    assert infos["hello"]["hooks"] == ["advisor_commands"]
    assert infos["hello"]["provides"] == {"advisor_commands": ["hello"]}
    assert infos["hello"]["errors"] == [
        "advisor_commands: command 'plugins' already exists; ignored"
    ]


def test_recommend_runs_with_only_the_core(tmp_path):
    result = _advisor(["recommend", "--json"], tmp_path, ADVISOR_PLUGINS="")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["reasons"] == []
    listed = _advisor(["plugins", "--json"], tmp_path, ADVISOR_PLUGINS="")
    assert json.loads(listed.stdout) == []


# ---------------------------------------------------------------- the author guide's examples

GUIDE = ROOT / "docs" / "plugins.md"


def guide_blocks(marker: str) -> dict[str, str]:
    """The ```python blocks of docs/plugins.md whose first line is ``# <marker>: NAME``."""
    blocks = {}
    for block in GUIDE.read_text(encoding="utf-8").split("```python\n")[1:]:
        code = block.split("```", 1)[0]
        first = code.splitlines()[0]
        if first.startswith(f"# {marker}"):
            blocks[first.partition(":")[2].strip() or marker] = code
    return blocks


def test_guide_has_an_example_for_every_hook():
    from advisor.plugins import HOOK_NAMES

    text = "".join(guide_blocks("example plugin").values())
    for hook in HOOK_NAMES:
        assert f"def {hook}(" in text, hook


def test_guide_examples_load(fake_distribution):
    import click

    examples = guide_blocks("example plugin")
    assert len(examples) >= 6
    for name, code in examples.items():
        fake_distribution(f"guide-{name}", code, entry_point=name)
    plugins = Plugins(only=list(examples))
    group = click.Group("advisor")
    plugins.call_commands(group)
    infos = {i.name: i for i in plugins.survey()}
    for name in examples:
        assert infos[name].errors == [], (name, infos[name].errors)
        assert infos[name].hooks, name
    provided = {h for i in infos.values() for h in i.provides}
    assert provided == {
        "advisor_evidence",
        "advisor_prompt_strategies",
        "advisor_training_backends",
        "advisor_benchmarks",
        "advisor_models",
        "advisor_methods",
        "advisor_commands",
    }
    assert "hello" in group.commands


def test_guide_baseline_example_runs():
    from advisor.testing import make_profile, tiny_classification

    namespace: dict = {}
    exec(compile(guide_blocks("example plugin")["polite-prompts"], "guide", "exec"), namespace)
    train, test = tiny_classification()
    predictions = namespace["majority"](train, test)
    # Balanced labels: Counter keeps first-seen order on ties, and "positive" comes first.
    assert predictions == ["positive"] * len(test.examples)
    rules_ns: dict = {}
    exec(compile(guide_blocks("example plugin")["org-rules"], "guide", "exec"), rules_ns)
    volume, policy = rules_ns["advisor_evidence"]()
    assert (volume.kind, policy.kind) == ("benefit", "constraint")
    assert volume.weigh(make_profile(monthly_queries=2_000_000)) == 0.75
    assert "full" in policy.excludes(make_profile(gpu_memory_gb=0))


def test_guide_runner_and_backend_examples_work_on_any_loaded_model(tmp_path):
    """choice-runner scores a built-in suite through LoadedModel.score_choices alone, and the
    frozen-control backend attaches nothing: the 2.0 contracts, without torch."""
    from advisor.api import LoadedModel, SuiteOptions
    from advisor.testing import tiny_classification

    class SaysPositive(LoadedModel):
        name = "says-positive"

        def count_tokens(self, texts):
            return [len(t.split()) for t in texts]

        def score_choices(self, requests, *, batch_size=16):
            return [[float(c == " positive") for c in r.choices] for r in requests]

        def nll_per_char(self, texts):
            return 1.0

    ns: dict = {}
    exec(compile(guide_blocks("example plugin")["choice-runner"], "guide", "exec"), ns)
    (runner,) = ns["advisor_benchmarks"]()
    train, test = tiny_classification()
    zero_shot = Plugins(only=["prompts"]).get("strategy", "zero-shot")
    suite = zero_shot.build_suite(train, test, SuiteOptions(name="tiny_zero_shot"))
    assert runner.write_task(suite, tmp_path) == "tiny_zero_shot"
    ticks: list[tuple[int, int]] = []
    model = SaysPositive()
    out = runner.run(model, suite, tmp_path, on_progress=lambda d, t: ticks.append((d, t)))
    assert [e.prediction for e in out.examples] == ["positive"] * len(test.examples)
    expected = sum(ex.output == "positive" for ex in test.examples) / len(test.examples)
    assert out.metrics == {"acc": expected}
    assert ticks[-1] == (len(test.examples), len(test.examples))

    backend_ns: dict = {}
    exec(compile(guide_blocks("example plugin")["frozen-control"], "guide", "exec"), backend_ns)
    (backend,) = backend_ns["advisor_training_backends"]()
    result = backend.train(model, train, None, tmp_path / "ft")
    with backend.attach(model, result.output_dir) as tuned:
        assert tuned is model


def test_guide_test_example_passes(tmp_path):
    """The guide's pytest example runs against its own org-rules example, installed."""
    site = tmp_path / "site"
    make_distribution(
        site,
        "advisor-org-rules",
        guide_blocks("example plugin")["org-rules"],
        entry_point="org-rules",
        module="my_plugin",
    )
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "conftest.py").write_text("from advisor.testing import *  # noqa: F401,F403\n")
    (tests / "test_example.py").write_text(guide_blocks("test example")["test example"])
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "not pip_install"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(site)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout


def test_hook_with_a_wrong_signature_is_refused_at_registration(fake_distribution):
    fake_distribution(
        "adv-sig",
        plugin_source(
            """
            @hookimpl
            def advisor_evidence(profile):
                return [make_rule("never.loaded")]
            """
        ),
        entry_point="sig",
    )
    fake_distribution("adv-good", GOOD, entry_point="good")
    plugins = Plugins(only=["sig", "good"])
    assert "register failed: PluginValidationError" in errors(plugins, "sig")
    assert [r.id for r in plugins.rules()] == ["good.rule"]
