"""Guidance for one profile: the seed's 10 aspects judged, the 7 challenges rated, and a plan.

``build_guidance(profile, verdict, method, score)`` is called by the engine after scoring.
Pure Python and deterministic. The prose, thresholds and size ladders are data in
advisor/data/guidance.yaml (validated by ``spec``); this package holds the code around them:

    conditions.py    conditions and texts as data, and how they are evaluated
    spec.py          the file's schema, its checks and its loader
    fact_names.py    the names the file may read (Profile fields and derived facts)
    facts.py         their values for one profile, and the training method the plan uses
    judge.py         aspects and challenges
    plan.py          hyperparameters, the 7 fine-tuning steps, the 3C checklist, the skeleton
    command.py       the benchmark command that validates the advice
    methods_view.py  the method names guidance refers to
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from pydantic import BaseModel

from advisor.guidance.command import BenchmarkInputs, benchmark_command
from advisor.guidance.facts import Context, build_facts, train_method
from advisor.guidance.judge import judge_aspects, rate_challenges
from advisor.guidance.methods_view import DEFAULT_PROMPT, PLANNED_PROMPTS
from advisor.guidance.plan import (
    PlanParameters,
    fine_tuning_steps,
    hyperparameters,
    plan_parameters,
    prompt_skeleton,
    three_cs,
)
from advisor.guidance.spec import guidance_spec
from advisor.profile import Profile
from advisor.recommendation import Aspect, Challenge, Plan

__all__ = [
    "BenchmarkInputs",
    "Guidance",
    "PlanParameters",
    "build_guidance",
    "hyperparameters",
    "plan_parameters",
]


class Guidance(BaseModel):
    """The parts of a Recommendation that explain and operationalise the verdict."""

    aspects: list[Aspect]
    challenges: list[Challenge]
    plan: Plan
    benchmark_command: str


def build_guidance(
    profile: Profile,
    verdict: str,
    method: str,
    score: float,
    *,
    trained: str | None = None,
    excluded: Collection[str] = (),
    break_even: int | None = None,
    inputs: BenchmarkInputs | None = None,
    memory_gb: Mapping[str, float] | None = None,
    fits: Mapping[str, bool] | None = None,
) -> Guidance:
    """Aspects, challenges, plan and validation command for a scored profile.

    ``trained`` is the fine-tune the engine names (the method itself, or the next step of a
    prompt-first verdict); ``excluded`` and ``break_even`` are the constraints' and the cost
    table's, so that no text contradicts them. ``score`` (the engine's signed total) is part
    of the interface but deliberately unused: every judgement here follows from the profile
    through guidance.yaml, so it can be explained without the rule set that produced it.
    """
    spec = guidance_spec()
    trained = trained or train_method(method, profile, spec)
    hp = hyperparameters(profile, trained)
    params = plan_parameters(profile, trained)
    ctx = Context(
        excluded=frozenset(excluded),
        break_even=break_even,
        shots=params.shots,
        memory_gb=dict(memory_gb or {}),
        fits=dict(fits or {}),
    )
    # Aspects judge the recommended method; risks and the plan, the one that would train.
    training = build_facts(profile, trained, hp, spec, ctx)
    aspects = judge_aspects(spec, build_facts(profile, method, hp, spec, ctx))
    challenges = rate_challenges(spec, training)
    if verdict == "fine-tune":
        plan = Plan(
            kind="fine-tune", steps=fine_tuning_steps(spec, training, hp), hyperparameters=hp
        )
    else:
        prompt_method = method if method in PLANNED_PROMPTS else DEFAULT_PROMPT
        prompting = build_facts(profile, prompt_method, hp, spec, ctx)
        plan = Plan(
            kind="prompt",
            checklist=three_cs(spec, prompting),
            prompt_skeleton=prompt_skeleton(spec, prompting),
        )
        if verdict == "prompt-then-fine-tune":
            # Prompt now, with the fine-tune ready for when data or volume grows.
            plan.steps = fine_tuning_steps(spec, training, hp)
            plan.hyperparameters = hp
    command = benchmark_command(
        profile,
        verdict,
        method,
        trained,
        shots=params.shots,
        inputs=inputs,
    )
    return Guidance(aspects=aspects, challenges=challenges, plan=plan, benchmark_command=command)
