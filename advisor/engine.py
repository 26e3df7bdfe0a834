"""recommend(profile) -> Recommendation: scoring and assembly, nothing else.

1. Hard constraints first: every constraint rule's ``excludes(profile)`` removes methods
   (memory that does not fit, no GPU, api-only weights, data that may not leave, no data at
   all). Constraints decide what is possible and add no points.
2. Score: the sum of the benefit rules' signed weights (positive favours fine-tuning): what
   helps, never what is possible. Every point of the score is one ``Reason``;
   ``score == sum(r.weight for r in reasons)``.
3. Verdict from the score's band (``PROMPT_BELOW`` / ``FINE_TUNE_AT``), overridden only when the
   constraints leave no method of that kind.
4. Method: the first allowed entry of a small preference table (``TUNING_PREFERENCES``,
   ``PROMPT_PREFERENCES``), each entry with the reason it is preferred. The methods themselves
   are data (``advisor.methods``); a plugin's method is tried before the unconditional defaults.
5. Confidence: P(verdict right) from the margin, calibrated on known outcomes (``confidence()``).
6. Cost (``advisor.cost``) and aspects/challenges/plan/benchmark command (``advisor.guidance``)
   from one set of plan parameters (epochs, shots, rank) for the fine-tune the verdict names,
   so that no text contradicts a table (tests/test_consistency.py).

Deterministic: no randomness, rules are applied in load order and reasons sorted by weight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from advisor import calibration
from advisor.errors import UsageError
from advisor.guidance.command import BenchmarkInputs
from advisor.methods import PROMPT_METHODS as PROMPT_METHODS  # re-exported for callers
from advisor.methods import TUNING_METHODS as TUNING_METHODS
from advisor.methods import Method, load_methods, with_plugins
from advisor.profile import (
    EXPERTISE_LEVEL,
    Expertise,
    Goal,
    ModelAccess,
    OutputFormat,
    Profile,
    TaskType,
    build_profile,
)
from advisor.recommendation import Reason, Recommendation

# Score bands. Below PROMPT_BELOW: prompt. At or above FINE_TUNE_AT: fine-tune. Between: the
# evidence is mixed, so prompt now and fine-tune once data, volume or results justify it. The
# band is asymmetric because prompting is the cheap first step every vendor guide recommends:
# the fine-tune verdict needs more net evidence than the prompt verdict.
PROMPT_BELOW = -1.0
FINE_TUNE_AT = 2.0


@dataclass(frozen=True)
class Preference:
    """Use ``method`` when ``when(profile)`` holds and the method is allowed."""

    method: str
    when: Callable[[Profile], bool]
    why: str
    fallback: bool = False  # only when no other method of its kind is allowed


def _always(_: Profile) -> bool:
    return True


def _expert(p: Profile) -> bool:
    return EXPERTISE_LEVEL[p.expertise] >= EXPERTISE_LEVEL[Expertise.ml_engineer]


def _small_model(p: Profile) -> bool:
    return p.model_params_b is not None and p.model_params_b <= 1.0


def _large_model(p: Profile) -> bool:
    if p.model_params_b is None:
        return p.model_access is ModelAccess.api_only
    return p.model_params_b >= 60


TUNING_PREFERENCES: tuple[Preference, ...] = (
    Preference(
        "api-fine-tune",
        lambda p: p.model_access is ModelAccess.api_only,
        "the model is only reachable through its provider's tuning service",
    ),
    Preference(
        "full",
        lambda p: _small_model(p) and p.labeled_examples >= 5000 and _expert(p),
        "a small model with plenty of data: full fine-tuning learns most (Biderman et al. 2024)",
    ),
    Preference(
        "ia3",
        lambda p: (
            p.task_type is TaskType.classification and p.labeled_examples < 1000 and _expert(p)
        ),
        "few examples: (IA)3 trains ~0.01% of the weights and beat in-context learning (Liu et al. 2022)",
    ),
    Preference("lora", _always, "the default adapter: small, fast and mergeable (Hu et al. 2021)"),
    Preference(
        "qlora", _always, "LoRA does not fit: 4-bit QLoRA needs about a quarter of the memory"
    ),
    Preference("ia3", _always, "the only adapter that fits", fallback=True),
    Preference("full", _always, "the only method left", fallback=True),
)

PROMPT_PREFERENCES: tuple[Preference, ...] = (
    Preference(
        "rag",
        lambda p: p.goal is Goal.knowledge,
        "new facts: retrieved passages put them in the prompt, where they are easier to update"
        " and check than facts trained into weights (Lewis et al. 2020; Ovadia et al. 2024)",
    ),
    Preference(
        "cot",
        lambda p: p.task_type in (TaskType.qa, TaskType.other) and _large_model(p),
        "multi-step questions on a large model: chain-of-thought (Wei et al. 2022)",
    ),
    Preference(
        "few-shot",
        lambda p: p.labeled_examples >= 4,
        "labelled examples at hand: show a few in the prompt (Brown et al. 2020)",
    ),
    Preference(
        "3c",
        lambda p: (
            p.output_format is OutputFormat.structured
            or EXPERTISE_LEVEL[p.expertise] <= EXPERTISE_LEVEL[Expertise.basic]
        ),
        "no examples to show: a prompt built on Clarity, Context and Constraints",
    ),
    Preference("zero-shot", _always, "no examples to show: a direct instruction"),
    Preference("3c", _always, "structured instruction", fallback=True),
    Preference("few-shot", _always, "demonstrations", fallback=True),
    Preference("cot", _always, "step-by-step reasoning", fallback=True),
)


def preferences(table: tuple[Preference, ...], methods: Iterable[Method]) -> list[Preference]:
    """``table`` with the plugin-provided ``methods`` of its kind tried just before its
    unconditional defaults: a method someone installed is preferred whenever the constraints
    allow it (and its goal, if it names one, is the profile's) and no special case applies."""
    known = {p.method for p in table}
    plugin = [m for m in methods if m.origin != "advisor" and m.name not in known]
    # A plugin method bound to a goal was installed for that goal: it goes before the
    # built-in special cases (rag for knowledge among them); the others before the defaults.
    bound = [Preference(m.name, _goal_is(m.goal), m.description) for m in plugin if m.goal]
    free = [Preference(m.name, _goal_is(m.goal), m.description) for m in plugin if not m.goal]
    at = next((i for i, p in enumerate(table) if p.when is _always), len(table))
    return [*bound, *table[:at], *free, *table[at:]]


def _goal_is(goal: Goal | None) -> Callable[[Profile], bool]:
    return lambda p: goal is None or p.goal in (goal, Goal.both)


@dataclass(frozen=True)
class Scored:
    """The evidence side of a recommendation, before a verdict is drawn."""

    score: float
    reasons: list[Reason]
    excluded: dict[str, str]
    constraints: list[str]


def score_profile(profile: Profile, rules: Iterable[Any]) -> Scored:
    """Apply hard constraints, then sum the rules' weights. Pure and deterministic."""
    rules = list(rules)
    excluded: dict[str, str] = {}
    by_reason: dict[tuple[str, str], list[str]] = {}
    for rule in rules:
        for method, why in rule.excludes(profile).items():
            excluded.setdefault(method, why)
            by_reason.setdefault((rule.id, why), []).append(method)
    constraints = [
        f"{', '.join(methods)} excluded: {why} [{rule_id}]"
        for (rule_id, why), methods in by_reason.items()
    ]
    reasons = [r for rule in rules if (r := rule.reason(profile)) is not None]
    reasons.sort(key=lambda r: (-abs(r.weight), r.rule_id))
    score = round(sum(r.weight for r in reasons), 3)
    return Scored(score=score, reasons=reasons, excluded=excluded, constraints=constraints)


def band(score: float) -> str:
    if score < PROMPT_BELOW:
        return "prompt"
    if score >= FINE_TUNE_AT:
        return "fine-tune"
    return "prompt-then-fine-tune"


def margin(score: float, verdict: str) -> float:
    """How far the score would have to move to leave its band."""
    if verdict == "prompt":
        return PROMPT_BELOW - score
    if verdict == "fine-tune":
        return score - FINE_TUNE_AT
    return min(score - PROMPT_BELOW, FINE_TUNE_AT - score)


def confidence(score: float, verdict: str, forced: bool = False) -> float:
    """P(the verdict is right): the calibration fitted on the outcome table (advisor.calibration,
    refitted by benchmarks/calibration) applied to the margin, or to the forced verdict."""
    return calibration.probability(margin(score, verdict), forced)


def _pick(prefs: Iterable[Preference], allowed: list[str], p: Profile) -> list[tuple[str, str]]:
    """Allowed methods in preference order (each once), with why each is preferred."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for pref in prefs:
        if pref.fallback and out:
            continue
        if pref.method in allowed and pref.method not in seen and pref.when(p):
            out.append((pref.method, pref.why))
            seen.add(pref.method)
    return out


def decide(
    profile: Profile, scored: Scored, methods: Sequence[Method] | None = None
) -> tuple[str, str, bool, list[str]]:
    """(verdict, method, forced, alternatives) from the score and what the constraints allow,
    among ``methods`` (default: the built-in ones)."""
    methods = load_methods() if methods is None else methods
    tune = [m for m in methods if m.kind != "prompt"]
    prompt = [m for m in methods if m.kind == "prompt"]
    tuning = _pick(
        preferences(TUNING_PREFERENCES, tune),
        [m.name for m in tune if m.name not in scored.excluded],
        profile,
    )
    prompting = _pick(
        preferences(PROMPT_PREFERENCES, prompt),
        [m.name for m in prompt if m.name not in scored.excluded],
        profile,
    )
    if not tuning and not prompting:
        raise UsageError(
            "every method is excluded by hard constraints: " + "; ".join(scored.constraints)
        )
    verdict = band(scored.score)
    forced = False
    if not tuning and verdict != "prompt":
        verdict, forced = "prompt", True
    elif not prompting and verdict != "fine-tune":
        verdict, forced = "fine-tune", True
    tune_names = [m for m, _ in tuning]
    prompt_names = [m for m, _ in prompting]
    if verdict == "fine-tune":
        method = tune_names[0]
        alternatives = prompt_names[:1] + tune_names[1:]
    elif verdict == "prompt":
        method = prompt_names[0]
        alternatives = prompt_names[1:] + tune_names[:1]
    else:  # prompt now (method), the fine-tune to move to next first among the alternatives
        method = prompt_names[0]
        alternatives = tune_names[:1] + prompt_names[1:] + tune_names[1:]
    return verdict, method, forced, alternatives[:4]


def explain_margin(score: float, verdict: str) -> str:
    """Where the score sits relative to the band edges: the basis of the confidence."""
    m = margin(score, verdict)
    if verdict == "fine-tune":
        return f"{m:.1f} above the fine-tune threshold {FINE_TUNE_AT:+.1f}"
    if verdict == "prompt":
        return f"{m:.1f} below the prompt threshold {PROMPT_BELOW:+.1f}"
    edge = "prompt" if score - PROMPT_BELOW <= FINE_TUNE_AT - score else "fine-tune"
    return f"{m:.1f} from the {edge} threshold"


def summarise(
    scored: Scored, verdict: str, method: str, forced: bool, alternatives: list[str]
) -> str:
    s = f"{scored.score:+.1f}"
    top = scored.reasons[0].rule_id if scored.reasons else "no rules loaded"
    if forced and verdict == "prompt":
        first = next(iter(scored.excluded.values()), "constraints")
        return (
            f"Prompt ({method}): hard constraints rule out every fine-tuning method ({first}), "
            f"although the evidence alone scores {s}."
        )
    if forced:
        return f"Fine-tune with {method}: hard constraints rule out every prompting method (score {s})."
    why = f"score {s}, {explain_margin(scored.score, verdict)}; strongest: {top}"
    if verdict == "fine-tune":
        return f"Fine-tune with {method}: the evidence favours fine-tuning ({why})."
    if verdict == "prompt":
        return f"Prompt ({method}): the evidence favours prompting ({why})."
    nxt = alternatives[0] if alternatives else "a fine-tune"
    return (
        f"Start with {method} prompting, then fine-tune with {nxt} once data, volume or results "
        f"justify it: the evidence is mixed ({why})."
    )


def _cost_and_guidance(
    profile: Profile,
    scored: Scored,
    verdict: str,
    method: str,
    alternatives: list[str],
    methods: Sequence[Method],
    inputs: Any,
    cost_inputs: Any | None = None,
) -> tuple[Any, Any]:
    """The cost table and the guidance from one set of plan parameters: the epochs, shots and
    rank the plan states are the ones the table assumes and the benchmark command passes, and
    the fine-tune they describe is the one the verdict names."""
    from advisor.cost import CostInputs, cost_report
    from advisor.guidance import build_guidance, plan_parameters

    tuning = {m.name for m in methods if m.kind != "prompt"}
    trained = next((m for m in (method, *alternatives) if m in tuning), None)
    params = plan_parameters(profile, trained or "lora")
    ranked = [
        m.model_copy(update={"hyperparameters": {**m.hyperparameters, "lora_r": params.lora_r}})
        if m.rank is not None and params.lora_r is not None
        else m
        for m in methods
    ]
    knobs = (cost_inputs or CostInputs()).model_copy(
        update={"epochs": params.epochs, "shots": params.shots}
    )
    cost = cost_report(profile, method, inputs=knobs, methods=ranked)
    guidance = build_guidance(
        profile,
        verdict,
        method,
        scored.score,
        trained=trained,
        excluded=scored.excluded,
        break_even=cost.break_even_monthly_queries,
        inputs=inputs,
        memory_gb={m.method: m.memory_gb for m in cost.methods if m.memory_gb is not None},
        fits={m.method: m.fits_gpu for m in cost.methods if m.fits_gpu is not None},
    )
    return cost, guidance


def recommend(
    profile: Profile | None = None,
    *,
    rules: Iterable[Any] | None = None,
    plugins: Any | None = None,
    profile_sources: dict[str, str] | None = None,
    data: str | None = None,
    test: str | None = None,
    model: str | None = None,
    cost_inputs: Any | None = None,
    **fields: Any,
) -> Recommendation:
    """Advice for a profile. ``fields`` build the profile (or override the given one's fields);
    ``rules`` default to the evidence rules of ``plugins`` (default: the installed plugins).
    ``data``, ``test`` and ``model`` are what the benchmark command is to run on;
    ``cost_inputs`` (an ``advisor.cost.CostInputs``) are the cost model's knobs beyond the
    profile, such as a deployment that scales to zero (the plan's epochs and shots win)."""
    from advisor import __version__

    if profile is None:
        profile = build_profile(fields)
    elif fields:
        profile = build_profile({**profile.model_dump(exclude_unset=True), **fields})
    if rules is None and plugins is None:
        from advisor.plugins import get_plugins

        plugins = get_plugins()
    if rules is None:
        rules = plugins.rules()
    methods = load_methods() if plugins is None else with_plugins(plugins)
    scored = score_profile(profile, rules)
    verdict, method, forced, alternatives = decide(profile, scored, methods)
    cost, guidance = _cost_and_guidance(
        profile,
        scored,
        verdict,
        method,
        alternatives,
        methods,
        BenchmarkInputs(data, test, model),
        cost_inputs,
    )
    if profile_sources is None:
        profile_sources = {
            name: "api" if name in profile.model_fields_set else "default"
            for name in Profile.model_fields
        }
    return Recommendation(
        verdict=verdict,
        method=method,
        confidence=confidence(scored.score, verdict, forced),
        confidence_note=calibration.note(
            scored.reasons, verdict, margin(scored.score, verdict), forced
        ),
        score=scored.score,
        summary=summarise(scored, verdict, method, forced, alternatives),
        profile=profile,
        reasons=scored.reasons,
        constraints=scored.constraints,
        excluded_methods=[m.name for m in methods if m.name in scored.excluded],
        alternatives=alternatives,
        aspects=guidance.aspects,
        challenges=guidance.challenges,
        plan=guidance.plan,
        cost=cost,
        benchmark_command=guidance.benchmark_command,
        profile_sources=profile_sources,
        version=__version__,
    )
