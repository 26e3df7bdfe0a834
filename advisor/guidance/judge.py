"""The seed's 10 aspects judged and its 7 challenges rated, from the cases in guidance.yaml."""

from __future__ import annotations

from advisor.guidance.conditions import Facts, first_match, render
from advisor.guidance.spec import GuidanceSpec
from advisor.recommendation import Aspect, Challenge


def judge_aspects(spec: GuidanceSpec, facts: Facts) -> list[Aspect]:
    out = []
    for aspect in spec.aspects:
        case = first_match(aspect.judge, facts)
        out.append(
            Aspect(
                name=aspect.name,
                fine_tuning=aspect.fine_tuning,
                prompt_engineering=aspect.prompt_engineering,
                favours=case.favours,
                judgement=render(case.text or "", facts),
            )
        )
    return out


def rate_challenges(spec: GuidanceSpec, facts: Facts) -> list[Challenge]:
    out = []
    for challenge in spec.challenges:
        case = first_match(challenge.rate, facts)
        mitigation = getattr(challenge.mitigation, case.rating)
        if facts["provider_tuning"] and challenge.provider_mitigation:
            mitigation = challenge.provider_mitigation
        out.append(
            Challenge(
                name=challenge.name,
                rating=case.rating,
                why=render(case.text or challenge.why or "", facts),
                mitigation=render(mitigation, facts),
            )
        )
    return out
