"""The evidence engine: hard constraints, scoring, verdict bands, method choice,
sources, field coverage, plugin-supplied rules, determinism and the YAML rule loader."""

from __future__ import annotations

from itertools import product
from pathlib import Path
from typing import Any

import pytest
from advisor_evidence import RULES_FILE, load_rules

import advisor
from advisor import engine
from advisor.calibration import load_fit
from advisor.engine import recommend, score_profile
from advisor.errors import UsageError
from advisor.evidence import Rule
from advisor.hookspecs import hookimpl
from advisor.plugins import Plugins
from advisor.profile import FIELD_NAMES, Profile
from advisor.recommendation import CHALLENGES, Source

RULES = load_rules()
LOCAL = {"lora", "qlora", "ia3", "full"}
SOURCE = Source(title="Test source", kind="measurement", figure="a test figure")


def const_rule(rule_id: str, weight: float) -> Rule:
    """A benefit rule worth ``weight`` points for every profile."""
    return Rule(
        id=rule_id,
        kind="benefit",
        statement=f"constant {weight}",
        source=SOURCE,
        fields=["labeled_examples"],
        weigh=lambda _p: weight,
    )


def const_constraint(rule_id: str, excludes: dict[str, str]) -> Rule:
    """A constraint rule excluding ``excludes`` for every profile."""
    return Rule(
        id=rule_id,
        kind="constraint",
        statement="constant exclusions",
        source=SOURCE,
        fields=["labeled_examples"],
        excludes=lambda _p: dict(excludes),
    )


def excluded(**fields: Any) -> set[str]:
    return set(score_profile(Profile(**fields), RULES).excluded)


# ---------------------------------------------------------------- hard constraints


def test_memory_that_does_not_fit_excludes_the_method() -> None:
    # 65B: QLoRA needs ~43 GB (Dettmers et al.: fits one 48 GB GPU); LoRA ~2 B/param does not.
    on_24 = excluded(model_params_b=65, gpu_memory_gb=24, gpu_count=1)
    on_48 = excluded(model_params_b=65, gpu_memory_gb=48, gpu_count=1)
    assert on_24 >= LOCAL
    assert "qlora" not in on_48
    assert {"lora", "ia3", "full"} <= on_48


def test_several_gpus_shard_a_full_fine_tune() -> None:
    assert "full" in excluded(model_params_b=7, gpu_memory_gb=80, gpu_count=1)
    assert "full" not in excluded(model_params_b=7, gpu_memory_gb=80, gpu_count=4)


def test_recommended_method_is_never_excluded() -> None:
    grid = product([0, 8, 24, 48, 80], [0.135, 7, 65, None], [0, 50, 5000], [True, False])
    for gpu, size, examples, leave in grid:
        rec = recommend(
            gpu_memory_gb=gpu,
            gpu_count=1 if gpu else 0,
            model_params_b=size,
            labeled_examples=examples,
            data_can_leave=leave,
            rules=RULES,
        )
        assert rec.method not in rec.excluded_methods, rec.constraints
        assert not set(rec.alternatives) & set(rec.excluded_methods)


def test_no_gpu_allows_local_training_only_for_tiny_models() -> None:
    assert excluded(model_params_b=7, gpu_memory_gb=0) >= LOCAL
    assert excluded(gpu_memory_gb=0) >= LOCAL  # size not given: assume a typical 7B model
    tiny = excluded(model_params_b=0.135, gpu_memory_gb=0)
    assert "lora" not in tiny and "full" not in tiny
    assert "qlora" in tiny  # 4-bit kernels need CUDA


def test_api_only_model_is_tuned_only_through_the_provider() -> None:
    allowed = excluded(model_access="api_only", gpu_memory_gb=80, gpu_count=1)
    assert allowed >= LOCAL and "api-fine-tune" not in allowed
    private = excluded(model_access="api_only", data_can_leave=False)
    assert LOCAL | {"api-fine-tune"} <= private
    rec = recommend(
        model_access="api_only",
        data_can_leave=False,
        labeled_examples=50_000,
        expertise="ml_researcher",
        rules=RULES,
    )
    assert rec.verdict == "prompt"
    assert rec.confidence == round(load_fit().forced, 3)


