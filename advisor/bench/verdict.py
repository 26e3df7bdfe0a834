"""The paired comparison of best prompt vs best fine-tune, and the verdict on the advice."""

from __future__ import annotations

from typing import Any

from advisor.bench.schema import Advice, AdviceUnavailable, Comparison, StrategyResult, Verdict
from advisor.bench.stats import mcnemar_exact, paired_bootstrap

# What each advice verdict expects the measurement to show on the data at hand.
EXPECTED_WINNER = {
    "prompt": "prompt",
    "fine-tune": "fine-tune",
    "prompt-then-fine-tune": "fine-tune",
}


def _best(results: list[StrategyResult], metric: str) -> StrategyResult | None:
    scored = [r for r in results if metric in r.metrics]
    return max(scored, key=lambda r: r.metrics[metric], default=None)


def _paired(a: StrategyResult, b: StrategyResult, metric: str) -> tuple[list[float], list[float]]:
    bs = {e.doc_id: e.scores[metric] for e in b.examples if metric in e.scores}
    pairs = [(e.scores[metric], bs[e.doc_id]) for e in a.examples if e.doc_id in bs]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def compare(strategies: list[StrategyResult], metric: str, *, seed: int = 0) -> Comparison | None:
    """Best prompt strategy (prompts and baselines) against the best arm that needs training
    (fine-tunes and fine-tunes scored with the tuned prompt), paired; arms scored for
    reference only take no part."""
    contenders = [s for s in strategies if not s.reference]
    prompt = _best([s for s in contenders if s.kind in ("prompt", "baseline")], metric)
    tuned = _best([s for s in contenders if s.kind in ("fine-tune", "combined")], metric)
    if prompt is None or tuned is None:
        return None
    a, b = _paired(prompt, tuned, metric)
    if not a:
        return None
    diff, ci, p_boot = paired_bootstrap(a, b, seed=seed)
    binary = all(v in (0.0, 1.0) for v in a + b)
    discordant = None
    if binary:
        p, tuned_only, prompt_only = mcnemar_exact([v == 1.0 for v in a], [v == 1.0 for v in b])
        test, discordant = "McNemar exact (binomial on discordant pairs)", (tuned_only, prompt_only)
    else:
        p, test = p_boot, "paired bootstrap (10,000 resamples)"
    extra: dict[str, dict[str, float]] = {}
    for other in sorted(set(prompt.metrics) & set(tuned.metrics) - {metric}):
        xa, xb = _paired(prompt, tuned, other)
        if xa:
            d, (lo, hi), po = paired_bootstrap(xa, xb, seed=seed)
            extra[other] = {"difference": d, "ci_low": lo, "ci_high": hi, "p_value": po}
    return Comparison(
        metric=metric,
        prompt=prompt.name,
        fine_tune=tuned.name,
        prompt_score=prompt.metrics[metric],
        fine_tune_score=tuned.metrics[metric],
        difference=diff,
        ci95=ci,
        p_value=p,
        test=test,
        discordant=discordant,
        n=len(a),
        extra=extra,
    )


def unconverged(comparison: Comparison | None, strategies: list[StrategyResult]) -> str | None:
    """Why the compared fine-tune's training was cut before it converged; None when it
    converged (or was not trained here)."""
    if comparison is None:
        return None
    tuned = next((s for s in strategies if s.name == comparison.fine_tune), None)
    if tuned is None or tuned.train is None or tuned.train.converged:
        return None
    return tuned.train.stop_reason or "training did not converge"


def judge_advice(
    comparison: Comparison | None,
    advice: Advice | AdviceUnavailable | None,
    alpha: float = 0.05,
    *,
    strategies: list[StrategyResult] | None = None,
) -> Verdict:
    """confirmed / contradicted when the difference is significant, else inconclusive; also
    inconclusive when a prompt won against a fine-tune whose training was cut short (more
    steps might have turned the result, so the win says nothing yet)."""
    given = advice if isinstance(advice, Advice) else None
    rec = given.verdict if given else None
    kwargs: dict[str, Any] = {
        "advice": rec,
        "advice_method": given.method if given else None,
        "advice_confidence": given.confidence if given else None,
    }
    if comparison is None:
        return Verdict(
            outcome="inconclusive",
            explanation="needs at least one prompt strategy and one fine-tune to compare",
            **kwargs,
        )
    c = comparison
    numbers = (
        f"{c.fine_tune} {c.fine_tune_score:.3f} vs {c.prompt} {c.prompt_score:.3f} {c.metric} "
        f"(difference {c.difference:+.3f}, 95% CI [{c.ci95[0]:+.3f}, {c.ci95[1]:+.3f}], "
        f"p = {c.p_value:.3g}, n = {c.n})"
    )
    if c.p_value >= alpha or c.difference == 0:
        winner = "tie"
    else:
        winner = "fine-tune" if c.difference > 0 else "prompt"
    kwargs["measured_winner"] = winner
    if rec is None:
        why = advice.error if isinstance(advice, AdviceUnavailable) else "no advice available"
        return Verdict(outcome="inconclusive", explanation=f"{why}; measured: {numbers}", **kwargs)
    if winner == "tie":
        return Verdict(
            outcome="inconclusive",
            explanation=f"the difference is not significant at alpha = {alpha:g}: {numbers}",
            **kwargs,
        )
    cut = unconverged(c, strategies or []) if winner == "prompt" else None
    if cut:
        return Verdict(
            outcome="inconclusive",
            explanation=f"the prompt won, but {c.fine_tune} did not converge ({cut}); "
            f"raise its ceiling (--max-steps / --max-minutes) to settle it: {numbers}",
            **kwargs,
        )
    expected = EXPECTED_WINNER.get(rec, rec)
    outcome = "confirmed" if winner == expected else "contradicted"
    return Verdict(
        outcome=outcome,
        explanation=f"advice '{rec}' expects {expected} to win here; measured: {winner} wins, {numbers}",
        **kwargs,
    )
