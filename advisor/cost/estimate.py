"""The CostEstimate for a profile: every method's memory, training and serving cost, the
break-even, and the assumptions they rest on (listed in the report).

Each priced arm is a cost curve over monthly volume (``advisor.cost.serving``); the cost
table's monthly figures are the curves read at the profile's volume, and the break-even is
where the few-shot prompt's curve and the fine-tune's cross, so table, text and chart agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.cost import notes
from advisor.cost.compute import api_query_usd, gpu_hours, training_flops, training_tokens
from advisor.cost.inputs import DEFAULT_MODEL_PARAMS_B, DEFAULT_OUTPUT_TOKENS, CostInputs
from advisor.cost.job import CostEstimate, Job, cost_row, query
from advisor.cost.memory import MemoryEstimate, inference_memory_gb, memory_estimate
from advisor.cost.prices import ApiPrice, GpuPrice, PriceTable, load_prices, pick_gpu
from advisor.cost.providers import OPEN_MODEL_PATH, provider_tuning, today
from advisor.cost.serving import Instance, api_curve, instance, self_hosted_curve
from advisor.errors import UsageError, excerpt
from advisor.methods import PLAIN_PROMPT, Method, get_method, load_methods
from advisor.profile import ModelAccess, Profile
from advisor.recommendation import CostCurve, CostReport, MethodCost


def estimate(
    profile: Profile,
    inputs: CostInputs | None = None,
    prices: PriceTable | None = None,
    method: str | None = None,
    methods: Sequence[Method] | None = None,
) -> CostEstimate:
    """The full cost picture for a profile; `method` (the recommended one) picks the fine-tune
    the break-even uses, and adds a row for a prompt beyond the baselines (3c, cot, rag, ...).
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
    job.assumptions += notes.common(job)
    est = (
        _api_estimate(job)
        if profile.model_access == ModelAccess.api_only
        else _self_hosted_estimate(job)
    )
    if profile.labeled_examples == 0:
        # Training would cost nothing and "break even" at once, but there is nothing to train on.
        est.report.break_even_monthly_queries = None
        est.report.curves = []
        est.report.assumptions.append(
            "No labeled examples: nothing to fine-tune on, so no break-even."
        )
    return est


def _api(job: Job) -> tuple[str, ApiPrice]:
    key = job.inputs.api or job.prices.default_api
    if key not in job.prices.apis:
        raise UsageError(
            f"unknown API model {excerpt(key)}; the price table has: {', '.join(job.prices.apis)}"
        )
    return key, job.prices.apis[key]


def _prompt_curves(
    job: Job, api: tuple[str, ApiPrice] | None, gpu: GpuPrice | None
) -> dict[str, CostCurve]:
    """Each priced prompt's curve: the API's token prices, or (data that may not leave) the
    self-hosted GPUs it would run on."""
    curves = {}
    for name, tokens in job.prompts().items():
        if api is not None:
            price = api[1]
            usd = api_query_usd(*tokens, price.usd_per_1m_input, price.usd_per_1m_output)
            curves[name] = api_curve(name, 0.0, usd)
        else:
            assert gpu is not None  # self-hosted prompts run on the priced GPU
            replica = instance(job.params_b, tokens, gpu, job.profile.latency_ms)
            curves[name] = self_hosted_curve(name, 0.0, replica, gpu, job.inputs.scales_to_zero)
    return curves


def _self_hosted_estimate(job: Job) -> CostEstimate:
    profile, inputs, params_b = job.profile, job.inputs, job.params_b
    gpu_key = pick_gpu(job.prices, profile.gpu_memory_gb, inputs.gpu)
    gpu = job.prices.gpus[gpu_key]
    monthly = profile.monthly_queries

    api = _api(job) if profile.data_can_leave else None
    prompts = _prompt_curves(job, api, gpu)
    # Adapters merge into the weights for serving: a tuned model takes the zero-shot prompt.
    tuned_tokens = job.prompts()[PLAIN_PROMPT]
    replica = instance(params_b, tuned_tokens, gpu, profile.latency_ms)
    memory = [memory_estimate(m, params_b, inputs.avg_tokens) for m in job.training_methods()]
    tuned, curves, needed = _training_rows(job, memory, gpu, replica)
    be_method = _break_even_method(tuned, job.method)

    tokens = job.prompts()
    queries = [query(s, tokens[s], c, monthly) for s, c in prompts.items()]
    queries.append(query("fine-tuned", tuned_tokens, curves[be_method], monthly))
    rows = [cost_row(c, monthly) for c in prompts.values()] + list(tuned.values())
    job.assumptions += notes.self_hosted(job, gpu)
    job.assumptions.append(notes.prompt_pricing(api))
    job.assumptions += notes.serving(job, curves[be_method], replica, gpu)
    job.assumptions.append(notes.break_even(job, be_method))
    return job.result(
        rows,
        [prompts[job.compared_prompt], curves[be_method]],
        be_method,
        model_access="open_weights",
        gpu=gpu_key,
        gpu_name=gpu.name,
        api=api[0] if api else None,
        memory=memory,
        gpus_needed=needed,
        inference_memory_gb={
            q.strategy: inference_memory_gb(params_b, q.prompt_tokens + q.output_tokens)
            for q in queries
        },
        queries=queries,
    )


