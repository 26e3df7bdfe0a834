"""The cost model: known values worked out by hand, price-table overrides, and `advisor cost`."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor import cost as C
from advisor.cli import cli
from advisor.errors import UsageError
from advisor.methods import API_FINE_TUNE, TRAIN_METHODS
from advisor.profile import Profile
from advisor.recommendation import CostCurve, CostReport

# A hand-made table with round numbers so the expected values below can be worked out on paper.
TABLE = {
    "name": "test table",
    "date": "2024-06-01",
    "sources": ["made up for tests"],
    "default_gpu": "g100",
    "default_api": "api-a",
    "gpus": {
        "g24": {"name": "G24", "memory_gb": 24, "peak_bf16_tflops": 100, "usd_per_hour": 1.0},
        "g24-pricey": {
            "name": "G24P",
            "memory_gb": 24,
            "peak_bf16_tflops": 100,
            "usd_per_hour": 2.0,
        },
        "g100": {"name": "G100", "memory_gb": 100, "peak_bf16_tflops": 100, "usd_per_hour": 3.6},
    },
    "apis": {
        "api-a": {
            "provider": "P",
            "model": "m",
            "usd_per_1m_input": 1.0,
            "usd_per_1m_output": 2.0,
            "fine_tune": {
                "usd_per_1m_training": 10.0,
                "usd_per_1m_input": 2.0,
                "usd_per_1m_output": 4.0,
            },
        },
        "api-b": {"provider": "Q", "model": "n", "usd_per_1m_input": 1.0, "usd_per_1m_output": 1.0},
    },
}


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(TABLE))
    return C.load_prices(path)


# --- memory -----------------------------------------------------------------------------------


def test_full_finetune_7b_needs_16_bytes_per_param_plus_activations():
    mem = C.memory_estimate("full", 7.0)
    # 7e9 params x 16 bytes (bf16 weights and grads, fp32 master and two Adam moments) = 112 GB.
    assert mem.weights_gb + mem.optimizer_gb == pytest.approx(112.0)
    assert 112.0 < C.training_memory_gb("full", 7.0) <= 126.0


def test_method_memory_ordering_for_several_sizes():
    for size in (0.135, 1.0, 7.0, 13.0, 70.0):
        full, lora, qlora, ia3 = (
            C.training_memory_gb(m, size) for m in ("full", "lora", "qlora", "ia3")
        )
        assert qlora < lora < full
        assert ia3 <= lora


def test_lora_keeps_frozen_weights_in_bf16_and_qlora_in_about_4_bits():
    lora = C.memory_estimate("lora", 7.0)
    qlora = C.memory_estimate("qlora", 7.0)
    assert lora.weights_gb == pytest.approx(14.0)  # 7e9 x 2 bytes
    assert 7.0 * 0.5 <= qlora.weights_gb <= 7.0 * 0.7  # 0.5-0.7 bytes/param
    # 7B LoRA trains on a 24 GB card, QLoRA on a 16 GB one (common practice, QLoRA paper).
    assert lora.total_gb < 24 and qlora.total_gb < 16


def test_lora_rank16_on_a_7b_model_trains_tens_of_millions_of_params():
    # Llama-2-7B, r=16 on q,k,v,o,gate,up,down: 32 layers x 16 x (4x8192 + 3x(4096+11008)) = 40.0M.
    assert 30e6 < C.trainable_params("lora", 7.0) < 50e6
    assert C.trainable_params("ia3", 7.0) < C.trainable_params("lora", 7.0) / 10
    assert C.trainable_params("full", 7.0) == 7e9


def test_unknown_method_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown training method 'prefix'"):
        C.training_memory_gb("prefix", 7.0)


def test_fit_uses_sharding_over_several_gpus():
    one = Profile(model_params_b=7, gpu_memory_gb=80, gpu_count=1)
    two = Profile(model_params_b=7, gpu_memory_gb=80, gpu_count=2)
    rows1 = {r.method: r for r in C.cost_report(one).methods}
    rows2 = {r.method: r for r in C.cost_report(two).methods}
    assert rows1["full"].fits_gpu is False and rows1["lora"].fits_gpu is True
    assert rows2["full"].fits_gpu is True  # (14 + 98) / 2 + activations < 80
    no_gpu = {r.method: r for r in C.cost_report(Profile(model_params_b=7)).methods}
    assert no_gpu["lora"].fits_gpu is None


def test_inference_memory_grows_with_context():
    short, long = C.inference_memory_gb(7.0, 200), C.inference_memory_gb(7.0, 4000)
    assert 14.0 < short < long


# --- compute and dollars ------------------------------------------------------------------------


def test_training_flops_are_6nd_full_and_4nd_adapters():
    d = C.training_tokens(examples=1000, avg_tokens=100, epochs=2)
    assert d == 200_000
    assert C.training_flops("full", 1.0, d) == pytest.approx(6 * 1e9 * 200_000)
    assert C.training_flops("lora", 1.0, d) == pytest.approx(4 * 1e9 * 200_000)


def test_gpu_hours_and_dollars_by_hand(table):
    g = table.gpus["g100"]
    # 6e15 FLOPs at 100 TFLOPs x 50% utilisation = 120 s = 1/30 hour.
    assert C.gpu_hours(6e15, g, mfu=0.5) == pytest.approx(1 / 30)
    profile = Profile(model_params_b=1.0, labeled_examples=1000)
    inputs = C.CostInputs(avg_tokens=100, epochs=2)
    rows = {r.method: r for r in C.cost_report(profile, inputs=inputs, prices=table).methods}
    flops = 6 * 1e9 * 1000 * 100 * 2
    hours = flops / (100e12 * 0.35) / 3600
    assert rows["full"].train_gpu_hours == pytest.approx(hours)
    assert rows["full"].train_usd == pytest.approx(hours * 3.6)


def test_per_query_cost_by_hand(table):
    # 1B model, 100 prompt tokens at 35%, 10 output tokens at 10% of 100 TFLOPs, $3.6/h = $0.001/s.
    seconds = 2e9 * 100 / (100e12 * 0.35) + 2e9 * 10 / (100e12 * 0.10)
    assert C.self_hosted_query_usd(1.0, 100, 10, table.gpus["g100"]) == pytest.approx(
        seconds * 0.001
    )
    assert C.api_query_usd(1000, 500, 1.0, 2.0) == pytest.approx(0.002)


def test_few_shot_pays_for_its_examples_on_every_query(table):
    # Data that may not leave and a deployment that scales to zero: every arm pays the same
    # GPU per use, so only the tokens differ.
    profile = Profile(model_params_b=1.0, monthly_queries=1000, data_can_leave=False)
    inputs = C.CostInputs(
        shots=4, avg_tokens=100, prompt_tokens=50, output_tokens=10, scales_to_zero=True
    )
    est = C.estimate(profile, inputs, table)
    q = {x.strategy: x for x in est.queries}
    assert q["few-shot"].prompt_tokens == 50 + 4 * 100
    assert q["few-shot"].usd_per_query > q["zero-shot"].usd_per_query
    assert q["zero-shot"].usd_per_query == pytest.approx(q["fine-tuned"].usd_per_query)
    rows = {r.method: r for r in est.report.methods}
    assert rows["few-shot"].monthly_usd == pytest.approx(q["few-shot"].usd_per_query * 1000)
    # Data that may leave: prompts pay the API's token prices, every shot's tokens included.
    api = C.estimate(profile.model_copy(update={"data_can_leave": True}), inputs, table)
    few = next(x for x in api.queries if x.strategy == "few-shot")
    assert few.serving == "api" and few.usd_per_query == pytest.approx((450 * 1.0 + 10 * 2.0) / 1e6)


def test_break_even_by_hand():
    # $120 over 12 months = $10/month; saving $0.001/query -> 10,000 queries/month.
    prompt = CostCurve(method="few-shot", serving="api", usd_per_query=0.002)
    tuned = CostCurve(method="lora", serving="api", fixed_usd=10.0, usd_per_query=0.001)
    assert C.break_even(prompt, tuned) == 10_000
    assert C.break_even(prompt, tuned.model_copy(update={"usd_per_query": 0.002})) is None


def test_break_even_falls_as_shots_grow_and_rises_with_data(table):
    # Per-use serving on the same GPUs for both arms: only tokens and training differ.
    profile = Profile(model_params_b=7.0, labeled_examples=5000, data_can_leave=False)

    def be(shots: int, examples: int = 5000) -> int:
        p = profile.model_copy(update={"labeled_examples": examples})
        inputs = C.CostInputs(shots=shots, scales_to_zero=True)
        return C.cost_report(p, "lora", inputs, table).break_even_monthly_queries

    values = [be(k) for k in (1, 2, 4, 8, 16)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False)) and values[0] > values[-1]
    assert be(4, examples=50_000) > be(4, examples=5000)
    # Zero shots: the prompt is as short as the tuned model's, so a fine-tune never pays back.
    inputs = C.CostInputs(shots=0, scales_to_zero=True)
    assert C.cost_report(profile, "lora", inputs, table).break_even_monthly_queries is None


def test_default_model_size_is_stated(table):
    report = C.cost_report(Profile(), "few-shot", prices=table)
    assert isinstance(report, CostReport)
    assert any("default 7B" in a for a in report.assumptions)
    assert "test table" in report.price_table and "2024-06-01" in report.price_table


def test_break_even_uses_the_named_method_or_the_cheapest_fitting(table):
    p = Profile(model_params_b=7.0, gpu_memory_gb=24, gpu_count=1)
    assert C.estimate(p, prices=table, method="full").break_even_method == "full"
    # Without a named fine-tune: full does not fit 24 GB, so an adapter is chosen.
    assert C.estimate(p, prices=table, method="few-shot").break_even_method in (
        "lora",
        "qlora",
        "ia3",
    )


def test_gpu_choice(table):
    assert C.pick_gpu(table, 0) == "g100"  # no GPU: the table's default
    assert C.pick_gpu(table, 24) == "g24"  # smallest that holds it, cheaper of equals
    assert C.pick_gpu(table, 200) == "g100"  # larger than any: the largest
    with pytest.raises(UsageError, match="unknown GPU type 'x'.*g24"):
        C.pick_gpu(table, 0, "x")


def test_api_only_models(table):
    profile = Profile(model_access="api_only", labeled_examples=1000, monthly_queries=100)
    inputs = C.CostInputs(avg_tokens=100, epochs=2, shots=4, prompt_tokens=100, output_tokens=50)
    est = C.estimate(profile, inputs, table)
    rows = {r.method: r for r in est.report.methods}
    assert est.memory == [] and est.gpu is None
    # 200k training tokens x $10/1M = $2.
    assert rows[API_FINE_TUNE].train_usd == pytest.approx(2.0)
    few = (500 * 1.0 + 50 * 2.0) / 1e6  # $600 per 1M queries
    tuned = (100 * 2.0 + 50 * 4.0) / 1e6  # $400 per 1M queries
    # $2 / 12 months / $0.0002 saved per query = 833.3 -> 834 queries/month.
    assert est.report.break_even_monthly_queries == 834 == math.ceil(2.0 / 12 / (few - tuned))
    no_ft = C.estimate(profile, inputs.model_copy(update={"api": "api-b"}), table)
    assert no_ft.report.break_even_monthly_queries is None
    assert API_FINE_TUNE not in {r.method for r in no_ft.report.methods}


# --- price table -----------------------------------------------------------------------------


def test_shipped_table_is_dated_and_sourced():
    prices = C.load_prices()
    assert prices.date and prices.sources
    assert prices.default_gpu in prices.gpus and prices.default_api in prices.apis
    for gpu in prices.gpus.values():
        assert gpu.usd_per_hour > 0 and gpu.peak_bf16_tflops > 0


def test_override_file_yaml_and_json_change_dollars(tmp_path, table):
    doubled = json.loads(json.dumps(TABLE))
    for g in doubled["gpus"].values():
        g["usd_per_hour"] *= 2
    path = tmp_path / "double.json"
    path.write_text(json.dumps(doubled))
    profile = Profile(model_params_b=1.0)
    base = {r.method: r for r in C.cost_report(profile, prices=table).methods}
    twice = {r.method: r for r in C.cost_report(profile, prices=C.load_prices(path)).methods}
    assert twice["lora"].train_usd == pytest.approx(2 * base["lora"].train_usd)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name: [unclosed", "malformed price file"),
        ("- just\n- a list\n", "must hold a mapping"),
        ("name: x\ndate: y\n", "'default_gpu': Field required"),
        ("name: x\ndate: someday\n", "'date': Input should be a valid date"),
    ],
)
def test_malformed_override_file_is_a_usage_error(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        C.load_prices(path)


def test_override_with_bad_values_names_the_problem(tmp_path):
    bad = json.loads(json.dumps(TABLE))
    bad["gpus"]["g24"]["usd_per_hour"] = -1
    bad["default_gpu"] = "nope"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(UsageError, match=r"gpus\.g24\.usd_per_hour"):
        C.load_prices(path)
    with pytest.raises(UsageError, match="cannot read price file"):
        C.load_prices(tmp_path / "missing.yaml")


# --- CLI -------------------------------------------------------------------------------------


def test_cli_json_round_trip(tmp_path):
    prices = tmp_path / "p.yaml"
    prices.write_text(yaml.safe_dump(TABLE))
    args = ["cost", "--json", "--model-params-b", "3", "--gpu-memory-gb", "24", "--gpu-count", "1"]
    args += ["--examples", "2000", "--epochs", "2", "--shots", "3", "--prices", str(prices)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    got = C.CostEstimate.model_validate_json(result.stdout)
    profile = Profile(model_params_b=3, gpu_memory_gb=24, gpu_count=1, labeled_examples=2000)
    want = C.estimate(profile, C.CostInputs(epochs=2, shots=3), C.load_prices(prices))
    assert got == want
    assert got.gpu == "g24" and got.training_tokens == 2000 * 256 * 2
    assert json.loads(result.stdout)["prices"]["date"] == "2024-06-01"


def test_cli_reads_profile_file_and_flags_win(tmp_path):
    prof = tmp_path / "task.yaml"
    prof.write_text("model_params_b: 13\nlabeled_examples: 100\nmonthly_queries: 5\n")
    result = CliRunner().invoke(
        cli, ["cost", "--json", "--profile", str(prof), "--examples", "300"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model_params_b"] == 13
    assert data["training_tokens"] == 300 * 256 * 3


def test_cli_tables_show_every_section():
    result = CliRunner().invoke(cli, ["cost", "--gpu-memory-gb", "24", "--gpu-count", "1"])
    assert result.exit_code == 0, result.output
    for text in ("qlora", "ia3", "GPU-hours", "few-shot", "fine-tuned", "Break-even", "snapshot"):
        assert text in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--examples", "-1"], "--examples"),
        (["--model-params-b", "0"], "--model-params-b"),
        (["--epochs", "abc"], "--epochs"),
        (["--gpu", "tpu-v9"], "unknown GPU type 'tpu-v9'"),
        (["--model-access", "api_only", "--api", "nope"], "unknown API model 'nope'"),
        (["--prices", "/nonexistent/prices.yaml"], "cannot read price file"),
        (["--profile", "/nonexistent/task.yaml"], "cannot read profile file"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(args, message):
    result = CliRunner().invoke(cli, ["cost", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_gpu_memory_without_a_count_is_one_gpu():
    # The evidence rules read any GPU memory as at least one GPU; the cost table must agree.
    rows = {r.method: r for r in C.cost_report(Profile(model_params_b=7, gpu_memory_gb=24)).methods}
    assert rows["lora"].fits_gpu is True and rows["full"].fits_gpu is False


def test_recommended_3c_and_cot_prompts_get_their_own_rows(table):
    p = Profile(model_params_b=1.0)
    inputs = C.CostInputs(prompt_tokens=100, output_tokens=10)
    q = {x.strategy: x for x in C.estimate(p, inputs, table, method="cot").queries}
    assert q["cot"].output_tokens > q["zero-shot"].output_tokens
    assert q["cot"].usd_per_query > q["zero-shot"].usd_per_query
    methods = {r.method for r in C.cost_report(p, "3c", inputs, table).methods}
    assert "3c" in methods and "cot" not in methods
    assert "3c" not in {r.method for r in C.cost_report(p, "lora", inputs, table).methods}


def test_cli_malformed_price_file_exits_2(tmp_path):
    bad = tmp_path / "prices.json"
    bad.write_text('{"name": "x", "gpus": ')
    result = CliRunner().invoke(cli, ["cost", "--prices", str(bad)])
    assert result.exit_code == 2
    assert "malformed price file" in result.stderr and "Traceback" not in result.output


def test_no_labeled_examples_means_no_break_even(table):
    report = C.cost_report(Profile(labeled_examples=0), "lora", prices=table)
    assert report.break_even_monthly_queries is None
    assert any("No labeled examples" in a for a in report.assumptions)


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    size=st.floats(min_value=0.05, max_value=200),
    factor=st.floats(min_value=1.01, max_value=10),
    method=st.sampled_from(TRAIN_METHODS),
)
def test_memory_and_flops_grow_with_model_size(size, factor, method):
    assert C.training_memory_gb(method, size * factor) > C.training_memory_gb(method, size)
    assert C.training_flops(method, size * factor, 1e6) > C.training_flops(method, size, 1e6)


@settings(max_examples=40, deadline=None)
@given(
    shots=st.integers(min_value=1, max_value=30),
    more=st.integers(min_value=1, max_value=30),
    examples=st.integers(min_value=1, max_value=200_000),
    api_only=st.booleans(),
)
def test_break_even_never_rises_with_more_shots(shots, more, examples, api_only):
    prices = C.load_prices()
    access = "api_only" if api_only else "open_weights"
    p = Profile(labeled_examples=examples, model_access=access)
    few = C.cost_report(p, None, C.CostInputs(shots=shots), prices).break_even_monthly_queries
    many = C.cost_report(
        p, None, C.CostInputs(shots=shots + more), prices
    ).break_even_monthly_queries
    if few is not None:
        assert many is not None and many <= few
