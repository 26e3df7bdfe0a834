"""The CostEstimate for a profile: every method's memory, training and per-query cost, the
break-even, and the assumptions they rest on (listed in the report)."""

from __future__ import annotations

from collections.abc import Sequence

from advisor.cost.compute import (
    DECODE_MFU,
    PREFILL_MFU,
    TRAIN_MFU,
    api_query_usd,
    break_even_queries,
    gpu_hours,
    self_hosted_query_usd,
    training_flops,
    training_tokens,
)
from advisor.cost.inputs import DEFAULT_MODEL_PARAMS_B, DEFAULT_OUTPUT_TOKENS, CostInputs
from advisor.cost.job import CostEstimate, Job, prompt_row, query
from advisor.cost.memory import (
    MICRO_BATCH,
    OVERHEAD_GB,
    MemoryEstimate,
    inference_memory_gb,
    memory_estimate,
)
from advisor.cost.prices import GpuPrice, PriceTable, load_prices, pick_gpu
from advisor.errors import UsageError
from advisor.methods import FEW_SHOT, PLAIN_PROMPT, Method, get_method, load_methods
from advisor.profile import ModelAccess, Profile
from advisor.recommendation import CostReport, MethodCost


def estimate(
    profile: Profile,
    inputs: CostInputs | None = None,
    prices: PriceTable | None = None,
    method: str | None = None,
    methods: Sequence[Method] | None = None,
) -> CostEstimate:
    """The full cost picture for a profile; `method` (the recommended one) picks the fine-tune
    the break-even uses, and adds a row for a prompt beyond the baselines (3c, cot, ...).
    ``methods`` default to the built-in ones (``advisor.methods.with_plugins`` adds plugins')."""
    inputs = inputs or CostInputs()
    params_b = profile.model_params_b or DEFAULT_MODEL_PARAMS_B
    tokens = training_tokens(profile.labeled_examples, inputs.avg_tokens, inputs.epochs)
    job = Job(
        profile=profile,
        inputs=inputs,
        prices=prices or load_prices(),
        methods=tuple(load_methods() if methods is None else methods),
        method=method,
        params_b=params_b,
        output_tokens=inputs.output_tokens or DEFAULT_OUTPUT_TOKENS[profile.task_type],
        tokens=tokens,
        assumptions=[],
    )
    job.assumptions += _common_assumptions(job)
    est = (
        _api_estimate(job)
        if profile.model_access == ModelAccess.api_only
        else _self_hosted_estimate(job)
    )
    if profile.labeled_examples == 0:
        # Training would cost nothing and "break even" at once, but there is nothing to train on.
        est.report.break_even_monthly_queries = None
        est.report.assumptions.append(
            "No labeled examples: nothing to fine-tune on, so no break-even."
        )
    return est


def _common_assumptions(job: Job) -> list[str]:
    profile, inputs = job.profile, job.inputs
    size_note = (
        ""
        if profile.model_params_b
        else f" (default {DEFAULT_MODEL_PARAMS_B:g}B: the profile gives none)"
    )
    notes = [
        f"Model size: {job.params_b:g}B parameters{size_note}.",
        f"Training data: {profile.labeled_examples} examples x {inputs.avg_tokens} tokens"
        f" x {inputs.epochs:g} epochs = {job.tokens:,.0f} tokens.",
        f"Prompts: zero-shot and fine-tuned {inputs.prompt_tokens} tokens; {inputs.shots}-shot adds"
        f" {inputs.shots} x {inputs.avg_tokens} = {job.few_shot_prompt} tokens in all;"
        f" {job.output_tokens} output tokens per query.",
        f"Monthly cost spreads training over {inputs.horizon_months} months; so does the break-even.",
    ]
    notes += [m.tokens.note() for m in job.priced_prompts() if not m.baseline and m.tokens.note()]
    return notes


