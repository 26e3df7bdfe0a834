"""The benchmark's charts as inline SVG: scores with confidence intervals and the chance and
majority-class lines, cost against score, the loss curves of each fine-tune, and the learning
curve (also written alone as curve.svg)."""

from __future__ import annotations

from advisor.bench.schema import BenchmarkResults, CurveResult, StrategyResult
from advisor.report import plots, svg

COLOURS = {"prompt": "#4C78A8", "fine-tune": "#F58518", "baseline": "#54A24B"}
TRAIN_LOSS, VALIDATION_LOSS = "#9ecae1", "#F58518"


def _colour(s: StrategyResult) -> str:
    return COLOURS.get(s.kind, "#888")


def baseline_levels(results: BenchmarkResults) -> list[svg.Level]:
    """Classification: the chance, label-share guess and majority-class scores as lines (the
    share guess only where it differs visibly from the uniform one)."""
    b = results.label_baselines
    if b is None:
        return []
    levels = [svg.Level(b.chance, f"chance {b.chance:.2f}", "#777")]
    if b.share_guess is not None and abs(b.share_guess - b.chance) >= 0.01:
        levels.append(svg.Level(b.share_guess, f"share guess {b.share_guess:.2f}", "#999"))
    levels.append(svg.Level(b.majority_share, f"majority {b.majority_share:.2f}", "#b15928"))
    return levels


def score_chart(results: BenchmarkResults) -> str:
    """Scores with 95% CI error bars; for classification, the scores of a uniform guess and of
    always answering the most common training label, which a strategy has to beat."""
    metric = results.primary_metric
    bars = []
    for s in results.strategies:
        v = s.metrics.get(metric, 0.0)
        lo, hi = s.ci95.get(metric, (v, v))
        bars.append(svg.CiBar(s.name, v, lo, hi, _colour(s)))
    levels = baseline_levels(results)
    return svg.ci_bars(bars, aria_label="scores", levels=levels, margin=120 if levels else 0)


def cost_score_chart(
    strategies: list[StrategyResult], metric: str, levels: list[svg.Level] | None = None
) -> str:
    """Cost per 1,000 queries (x) against score (y), with the baselines' ``levels``."""
    dots = []
    for s in strategies:
        if (cost := s.usd_per_1k_queries) is not None:
            v = s.metrics.get(metric, 0.0)
            title = f"{s.name}: {v:.3f} at {cost:.3g} USD"
            dots.append(plots.Dot(s.name, cost, v, _colour(s), title))
    return plots.scatter(
        dots,
        aria_label="cost vs score",
        x_caption="USD per 1,000 queries",
        y_caption=metric,
        empty="no cost figures",
        levels=levels or (),
    )


def loss_chart(s: StrategyResult) -> str:
    """Training and validation loss per step of one fine-tune, the best step marked."""
    train = s.train
    if train is None:
        return ""
    series = [
        plots.Series("train loss", list(train.train_loss), TRAIN_LOSS),
        plots.Series("validation loss", list(train.validation_loss), VALIDATION_LOSS),
    ]
    marker = (train.best_step, f"best step {train.best_step}") if train.best_step else None
    return plots.line_chart(
        series,
        aria_label=f"loss curves of {s.name}",
        x_caption="training step",
        y_caption="loss",
        marker=marker,
    )


def curve_svg(r: CurveResult, width: int = 560, height: int = 300) -> str:
    """A self-contained SVG: fine-tune score vs training size (log x) with its 95% band, and
    the best prompt's score with its band."""
    marker = None
    if r.crossover_size is not None and r.status == "crosses":
        marker = (r.crossover_size, f"crossover ~{r.crossover_size:.0f}")
    return plots.log_line_chart(
        [plots.LinePoint(p.size, p.score, p.ci95) for p in r.points],
        aria_label="learning curve",
        series=f"{r.method} ({r.metric})",
        x_caption="training examples (log scale)",
        reference=(r.prompt_score, f"{r.prompt_strategy} {r.prompt_score:.2f}"),
        y_caption=r.metric,
        reference_ci=r.prompt_ci95,
        marker=marker,
        levels=_curve_levels(r),
        width=width,
        height=height,
    )


def _curve_levels(r: CurveResult) -> list[svg.Level]:
    """Chance and majority class on the learning curve, as on the score chart."""
    b = r.baselines
    if b is None:
        return []
    return [
        svg.Level(b.chance, f"chance {b.chance:.2f}", "#777"),
        svg.Level(
            b.majority_share, f"majority '{b.majority_label}' {b.majority_share:.2f}", "#b15928"
        ),
    ]
