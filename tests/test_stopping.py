"""The stopping rule of a fine-tune (advisor_peft.stopping) on made-up curves: no model."""

from __future__ import annotations

import pytest
from advisor_peft.run_plan import watched_metric
from advisor_peft.stopping import (
    AUTO_MAX_STEPS,
    MIN_EVALS,
    Budget,
    improved,
    judge,
    plan_budget,
    saturated,
    should_stop,
)

from advisor.components import TaskData, TrainConfig
from advisor.errors import UsageError


def _replay(curve: list[float], budget: Budget, metric: str = "acc", patience: int = 4):
    """Run the rule the way the loop does: one value per evaluation, every eval_every steps.
    Returns (last step, why it ended, best step, bad evaluations, evaluations)."""
    best, best_step, bad, evals = None, None, 0, 0
    for step in range(1, budget.ceiling + 1):
        if step % budget.eval_every and step != budget.ceiling:
            continue
        value = curve[min(evals, len(curve) - 1)]
        evals += 1
        if improved(metric, value, best):
            best, best_step, bad = value, step, 0
            if budget.converge and saturated(metric, best):
                return step, "saturated", best_step, bad, evals
        else:
            bad += 1
            if should_stop(bad, step, budget, patience):
                return step, "plateau", best_step, bad, evals
    return budget.ceiling, "steps", best_step, bad, evals


def test_automatic_budget_has_a_floor_a_ceiling_and_eight_evaluations():
    b = plan_budget(TrainConfig(), steps_per_epoch=20)
    assert b.converge and b.ceiling == AUTO_MAX_STEPS  # 20 epochs = 400 steps
    assert b.floor == 60  # 3 epochs
    assert b.floor // b.eval_every >= MIN_EVALS  # even a run stopped at the floor
    tiny = plan_budget(TrainConfig(), steps_per_epoch=1)
    assert tiny.floor == MIN_EVALS and tiny.eval_every == 1 and tiny.ceiling == 20
    capped = plan_budget(TrainConfig(max_steps=5), steps_per_epoch=10)
    assert capped.ceiling == capped.floor == 5  # the floor never exceeds the ceiling
    fixed = plan_budget(TrainConfig(epochs=2), steps_per_epoch=10)
    assert not fixed.converge and fixed.ceiling == 20
    told = plan_budget(TrainConfig(min_steps=7, eval_every=3, max_minutes=1.5), 10)
    assert (told.floor, told.eval_every, told.max_seconds) == (7, 3, 90)


def test_stops_on_a_plateau_and_keeps_the_best_step():
    budget = Budget(floor=16, ceiling=400, eval_every=4, converge=True, max_seconds=None)
    curve = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9] + [0.9, 0.88, 0.9, 0.89, 0.9]
    step, why, best_step, bad, evals = _replay(curve, budget)
    assert why == "plateau" and step == 40 and best_step == 24 and bad == 4 and evals == 10
    converged, reason = judge(
        why, budget, step=step, best_step=best_step, bad_evals=bad, evaluations=evals
    )
    assert converged and reason == "plateau: no gain for 4 evaluations (best at step 24)"


def test_refuses_to_stop_under_the_floor():
    """A flat start (small data: the first evaluations are noise) cannot end the run early."""
    budget = Budget(floor=60, ceiling=400, eval_every=4, converge=True, max_seconds=None)
    step, why, best_step, bad, _ = _replay([0.5] * 30, budget)
    # Patience ran out at step 20; the run still went on to the floor.
    assert (why, step, best_step, bad) == ("plateau", 60, 4, 14)
    assert not should_stop(10, 59, budget, 4) and should_stop(4, 60, budget, 4)


def test_reports_not_converged_at_the_ceiling_and_from_a_fixed_budget():
    budget = Budget(floor=8, ceiling=40, eval_every=4, converge=True, max_seconds=None)
    rising = [i / 10 for i in range(10)]
    step, why, best_step, bad, evals = _replay(rising, budget)
    assert (step, why, best_step) == (40, "steps", 40)
    converged, reason = judge(
        why, budget, step=step, best_step=best_step, bad_evals=bad, evaluations=evals
    )
    assert not converged
    assert reason == "ceiling: max_steps 40 reached while still improving (best at step 40)"
    fixed = Budget(floor=40, ceiling=40, eval_every=4, converge=False, max_seconds=None)
    assert not judge("steps", fixed, step=40, best_step=40, bad_evals=0, evaluations=10)[0]
    done, why_fixed = judge("steps", fixed, step=40, best_step=28, bad_evals=3, evaluations=10)
    assert done and "no gain in the last 3 evaluations" in why_fixed
    late = Budget(floor=8, ceiling=400, eval_every=4, converge=True, max_seconds=120)
    over, why_late = judge("minutes", late, step=50, best_step=48, bad_evals=0, evaluations=12)
    assert not over and why_late.startswith("ceiling: max_minutes 2 reached")
    blind = judge("steps", budget, step=40, best_step=None, bad_evals=0, evaluations=0)
    assert blind == (False, "no validation split: trained 40 steps, convergence not judged")