def test_data_that_cannot_leave_without_gpu_leaves_prompting_or_tiny_models() -> None:
    big = excluded(model_params_b=7, gpu_memory_gb=0, data_can_leave=False)
    assert LOCAL | {"api-fine-tune"} <= big
    tiny = excluded(model_params_b=0.135, gpu_memory_gb=0, data_can_leave=False)
    assert "api-fine-tune" in tiny and "lora" not in tiny
    rec = recommend(
        model_params_b=7,
        gpu_memory_gb=0,
        data_can_leave=False,
        labeled_examples=100_000,
        rules=RULES,
    )
    assert rec.verdict == "prompt"
    assert any("may not leave" in c for c in rec.constraints)


def test_no_examples_or_no_budget() -> None:
    assert LOCAL | {"api-fine-tune"} <= excluded(labeled_examples=0, gpu_memory_gb=80, gpu_count=1)
    assert "api-fine-tune" in excluded(labeled_examples=5, gpu_memory_gb=80, gpu_count=1)
    api = {"model_access": "api_only"}
    assert "api-fine-tune" in excluded(budget_usd=0, **api)
    assert "api-fine-tune" not in excluded(budget_usd=10, **api)


def test_constraints_name_the_rule_and_the_reason() -> None:
    rec = recommend(model_params_b=65, gpu_memory_gb=24, gpu_count=1, rules=RULES)
    text = " ".join(rec.constraints)
    assert "[hw.memory-fit]" in text and "GB" in text


# ---------------------------------------------------------------- score, bands, confidence


@pytest.mark.parametrize(
    ("weight", "verdict"),
    [
        (3.0, "fine-tune"),
        (2.0, "fine-tune"),
        (1.9, "prompt-then-fine-tune"),
        (0.0, "prompt-then-fine-tune"),
        (-1.0, "prompt-then-fine-tune"),
        (-1.1, "prompt"),
    ],
)
def test_score_bands(weight: float, verdict: str) -> None:
    rec = recommend(gpu_memory_gb=24, gpu_count=1, rules=[const_rule("t.const", weight)])
    assert rec.score == pytest.approx(weight)
    assert rec.verdict == verdict


def test_every_point_of_the_score_traces_to_a_reason() -> None:
    rec = recommend(
        labeled_examples=3000, gpu_memory_gb=24, gpu_count=1, model_params_b=7, rules=RULES
    )
    assert rec.reasons
    assert rec.score == pytest.approx(sum(r.weight for r in rec.reasons))
    weights = [abs(r.weight) for r in rec.reasons]
    assert weights == sorted(weights, reverse=True)
    assert all(r.weight != 0 for r in rec.reasons)


def test_forced_verdicts_follow_constraints_not_score() -> None:
    no_tuning = {m: "test" for m in engine.TUNING_METHODS}
    rec = recommend(rules=[const_rule("t.big", 10.0), const_constraint("t.no", no_tuning)])
    assert rec.verdict == "prompt" and rec.method in engine.PROMPT_METHODS
    no_prompt = {m: "test" for m in engine.PROMPT_METHODS}
    rec = recommend(
        gpu_memory_gb=24,
        gpu_count=1,
        model_params_b=1,
        rules=[const_rule("t.neg", -10.0), const_constraint("t.no", no_prompt)],
    )
    assert rec.verdict == "fine-tune" and rec.method in engine.TUNING_METHODS
    with pytest.raises(UsageError, match="every method is excluded"):
        recommend(rules=[const_constraint("t.all", {**no_tuning, **no_prompt})])


def test_a_rule_is_a_constraint_or_a_benefit_never_both() -> None:
    """Feasibility apart from benefit: a constraint adds no points, a benefit rule excludes
    nothing, and a rule with both functions is refused at load."""
    assert const_rule("t.b", 1.0).kind == "benefit"
    constraint = const_constraint("t.c", {"full": "no"})
    assert constraint.kind == "constraint" and constraint.reason(Profile()) is None
    with pytest.raises(ValueError, match="split it into one rule of each kind"):
        Rule(
            id="t.both",
            statement="both",
            source=SOURCE,
            fields=["labeled_examples"],
            weigh=lambda _p: 1.0,
            excludes=lambda _p: {},
        )
    with pytest.raises(ValueError, match="kind 'constraint' and so needs 'excludes'"):
        Rule(id="t.x", kind="constraint", statement="x", source=SOURCE, fields=[], weigh=abs)
    with pytest.raises(ValueError, match="needs 'weigh'"):
        Rule(id="t.none", statement="none", source=SOURCE, fields=[])


