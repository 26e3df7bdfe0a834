"""Serving in the break-even: always-on GPUs, scale-to-zero, API token prices, the curves the
report draws, and which providers still offer fine-tuning on a given day."""

from __future__ import annotations

import datetime
import re

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor import cost as C
from advisor.cli import cli
from advisor.engine import recommend
from advisor.methods import get_method
from advisor.plugins import Plugins
from advisor.profile import Profile
from advisor.recommendation import CostCurve
from advisor.report import render
from advisor.report.recommendation.common import break_even_sentence

SEVEN_B = Profile(model_params_b=7.0, labeled_examples=2000, gpu_memory_gb=80, gpu_count=1)


def _be(profile: Profile, **inputs) -> int | None:
    return C.cost_report(profile, "lora", C.CostInputs(**inputs)).break_even_monthly_queries


def test_an_always_on_gpu_puts_the_break_even_far_above_the_per_use_figure():
    always_on = _be(SEVEN_B)
    per_use = _be(SEVEN_B, scales_to_zero=True)
    assert always_on is not None and per_use is not None
    # One A100 for a month (about $1,300) against a few-shot prompt's tokens: millions of
    # queries, where paying per use breaks even within a few thousand.
    assert always_on > 1_000_000 and per_use < 10_000
    assert always_on > 100 * per_use


def test_the_fine_tune_row_pays_for_its_always_on_instance():
    est = C.estimate(SEVEN_B.model_copy(update={"monthly_queries": 0}), method="lora")
    lora = next(r for r in est.report.methods if r.method == "lora")
    gpu = C.load_prices().gpus[est.gpu]
    assert lora.monthly_usd >= gpu.usd_per_hour * 730
    assert any("always-on instance" in a for a in est.report.assumptions)
    free = C.estimate(
        SEVEN_B.model_copy(update={"monthly_queries": 0}),
        C.CostInputs(scales_to_zero=True),
        method="lora",
    )
    assert next(r for r in free.report.methods if r.method == "lora").monthly_usd < 1.0


def test_more_volume_than_one_instance_serves_adds_instances():
    curve = C.cost_report(SEVEN_B, "lora").curves[1]
    assert curve.serving == "always-on" and curve.queries_per_instance
    cap = curve.queries_per_instance
    assert curve.instances(0) == 1 and curve.instances(cap) == 1 and curve.instances(cap + 1) == 2
    assert curve.monthly_usd(3 * cap) == pytest.approx(curve.fixed_usd + 3 * curve.instance_usd)


def test_a_tight_latency_target_lowers_the_load_an_instance_may_carry():
    relaxed = C.cost_report(SEVEN_B, "lora").curves[1]
    tight = C.cost_report(SEVEN_B.model_copy(update={"latency_ms": 40}), "lora").curves[1]
    assert tight.queries_per_instance < relaxed.queries_per_instance
    unmet = C.cost_report(SEVEN_B.model_copy(update={"latency_ms": 1}), "lora")
    assert any("not met" in a for a in unmet.assumptions)


def test_a_model_larger_than_the_gpu_is_served_on_several():
    big = Profile(model_params_b=70.0, labeled_examples=2000, gpu_memory_gb=80, gpu_count=1)
    est = C.estimate(big, method="lora")
    curve = est.report.curves[1]
    gpu = C.load_prices().gpus[est.gpu]
    # 140 GB of bf16 weights: two 80 GB GPUs per instance.
    assert curve.instance_usd == pytest.approx(2 * gpu.usd_per_hour * 730)


def test_data_that_may_not_leave_serves_prompts_on_the_same_gpus():
    private = SEVEN_B.model_copy(update={"data_can_leave": False})
    prompt, tuned = C.cost_report(private, "lora").curves
    assert prompt.serving == tuned.serving == "always-on"
    shared = C.cost_report(SEVEN_B, "lora").curves[0]
    assert shared.serving == "api"


def test_api_only_fine_tunes_pay_the_providers_tuned_token_prices():
    p = Profile(model_access="api_only", labeled_examples=1000, monthly_queries=50_000)
    prompt, tuned = C.cost_report(p, "api-fine-tune").curves
    price = C.load_prices().apis[C.load_prices().default_api]
    assert price.fine_tune is not None
    assert tuned.serving == prompt.serving == "api"
    assert tuned.usd_per_query > 0 and tuned.instance_usd == 0