def _self_hosted_estimate(job: Job) -> CostEstimate:
    profile, inputs, params_b = job.profile, job.inputs, job.params_b
    gpu_key = pick_gpu(job.prices, profile.gpu_memory_gb, inputs.gpu)
    gpu = job.prices.gpus[gpu_key]

    prompts = job.prompts()
    queries = [query(s, t, self_hosted_query_usd(params_b, *t, gpu)) for s, t in prompts.items()]
    usd = {q.strategy: q.usd_per_query for q in queries}
    # Adapters merge into the weights for serving: a tuned model with the zero-shot prompt's
    # length costs what the base model does.
    tuned_usd = usd[PLAIN_PROMPT]
    queries.append(query("fine-tuned", prompts[PLAIN_PROMPT], tuned_usd))
    rows = [prompt_row(q, profile.monthly_queries) for q in queries if q.strategy != "fine-tuned"]

    memory = [memory_estimate(m, params_b, inputs.avg_tokens) for m in job.training_methods()]
    tuned, needed = _training_rows(job, memory, gpu, tuned_usd)
    rows += tuned.values()
    be_method = _break_even_method(tuned, job.method)
    be = break_even_queries(
        tuned[be_method].train_usd or 0.0, inputs.horizon_months, usd[FEW_SHOT], tuned_usd
    )
    job.assumptions += _self_hosted_assumptions(job, gpu, be_method)
    return job.result(
        rows,
        be,
        be_method,
        model_access="open_weights",
        gpu=gpu_key,
        gpu_name=gpu.name,
        api=None,
        memory=memory,
        gpus_needed=needed,
        inference_memory_gb={
            q.strategy: inference_memory_gb(params_b, q.prompt_tokens + q.output_tokens)
            for q in queries
        },
        queries=queries,
    )


def _training_rows(
    job: Job, memory: list[MemoryEstimate], gpu: GpuPrice, tuned_usd: float
) -> tuple[dict[str, MethodCost], dict[str, int | None]]:
    """A cost row per local fine-tune, and how many GPUs each needs."""
    profile = job.profile
    # As the evidence rules read it: any GPU memory means at least one GPU.
    has_gpu = profile.gpu_memory_gb > 0
    gpus = max(profile.gpu_count, 1)
    rows: dict[str, MethodCost] = {}
    needed: dict[str, int | None] = {}
    for mem in memory:
        flops = training_flops(get_method(mem.method, job.methods), job.params_b, job.tokens)
        hours = gpu_hours(flops, gpu)
        usd = hours * gpu.usd_per_hour
        needed[mem.method] = mem.gpus_needed(profile.gpu_memory_gb if has_gpu else gpu.memory_gb)
        rows[mem.method] = MethodCost(
            method=mem.method,
            memory_gb=round(mem.total_gb, 2),
            fits_gpu=(mem.per_gpu_gb(gpus) <= profile.gpu_memory_gb) if has_gpu else None,
            train_flops=flops,
            train_gpu_hours=hours,
            train_usd=usd,
            usd_per_1k_queries=tuned_usd * 1000,
            monthly_usd=tuned_usd * profile.monthly_queries + usd / job.inputs.horizon_months,
        )
    return rows, needed


def _self_hosted_assumptions(job: Job, gpu: GpuPrice, be_method: str) -> list[str]:
    profile, inputs = job.profile, job.inputs
    closest = (
        f" (closest to the profile's {profile.gpu_memory_gb:g} GB GPU)"
        if profile.gpu_memory_gb > 0 and not inputs.gpu
        else ""
    )
    return [
        f"Priced on {gpu.name} at ${gpu.usd_per_hour:g}/h, {gpu.peak_bf16_tflops:g} peak bf16 TFLOPs{closest}.",
        f"Training FLOPs {_flops_note()} at {TRAIN_MFU:.0%} model FLOPs utilisation.",
        f"Inference 2·N FLOPs per token; prompt tokens at {PREFILL_MFU:.0%} and generated tokens at"
        f" {DECODE_MFU:.0%} utilisation, paying per use (an always-on GPU costs its hourly price"
        " whatever the volume).",
        f"Memory: {_memory_note(job.methods)}; micro-batch {MICRO_BATCH} x {inputs.avg_tokens} tokens with"
        f" gradient checkpointing; {OVERHEAD_GB:g} GB overhead.",
        *_extra_method_notes(job),
        "Fits: weights and optimiser state shard over the profile's GPUs (FSDP/ZeRO-3); activations do not.",
        f"Break-even compares {be_method} with the {inputs.shots}-shot prompt.",
        "Only compute is priced: one training run, no hyperparameter sweeps, no engineering or evaluation time.",
    ]


def _flops_note() -> str:
    """The built-in methods' FLOPs per parameter-token, as the report states them."""
    full, lora = get_method("full"), get_method("lora")
    return (
        f"{full.train_flops_per_param_token:g}·N·D (full) or"
        f" {lora.train_flops_per_param_token:g}·N·D (adapters)"
    )