def _training_rows(
    job: Job, memory: list[MemoryEstimate], gpu: GpuPrice, replica: Instance
) -> tuple[dict[str, MethodCost], dict[str, CostCurve], dict[str, int | None]]:
    """A cost row and a cost curve per local fine-tune, and how many GPUs each needs."""
    profile = job.profile
    # As the evidence rules read it: any GPU memory means at least one GPU.
    has_gpu = profile.gpu_memory_gb > 0
    gpus = max(profile.gpu_count, 1)
    rows: dict[str, MethodCost] = {}
    curves: dict[str, CostCurve] = {}
    needed: dict[str, int | None] = {}
    for mem in memory:
        flops = training_flops(get_method(mem.method, job.methods), job.params_b, job.tokens)
        hours = gpu_hours(flops, gpu)
        usd = hours * gpu.usd_per_hour
        needed[mem.method] = mem.gpus_needed(profile.gpu_memory_gb if has_gpu else gpu.memory_gb)
        curve = self_hosted_curve(
            mem.method, usd / job.inputs.horizon_months, replica, gpu, job.inputs.scales_to_zero
        )
        curves[mem.method] = curve
        rows[mem.method] = cost_row(
            curve,
            profile.monthly_queries,
            memory_gb=round(mem.total_gb, 2),
            fits_gpu=(mem.per_gpu_gb(gpus) <= profile.gpu_memory_gb) if has_gpu else None,
            train_flops=flops,
            train_gpu_hours=hours,
            train_usd=usd,
        )
    return rows, curves, needed


def _break_even_method(tuned: dict[str, MethodCost], method: str | None) -> str:
    """The named fine-tune, else the cheapest to train among those that fit (or all); the
    first in the table among equals."""
    if method in tuned:
        return method
    fitting = [r for r in tuned.values() if r.fits_gpu is not False] or list(tuned.values())
    return min(fitting, key=lambda r: r.train_usd or 0.0).method


def _provider_fine_tune(job: Job, price: ApiPrice) -> bool:
    """Whether the API model's fine-tune can be priced on the run's day; notes why not."""
    if price.fine_tune is None:
        job.assumptions.append(
            f"{price.provider} offers no fine-tuning for {price.model} in this price table:"
            f" no break-even; {OPEN_MODEL_PATH}."
        )
        return False
    offer = provider_tuning(price.provider)
    day = job.inputs.today or today()
    if offer is None:
        return True
    if not offer.open_on(day):
        job.assumptions.append(
            f"{offer.status(day)} ({offer.source}): no break-even; {OPEN_MODEL_PATH}."
        )
        return False
    if offer.closed_to_new_customers and day >= offer.closed_to_new_customers:
        job.assumptions.append(
            f"{offer.status(day)} ({offer.source}): priced for an organisation that already"
            f" tunes there; otherwise {OPEN_MODEL_PATH}."
        )
    return True


def _api_estimate(job: Job) -> CostEstimate:
    profile, inputs = job.profile, job.inputs
    api_key, api = _api(job)
    monthly = profile.monthly_queries
    prompts = _prompt_curves(job, (api_key, api), None)
    tokens = job.prompts()
    queries = [query(s, tokens[s], c, monthly) for s, c in prompts.items()]
    rows = [cost_row(c, monthly) for c in prompts.values()]
    curves: list[CostCurve] = []
    be_method = None
    job.assumptions.append(
        f"API-only model priced as {api.provider} {api.model} (${api.usd_per_1m_input:g} input,"
        f" ${api.usd_per_1m_output:g} output per 1M tokens)."
    )
    if _provider_fine_tune(job, api):
        ft = api.fine_tune
        assert ft is not None  # checked by _provider_fine_tune
        # Providers bill every training token of every epoch.
        train_usd = job.tokens * ft.usd_per_1m_training / 1e6
        be_method = next(m.name for m in job.methods if m.kind == "api-fine-tune")
        usd = api_query_usd(*tokens[PLAIN_PROMPT], ft.usd_per_1m_input, ft.usd_per_1m_output)
        tuned = api_curve(be_method, train_usd / inputs.horizon_months, usd)
        queries.append(query("fine-tuned", tokens[PLAIN_PROMPT], tuned, monthly))
        rows.append(cost_row(tuned, monthly, train_usd=train_usd))
        curves = [prompts[job.compared_prompt], tuned]
        job.assumptions.append(
            f"Provider fine-tuning: ${ft.usd_per_1m_training:g} per 1M training tokens, epochs included;"
            f" the tuned model costs ${ft.usd_per_1m_input:g} input, ${ft.usd_per_1m_output:g} output"
            " per 1M tokens."
        )
        job.assumptions.append(notes.break_even(job, be_method))
    return job.result(
        rows,
        curves,
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