@settings(max_examples=60, deadline=None)
@given(
    fixed=st.floats(min_value=0.01, max_value=5000),
    per_query=st.floats(min_value=0, max_value=1e-3),
    instance_usd=st.floats(min_value=0, max_value=5000),
    capacity=st.floats(min_value=1e3, max_value=1e8),
    api=st.floats(min_value=1e-6, max_value=1e-2),
    minimum=st.integers(min_value=0, max_value=2),
    prompt_capacity=st.one_of(st.none(), st.floats(min_value=1e3, max_value=1e8)),
)
def test_break_even_is_where_the_curves_cross_for_good(
    fixed, per_query, instance_usd, capacity, api, minimum, prompt_capacity
):
    # The prompt pays API tokens, or (data that may not leave) always-on instances too.
    prompt = (
        CostCurve(method="few-shot", serving="api", usd_per_query=api)
        if prompt_capacity is None
        else CostCurve(
            method="few-shot",
            serving="always-on",
            instance_usd=api * prompt_capacity,
            queries_per_instance=prompt_capacity,
            min_instances=1,
        )
    )
    tuned = CostCurve(
        method="lora",
        serving="always-on",
        fixed_usd=fixed,
        usd_per_query=per_query,
        instance_usd=instance_usd,
        queries_per_instance=capacity,
        min_instances=minimum,
    )
    be = C.break_even(prompt, tuned)
    if be is None:
        assert per_query + instance_usd / capacity >= api - 1e-15
        return

    # At the break-even and beyond, the fine-tune costs no more; just below, it costs more
    # (both up to float rounding).
    def tol(v: int) -> float:
        return 1e-9 * max(1.0, prompt.monthly_usd(v))

    for v in (be, be + 1, 2 * be + 7, 10 * be + 3):
        assert tuned.monthly_usd(v) <= prompt.monthly_usd(v) + tol(v)
    if be > 0:
        assert tuned.monthly_usd(be - 1) > prompt.monthly_usd(be - 1) - tol(be - 1)


# --- the report: text = table = chart --------------------------------------------------------


def _rec(**fields):
    return recommend(plugins=Plugins(only=["evidence"]), **fields)


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
@pytest.mark.parametrize("scales", [False, True])
def test_break_even_in_the_text_is_the_tables(fmt, scales):
    rec = recommend(
        plugins=Plugins(only=["evidence"]),
        cost_inputs=C.CostInputs(scales_to_zero=scales),
        labeled_examples=5000,
        gpu_memory_gb=24,
        monthly_queries=200_000,
    )
    be = rec.cost.break_even_monthly_queries
    assert be is not None
    out = render(rec, fmt)
    assert f"from {be:,} queries a month" in out.replace("\\", "")
    sentence = break_even_sentence(rec.cost, rec.profile.monthly_queries)
    assert sentence is not None and f"{be:,}" in sentence


def test_the_html_chart_draws_both_curves_and_marks_the_crossing():
    rec = _rec(labeled_examples=5000, gpu_memory_gb=24, monthly_queries=200_000)
    page = render(rec, "html")
    be = rec.cost.break_even_monthly_queries
    chart = re.search(r'<svg[^>]*aria-label="Monthly cost against monthly volume".*?</svg>', page)
    assert chart is not None
    assert chart.group(0).count("<path") == 2
    assert f"break-even {be:,}/month" in chart.group(0)


def test_scales_to_zero_flag_on_cost_and_recommend():
    runner = CliRunner()
    base = ["cost", "--examples", "2000", "--gpu-memory-gb", "80", "--json"]
    always = C.CostEstimate.model_validate_json(runner.invoke(cli, base).stdout)
    per_use = C.CostEstimate.model_validate_json(
        runner.invoke(cli, [*base, "--scales-to-zero"]).stdout
    )
    assert per_use.report.scales_to_zero and not always.report.scales_to_zero
    assert per_use.report.break_even_monthly_queries < always.report.break_even_monthly_queries
    args = ["recommend", "--labeled-examples", "2000", "--gpu-memory-gb", "80", "--json"]
    rec = runner.invoke(cli, [*args, "--scales-to-zero"])
    assert rec.exit_code == 0, rec.output
    assert '"scales_to_zero": true' in rec.stdout


# --- providers: who still offers fine-tuning --------------------------------------------------


def test_providers_file_is_dated_and_sourced():
    for entry in C.load_providers():
        assert entry.as_of and entry.source


@pytest.mark.parametrize(
    ("day", "openai_open", "openai_new"),
    [("2026-03-01", True, True), ("2026-12-01", True, False), ("2027-01-06", False, False)],
)
def test_openai_closes_in_stages(day, openai_open, openai_new):
    d = datetime.date.fromisoformat(day)
    openai = C.provider_tuning("OpenAI")
    assert openai is not None and openai.open_on(d) is openai_open
    assert (openai in C.open_providers(d)) is openai_new
    assert (openai in C.open_providers(d, new_customer=False)) is openai_open
    cohere = C.provider_tuning("Cohere")
    assert cohere is not None and not cohere.open_on(d)


