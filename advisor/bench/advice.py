"""The advice side of the verdict: the profile of this data, `recommend`, and costs."""

from __future__ import annotations

from typing import Any

from advisor.bench.schema import Advice, AdviceUnavailable, BenchmarkOptions, BenchmarkResults
from advisor.components import LoadedModel, TaskData
from advisor.profile import Profile, build_profile, read_profile_file


def data_profile(results: BenchmarkResults, options: BenchmarkOptions) -> Profile:
    """Flags and the profile file fill the profile; what the data measures wins over both
    (the verdict is about the data that was actually used)."""
    values: dict[str, Any] = read_profile_file(options.profile) if options.profile else {}
    values.update(options.profile_values)
    data = results.data
    # Every labeled row the user has: the validation split is carved from them.
    values["labeled_examples"] = data.train_examples + data.validation_examples
    values.setdefault("task_type", data.task_type)
    if data.labels:
        values["num_labels"] = len(data.labels)
    if results.model_params_b and "model_params_b" not in values:
        values["model_params_b"] = round(results.model_params_b, 4)
    return build_profile(values)


def recommend_command(profile: Profile) -> str:
    """`advisor recommend` with this profile's flags: the same profile, so the same confidence."""
    import shlex

    from advisor.guidance.command import profile_flags

    return shlex.join(["advisor", "recommend", *profile_flags(profile)])


def advise(
    results: BenchmarkResults, options: BenchmarkOptions, plugins: Any = None
) -> tuple[Profile, Advice | AdviceUnavailable, dict[str, str]]:
    """Run `recommend` once for this data's profile (with the run's evidence rules): its
    advice, and its rating of each challenge (name -> rating) that the measurements replace.

    A failing engine is reported in the advice, not raised: the measured values still stand."""
    profile = data_profile(results, options)
    try:
        from advisor.engine import recommend

        rec = recommend(profile, plugins=plugins)
    except Exception as err:  # the verdict degrades to 'inconclusive' and says why
        return (
            profile,
            AdviceUnavailable(error=f"advice unavailable ({type(err).__name__}: {err})"),
            {},
        )
    advice = Advice(
        verdict=rec.verdict,
        method=rec.method,
        confidence=rec.confidence,
        score=rec.score,
        summary=rec.summary,
        reasons=[r.statement for r in rec.reasons[:5]],
        confidence_note=rec.confidence_note,
        command=recommend_command(profile),
    )
    return profile, advice, {c.name: str(c.rating) for c in rec.challenges}


def attach_costs(
    results: BenchmarkResults, profile: Profile, loaded: LoadedModel | None, test: TaskData
) -> None:
    """usd_per_1k_queries for every LM strategy, from its measured mean prompt length."""
    from advisor.bench.pricing import describe, served_costs, usd_per_1k

    prices = results.options.prices
    params_b = profile.model_params_b or results.model_params_b or 0.135
    if test.task_type == "classification":
        output_tokens = 1.0
    elif loaded is not None:
        output_tokens = sum(loaded.count_tokens([e.output for e in test.examples])) / len(
            test.examples
        )
    else:
        output_tokens = sum(len(e.output) for e in test.examples) / 4 / len(test.examples)
    for s in results.strategies:
        if s.prompt_tokens is not None and s.usage is None:
            s.usd_per_1k_queries = usd_per_1k(
                profile, params_b, s.prompt_tokens, output_tokens, prices
            )
    results.cost_notes = describe(profile, params_b, prices)
    results.cost_notes += served_costs(results.strategies, profile, prices)
    for s in results.strategies:
        if s.kind == "fine-tune" and s.train:
            results.cost_notes.append(
                f"{s.name}: trained {s.train.steps} steps in {s.train.seconds:.0f} s "
                "on this machine (one-off; serving uses the zero-shot prompt length)."
            )