def test_builtin_rules_keep_feasibility_apart_from_benefit() -> None:
    """No built-in benefit rule reads the hardware or the model access to say what is
    possible, and every constraint rule is cited like a benefit rule."""
    kinds = {r.id: r.kind for r in RULES}
    assert kinds["access.api-only"] == kinds["hw.no-gpu"] == "constraint"
    assert kinds["hw.lora-fits"] == kinds["hw.qlora-fits"] == kinds["hw.memory-fit"] == "constraint"
    hardware = {"gpu_memory_gb", "gpu_count", "data_can_leave", "budget_usd"}
    for rule in RULES:
        assert rule.source.figure, rule.id
        if rule.kind == "benefit":
            assert not hardware & set(rule.fields), rule.id
    # An API-only model loses the local methods once, as a constraint, and no point for it.
    api = score_profile(Profile(model_access="api_only"), RULES)
    local = score_profile(Profile(model_access="open_weights"), RULES)
    assert api.score == local.score
    assert set(api.excluded) >= LOCAL and "api-fine-tune" in local.excluded


# ---------------------------------------------------------------- method choice


@pytest.mark.parametrize(
    ("profile", "verdict", "method"),
    [
        (
            dict(
                labeled_examples=9000,
                model_params_b=65,
                gpu_memory_gb=48,
                gpu_count=1,
                expertise="ml_researcher",
            ),
            "fine-tune",
            "qlora",
        ),
        (
            dict(
                labeled_examples=20000,
                model_params_b=7,
                gpu_memory_gb=24,
                gpu_count=1,
                expertise="ml_engineer",
            ),
            "fine-tune",
            "lora",
        ),
        (
            dict(
                labeled_examples=20000,
                model_params_b=0.3,
                gpu_memory_gb=24,
                gpu_count=1,
                expertise="ml_engineer",
            ),
            None,
            "full",
        ),
        (
            dict(labeled_examples=0, task_type="generation", output_format="structured"),
            "prompt",
            "3c",
        ),
        (
            dict(labeled_examples=8, task_type="qa", model_access="api_only", model_params_b=540),
            None,
            "cot",
        ),
    ],
    ids=["qlora", "lora", "full", "3c", "cot"],
)
def test_method_preferences(profile: dict[str, Any], verdict: str | None, method: str) -> None:
    rec = recommend(**profile, rules=RULES)
    assert rec.method == method
    if verdict is not None:  # None: only the method is pinned for this profile
        assert rec.verdict == verdict


def test_prompt_then_fine_tune_names_the_next_fine_tune() -> None:
    rec = recommend(gpu_memory_gb=24, gpu_count=1, rules=RULES)  # mixed evidence
    assert rec.verdict == "prompt-then-fine-tune"
    assert rec.method in engine.PROMPT_METHODS
    assert rec.alternatives[0] in engine.TUNING_METHODS
    assert rec.alternatives[0] in rec.summary


# ---------------------------------------------------------------- sources and coverage


def test_at_least_28_rules_each_with_a_cited_source() -> None:
    assert len(RULES) >= 28
    assert len({r.id for r in RULES}) == len(RULES)
    for rule in RULES:
        src = rule.source
        assert src.url and src.url.startswith("https://"), rule.id
        assert src.year and 2019 <= src.year <= 2026, rule.id
        assert len(src.figure) > 30, rule.id
        assert len(rule.statement) > 30, rule.id
    # Most findings rest on a number; the rest quote a qualitative finding or vendor statement.
    numeric = [r for r in RULES if any(ch.isdigit() for ch in r.source.figure)]
    assert len(numeric) >= 0.5 * len(RULES)


def test_reasons_cite_their_sources() -> None:
    rec = recommend(labeled_examples=3000, gpu_memory_gb=24, gpu_count=1, rules=RULES)
    by_id = {r.id: r for r in RULES}
    for reason in rec.reasons:
        assert reason.source == by_id[reason.rule_id].source
        assert reason.source.figure and reason.source.title


def test_every_profile_field_is_declared_by_some_rule() -> None:
    declared = {f for r in RULES for f in r.fields}
    assert declared == set(FIELD_NAMES)