def test_an_api_fine_tune_after_the_provider_closed_names_the_open_model_path(monkeypatch):
    p = Profile(model_access="api_only", labeled_examples=1000)
    open_now = C.cost_report(p, "api-fine-tune")
    assert open_now.break_even_monthly_queries is not None
    assert any("no new organisations since 2026-05-07" in a for a in open_now.assumptions)
    monkeypatch.setenv("ADVISOR_TODAY", "2027-02-01")
    closed = C.cost_report(p, "api-fine-tune")
    assert closed.break_even_monthly_queries is None and not closed.curves
    assert any("open-model path is the one left" in a for a in closed.assumptions)
    # An injected day wins over the environment's.
    inputs = C.CostInputs(today=datetime.date(2026, 6, 1))
    assert C.cost_report(p, "api-fine-tune", inputs).break_even_monthly_queries is not None


def test_tuning_summary_names_only_providers_that_offer_it():
    now = C.tuning_summary(datetime.date(2026, 12, 1))
    offered = now.split(";")[0]
    assert "Google" in offered and "OpenAI" not in offered and "Cohere" not in offered
    assert "Cohere's fine-tuning API (v1/finetuning) ended on 2025-09-15" in now
    assert "open-model path is the one left" in now


# --- retrieval for knowledge -----------------------------------------------------------------

KNOWLEDGE = {"goal": "knowledge", "task_type": "qa", "labeled_examples": 200}


def test_knowledge_goals_that_prompt_get_rag():
    rec = _rec(**KNOWLEDGE)
    assert rec.verdict == "prompt" and rec.method == "rag"
    assert _rec(**{**KNOWLEDGE, "goal": "behaviour"}).method != "rag"


def test_the_rag_plan_names_chunking_retriever_top_k_and_evaluation():
    rec = _rec(**KNOWLEDGE)
    context = next(c for c in rec.plan.checklist if c.name == "Context")
    text = " ".join(context.advice)
    rag = get_method("rag").hyperparameters
    for needed in (
        "Chunking",
        f"{rag['chunk_tokens']} tokens",
        "BM25",
        "embedding index",
        f"Top-k: put the {rag['top_k']} best passages",
        f"recall@{rag['top_k']}",
        "exact match and token F1",
    ):
        assert needed in text, needed
    assert "Retrieved passages" in (rec.plan.prompt_skeleton or "")


def test_the_rag_cost_counts_the_retrieved_tokens_on_every_query():
    rag = get_method("rag")
    assert rag.tokens.extra_prompt_tokens == rag.hyperparameters["top_k"] * int(
        rag.hyperparameters["chunk_tokens"]
    )
    est = C.estimate(Profile(**KNOWLEDGE), method="rag")
    q = {x.strategy: x for x in est.queries}
    assert q["rag"].prompt_tokens == q["zero-shot"].prompt_tokens + rag.tokens.extra_prompt_tokens
    assert "rag" in {r.method for r in est.report.methods}
    # The break-even weighs the fine-tune against the prompt the user would run: rag.
    assert est.report.curves[0].method == "rag"


def test_the_rag_benchmark_command_runs_the_rag_arm_on_documents():
    rec = _rec(**KNOWLEDGE)
    assert "rag" in rec.benchmark_command.split("--strategies ")[1].split()[0].split(",")
    assert "--documents documents.jsonl" in rec.benchmark_command
    assert "surrogate" not in rec.benchmark_command  # the arm itself runs, not few-shot


@pytest.mark.parametrize("scales", [False, True])
def test_the_cost_aspect_quotes_the_tables_break_even(scales):
    rec = recommend(
        plugins=Plugins(only=["evidence"]),
        cost_inputs=C.CostInputs(scales_to_zero=scales),
        labeled_examples=5000,
        gpu_memory_gb=24,
        monthly_queries=20_000,
    )
    be = rec.cost.break_even_monthly_queries
    assert be is not None
    aspect = next(a for a in rec.aspects if a.name == "Cost")
    assert f"break-even of {be:,}" in aspect.judgement
    assert aspect.favours == ("fine-tune" if be <= 20_000 else "prompt")


def _api_tune_plan() -> str:
    rec = _rec(model_access="api_only", labeled_examples=5000, monthly_queries=500_000)
    assert rec.method == "api-fine-tune"
    return rec.plan.steps[0].detail


def test_the_provider_tuning_plan_names_who_offers_it_on_the_day():
    detail = _api_tune_plan()
    assert "On 2026-12-01, self-serve fine-tuning is offered by Google" in detail
    assert "Amazon" in detail and "no new organisations since 2026-05-07" in detail


def test_with_no_provider_left_the_plan_names_the_open_model_path(monkeypatch):
    import advisor.cost.providers as P

    closing = tuple(t for t in P.load_providers() if t.closes is not None)
    monkeypatch.setattr(P, "load_providers", lambda path=None: closing)
    monkeypatch.setenv("ADVISOR_TODAY", "2027-02-01")
    detail = _api_tune_plan()
    assert "no provider listed offers self-serve fine-tuning to new customers" in detail
    assert "(provider facts read on 2026-12-01)" in detail
    assert "open-model path is the one left" in detail