def _memory_note(methods: Sequence[Method]) -> str:
    """The built-in methods' memory models, as the report states them (the rank is the one
    the estimate used: the plan's, when the engine passes its methods)."""
    full, lora, qlora = (get_method(n).memory for n in ("full", "lora", "qlora"))
    assert full and lora and qlora  # local fine-tunes always have a memory model
    full_bytes = full.weight_bytes_per_param + full.state_bytes_per_trainable
    return (
        f"full AdamW mixed precision {full_bytes:g} bytes/param; LoRA/IA3"
        f" {lora.weight_bytes_per_param:g} bytes/param of frozen bf16 weights; QLoRA"
        f" {qlora.weight_bytes_per_param:g} bytes/param; LoRA rank {get_method('lora', methods).rank}"
    )


def _extra_method_notes(job: Job) -> list[str]:
    """The memory and FLOPs of fine-tunes that plugins added (the built-ins are noted above)."""
    notes = []
    for m in job.training_methods():
        if m.origin == "advisor" or m.memory is None:
            continue
        notes.append(
            f"{m.name} ({m.origin} plugin): {m.memory.weight_bytes_per_param:g} bytes/param of"
            f" weights, {m.memory.state_bytes_per_trainable:g} bytes per trainable parameter,"
            f" {m.train_flops_per_param_token:g}·N·D training FLOPs."
        )
    return notes


def _break_even_method(tuned: dict[str, MethodCost], method: str | None) -> str:
    """The named fine-tune, else the cheapest to train among those that fit (or all); the
    first in the table among equals."""
    if method in tuned:
        return method
    fitting = [r for r in tuned.values() if r.fits_gpu is not False] or list(tuned.values())
    return min(fitting, key=lambda r: r.train_usd or 0.0).method


def _api_estimate(job: Job) -> CostEstimate:
    profile, inputs = job.profile, job.inputs
    api_key = inputs.api or job.prices.default_api
    if api_key not in job.prices.apis:
        raise UsageError(
            f"unknown API model '{api_key}'; the price table has: {', '.join(job.prices.apis)}"
        )
    api = job.prices.apis[api_key]
    prompts = job.prompts()
    queries = [
        query(s, t, api_query_usd(*t, api.usd_per_1m_input, api.usd_per_1m_output))
        for s, t in prompts.items()
    ]
    rows = [prompt_row(q, profile.monthly_queries) for q in queries]
    be = be_method = None
    job.assumptions.append(
        f"API-only model priced as {api.provider} {api.model} (${api.usd_per_1m_input:g} input,"
        f" ${api.usd_per_1m_output:g} output per 1M tokens)."
    )
    if api.fine_tune is None:
        job.assumptions.append(
            f"{api.provider} offers no fine-tuning for {api.model} in this price table: no break-even."
        )
    else:
        ft = api.fine_tune
        tuned_usd = api_query_usd(*prompts[PLAIN_PROMPT], ft.usd_per_1m_input, ft.usd_per_1m_output)
        queries.append(query("fine-tuned", prompts[PLAIN_PROMPT], tuned_usd))
        # Providers bill every training token of every epoch.
        train_usd = job.tokens * ft.usd_per_1m_training / 1e6
        be_method = next(m.name for m in job.methods if m.kind == "api-fine-tune")
        rows.append(
            MethodCost(
                method=be_method,
                train_usd=train_usd,
                usd_per_1k_queries=tuned_usd * 1000,
                monthly_usd=tuned_usd * profile.monthly_queries + train_usd / inputs.horizon_months,
            )
        )
        few_usd = next(q.usd_per_query for q in queries if q.strategy == FEW_SHOT)
        be = break_even_queries(train_usd, inputs.horizon_months, few_usd, tuned_usd)
        job.assumptions.append(
            f"Provider fine-tuning: ${ft.usd_per_1m_training:g} per 1M training tokens, epochs included;"
            f" the tuned model costs ${ft.usd_per_1m_input:g} input, ${ft.usd_per_1m_output:g} output"
            f" per 1M tokens. Break-even compares it with the {inputs.shots}-shot prompt."
        )
    return job.result(
        rows,
        be,
        be_method,
        model_access="api_only",
        gpu=None,
        gpu_name=None,
        api=api_key,
        memory=[],
        gpus_needed={},
        inference_memory_gb={},
        queries=queries,
    )


def cost_report(
    profile: Profile,
    method: str | None = None,
    inputs: CostInputs | None = None,
    prices: PriceTable | None = None,
    methods: Sequence[Method] | None = None,
) -> CostReport:
    """The cost table a Recommendation carries; `method` is the recommended method."""
    return estimate(profile, inputs, prices, method, methods).report