# Base profiles and alternative values: enough variety that every field a rule declares can
# be seen to change that rule's weight or exclusions.
BASES: list[dict[str, Any]] = [
    {},
    dict(gpu_memory_gb=80, gpu_count=1, model_params_b=7, task_type="code", labeled_examples=2000),
    dict(gpu_memory_gb=24, gpu_count=1, task_type="qa", model_params_b=100, num_labels=4),
    dict(model_access="api_only", data_can_leave=False, task_type="qa", goal="knowledge"),
    dict(
        gpu_memory_gb=0,
        model_params_b=0.2,
        labeled_examples=40,
        task_type="classification",
        num_labels=2,
        goal="both",
    ),
    dict(
        labeled_examples=5000,
        goal="knowledge",
        domain_shift="high",
        gpu_memory_gb=48,
        model_params_b=65,
        gpu_count=1,
    ),
    dict(task_type="code", model_params_b=7, gpu_memory_gb=80, gpu_count=8),
    dict(data_can_leave=False, model_params_b=7, gpu_memory_gb=24, gpu_count=1),
]
ALTERNATIVES: dict[str, list[Any]] = {
    "task_type": ["classification", "summarization", "qa", "code", "chat", "extraction"],
    "goal": ["behaviour", "knowledge", "both"],
    "labeled_examples": [0, 5, 15, 30, 60, 150, 600, 1500, 3000, 50_000],
    "num_labels": [None, 2, 20, 100, 400],
    "budget_usd": [0, 10, 60, 1000],
    "gpu_memory_gb": [0, 8, 24, 48, 80, 200],
    "gpu_count": [0, 1, 2, 8],
    "expertise": ["none", "basic", "ml_engineer", "ml_researcher"],
    "model_params_b": [None, 0.1, 0.8, 3, 20, 70, 200],
    "model_access": ["open_weights", "api_only"],
    "monthly_queries": [0, 5000, 500_000, 5_000_000],
    "latency_ms": [None, 100, 500, 5000],
    "data_can_leave": [True, False],
    "requirements_change": ["rarely", "monthly", "weekly"],
    "domain_shift": ["low", "medium", "high"],
    "output_format": ["free", "structured"],
    "deadline_days": [None, 1, 5, 30],
}


def _observes(rule: Rule, field: str) -> bool:
    for base in BASES:
        seen = set()
        for value in ALTERNATIVES[field]:
            profile = Profile(**{**base, field: value})
            seen.add((rule.weigh(profile), tuple(sorted(rule.excludes(profile).items()))))
            if len(seen) > 1:
                return True
    return False


def test_alternatives_cover_every_field() -> None:
    assert set(ALTERNATIVES) == set(FIELD_NAMES)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_each_rule_reads_every_field_it_declares(rule: Rule) -> None:
    silent = [f for f in rule.fields if not _observes(rule, f)]
    assert not silent, f"{rule.id} declares {silent} but no change of them moves it"


# ---------------------------------------------------------------- plugins


class ExtraRules:
    """A third-party plugin object adding one rule through the advisor_evidence hook."""

    @hookimpl
    def advisor_evidence(self) -> list[Rule]:
        return [
            Rule(
                id="org.house-policy",
                statement="Our organisation prefers fine-tuned models for audited workflows.",
                source=Source(
                    title="Internal policy", kind="measurement", figure="policy 7 of 2026"
                ),
                fields=["output_format"],
                weigh=lambda p: 2.5 if p.output_format.value == "structured" else 0.0,
            ),
            Rule(
                id="org.no-full",
                kind="constraint",
                statement="Our organisation does not run full fine-tunes.",
                source=Source(
                    title="Internal policy", kind="measurement", figure="policy 8 of 2026"
                ),
                fields=[],
                excludes=lambda p: {"full": "policy forbids full fine-tunes"},
            ),
        ]


def test_a_plugin_supplied_rule_changes_the_score() -> None:
    plain = Plugins(only=["evidence"])
    extended = Plugins(only=["evidence"])
    extended.register(ExtraRules(), name="org")
    profile = Profile(
        output_format="structured",
        labeled_examples=300,
        gpu_memory_gb=80,
        gpu_count=1,
        model_params_b=1,
    )
    before = recommend(profile, plugins=plain)
    after = recommend(profile, plugins=extended)
    assert after.score == pytest.approx(before.score + 2.5)
    added = [r for r in after.reasons if r.rule_id == "org.house-policy"]
    assert len(added) == 1 and added[0].origin == "org"
    assert "full" in after.excluded_methods and "full" not in before.excluded_methods