def test_a_perfect_validation_accuracy_ends_the_run_even_under_the_floor():
    """Nothing after a 1.0 can count as a gain, so the kept weights are final: the demo went
    on from step 63 to 99 for nothing."""
    budget = Budget(floor=72, ceiling=400, eval_every=9, converge=True, max_seconds=None)
    step, why, best_step, bad, evals = _replay([0.5, 0.8, 0.9, 0.95, 0.98, 0.98, 1.0], budget)
    assert (step, why, best_step, evals) == (63, "saturated", 63, 7)
    converged, reason = judge(
        why, budget, step=step, best_step=best_step, bad_evals=bad, evaluations=evals
    )
    assert converged and reason.startswith("saturated: validation accuracy 1.0 at step 63")
    assert saturated("acc", 1.0) and not saturated("acc", 0.99) and not saturated("acc", None)
    assert not saturated("loss", 0.0)  # a loss has no best value to reach
    fixed = Budget(floor=40, ceiling=40, eval_every=4, converge=False, max_seconds=None)
    assert _replay([1.0], fixed)[0] == 40  # a fixed budget runs its epochs


def test_a_gain_must_beat_the_minimum_delta():
    assert improved("acc", 0.51, 0.5) and not improved("acc", 0.5, 0.5)
    assert improved("loss", 0.9, 1.0) and not improved("loss", 0.9995, 1.0)
    assert improved("loss", 5.0, None)


def test_the_watched_metric_follows_the_task():
    cls = TaskData(name="t", task_type="classification", examples=[], labels=["a", "b"])
    gen = TaskData(name="g", task_type="generation", examples=[])
    assert watched_metric(TrainConfig(), cls) == "acc"
    assert watched_metric(TrainConfig(stop_on="loss"), cls) == "loss"
    assert watched_metric(TrainConfig(), gen) == "loss"
    with pytest.raises(UsageError, match="stop_on 'acc' needs a classification task"):
        watched_metric(TrainConfig(stop_on="acc"), gen)


def test_train_strategy_passes_the_budget_and_the_validation_split(tmp_path):
    from advisor.bench.arms import train_strategy
    from advisor.components import TrainingBackend, TrainResult

    calls: list[tuple[TrainConfig, dict]] = []

    def spy(base, data, config, output_dir, **kw):
        calls.append((config, kw))
        return TrainResult(output_dir=output_dir, method=config.method, steps=1)

    backend = TrainingBackend(
        name="spy",
        description="records its config",
        method="lora",
        defaults={"learning_rate": 1e-3},
        memory_gb=lambda params_b: 1.0,
        train=spy,
        attach=lambda base, artifact: None,
    )
    data = TaskData(name="t", task_type="classification", examples=[], labels=["a"])
    held = data.model_copy(update={"name": "v"})
    budget = {"epochs": None, "max_steps": None, "max_minutes": 2.0, "min_steps": 5}
    train_strategy(None, backend, data, tmp_path, validation=held, patience=3, **budget)
    config, kw = calls[-1]
    assert config.epochs is None and config.max_minutes == 2.0  # None = converge
    assert (config.min_steps, config.patience, config.learning_rate) == (5, 3, 1e-3)
    assert kw["validation"] is held
    train_strategy(None, backend, data, tmp_path, epochs=1.0)
    config, kw = calls[-1]
    assert config.epochs == 1.0 and "validation" not in kw  # old backends keep working


def test_benchmark_cli_maps_the_budget_flags(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from advisor.bench import run
    from advisor.cli import cli

    seen = []

    def fake(options, plugins=None):
        seen.append(options)
        raise SystemExit(0)

    monkeypatch.setattr(run, "run_benchmark", fake)
    out = ["benchmark", "--output", str(tmp_path / "r")]
    CliRunner().invoke(cli, out)
    assert seen[-1].epochs is None and seen[-1].max_minutes is None  # converge by default
    flags = ["--max-minutes", "1.5", "--min-steps", "9", "--patience", "2", "--max-steps", "50"]
    CliRunner().invoke(cli, [*out, *flags])
    o = seen[-1]
    assert (o.max_minutes, o.min_steps, o.patience, o.max_steps) == (1.5, 9, 2, 50)
    bad = CliRunner().invoke(cli, [*out, "--max-minutes", "0"])
    assert bad.exit_code == 2 and "--max-minutes" in bad.output