def test_default_rules_come_from_the_installed_plugins() -> None:
    rec = recommend(labeled_examples=3000)
    assert {r.id for r in RULES} & {r.rule_id for r in rec.reasons}
    builtin = recommend(labeled_examples=3000, plugins=Plugins(only=["evidence"]))
    assert builtin.reasons and all(r.origin == "evidence" for r in builtin.reasons)
    assert recommend(labeled_examples=3000, rules=[]).reasons == []


# ---------------------------------------------------------------- API and assembly


def test_fields_build_or_override_the_profile() -> None:
    rec = recommend(labeled_examples=42, rules=RULES)
    assert rec.profile.labeled_examples == 42
    assert rec.profile_sources["labeled_examples"] == "api"
    assert rec.profile_sources["budget_usd"] == "default"
    rec = recommend(Profile(labeled_examples=42, budget_usd=7), budget_usd=9, rules=RULES)
    assert (rec.profile.labeled_examples, rec.profile.budget_usd) == (42, 9)
    with pytest.raises(UsageError, match="unknown field 'gpus'"):
        recommend(gpus=2, rules=RULES)
    with pytest.raises(UsageError, match="labeled_examples"):
        recommend(labeled_examples=-1, rules=RULES)
    rec = recommend(rules=RULES, profile_sources={"labeled_examples": "flag"})
    assert rec.profile_sources == {"labeled_examples": "flag"}


def test_recommendation_is_complete_and_deterministic() -> None:
    profile = Profile(labeled_examples=3000, gpu_memory_gb=24, gpu_count=1, model_params_b=7)
    rec = advisor.recommend(profile)
    assert rec.model_dump_json() == advisor.recommend(profile).model_dump_json()
    assert len(rec.aspects) == 10
    assert [c.name for c in rec.challenges] == list(CHALLENGES)
    assert rec.plan.kind == ("fine-tune" if rec.verdict == "fine-tune" else "prompt")
    assert rec.cost.methods and rec.cost.price_table
    assert rec.benchmark_command.startswith("advisor benchmark")
    assert rec.summary and "\n" not in rec.summary
    assert rec.version == advisor.__version__


# ---------------------------------------------------------------- the rules file


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


RULE = """
rules:
  - id: t.one
    kind: benefit
    statement: a statement long enough to read
    source: {title: T, kind: paper, year: 2020, figure: "42"}
    fields: [%s]
    weigh: %s
"""


def test_rule_file_loads_generic_weighers(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        RULE % ("budget_usd", "{kind: step, field: budget_usd, below: -1, steps: [[10, 1]]}"),
    )
    (rule,) = load_rules(path)
    assert rule.weigh(Profile(budget_usd=5)) == -1 and rule.weigh(Profile(budget_usd=10)) == 1


@pytest.mark.parametrize(
    ("fields", "weigh", "message"),
    [
        ("goal", "{kind: step, field: budget_usd, steps: [[1, 1]]}", "without declaring"),
        ("goal", "{kind: custom}", "no custom weigher"),
        ("goal", "{kind: enum, field: goal}", "needs 'field' and 'map'"),
        ("goal, nonsense", "{kind: enum, field: goal, map: {}}", "unknown profile fields"),
    ],
)
def test_rule_file_errors_are_caught(tmp_path: Path, fields: str, weigh: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_rules(_write(tmp_path, RULE % (fields, weigh)))


def test_rule_file_keeps_constraints_apart_from_points(tmp_path: Path) -> None:
    both = RULE % ("gpu_memory_gb", "{kind: enum, field: gpu_memory_gb, map: {}}")
    both += "    excludes: {name: no-gpu}\n"
    with pytest.raises(ValueError, match="benefit rule t.one needs 'weigh' and no 'excludes'"):
        load_rules(_write(tmp_path, both))
    constraint = both.replace("kind: benefit", "kind: constraint")
    with pytest.raises(ValueError, match="a constraint adds no points"):
        load_rules(_write(tmp_path, constraint))


def test_shipped_rules_file_is_the_one_loaded() -> None:
    assert RULES_FILE.name == "rules.yaml" and RULES_FILE.exists()
    assert [r.id for r in load_rules(RULES_FILE)] == [r.id for r in RULES]
