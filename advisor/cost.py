"""The cost model: memory, training compute, dollars, per-query cost and break-even.

Pure arithmetic on a Profile and a price table; no torch. Every figure it rests on is named
next to the constant that holds it, and every assumption it makes is listed in the report.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from advisor.errors import UsageError
from advisor.profile import ModelAccess, Profile, TaskType
from advisor.recommendation import CostReport, MethodCost

DEFAULT_PRICES = Path(__file__).parent / "data" / "prices.yaml"
DEFAULT_MODEL_PARAMS_B = 7.0

FINE_TUNE_METHODS: tuple[str, ...] = ("full", "lora", "qlora", "ia3")
PROMPT_METHODS: tuple[str, ...] = ("zero-shot", "few-shot")
API_FINE_TUNE = "api-fine-tune"  # the evidence rules' name for a provider's tuning API
GB = 1e9

# --- Memory, bytes per parameter ---------------------------------------------------------
# Mixed-precision AdamW keeps bf16 weights (2) + bf16 gradients (2) + an fp32 master copy (4)
# + two fp32 Adam moments (8) = 16 bytes/param (Rajbhandari et al. 2020, "ZeRO", sec. 3.1).
FULL_BYTES_PER_PARAM = 16.0
# LoRA freezes the base weights, kept in bf16: 2 bytes/param (Hu et al. 2021, "LoRA", sec. 4.2).
FROZEN_BF16_BYTES_PER_PARAM = 2.0
# QLoRA stores frozen weights as 4-bit NormalFloat with double quantisation: 4 bits + 0.127 bits
# of quantisation constants per parameter (Dettmers et al. 2023, "QLoRA", sec. 3). Embeddings and
# norms stay in 16-bit, so the whole model lands a little above 0.516, in the 0.5-0.7 range.
QLORA_BYTES_PER_PARAM = 0.55
# Trainable adapter parameters get the same 16 bytes as a full fine-tune's parameters.
TRAINABLE_BYTES_PER_PARAM = 16.0
# Inference in bf16: 2 bytes/param, plus the KV cache.
INFERENCE_BYTES_PER_PARAM = 2.0
# CUDA context, allocator fragmentation and framework buffers: a flat allowance.
OVERHEAD_GB = 1.0

# Training shape assumptions used for activations and adapter sizes.
LORA_RANK = 16  # a common default (Hu et al. 2021 use 1-64; QLoRA uses 64)
MICRO_BATCH = 8  # sequences per optimiser micro-step; gradient accumulation makes up the rest
VOCAB_SIZE = 50_000
# Llama-style models keep width / depth near 128 (7B: 4096/32, 13B: 5120/40).
WIDTH_PER_LAYER = 128
# Activation bytes per token per layer for a standard transformer layer in bf16 when nothing is
# recomputed and attention scores are not materialised (Korthikanti et al. 2022, "Reducing
# activation recomputation", eq. 1 without the 5as/h term thanks to flash attention).
ACT_BYTES_PER_TOKEN_LAYER_PER_WIDTH = 34

# --- Compute -------------------------------------------------------------------------------
# Training a dense transformer costs about 6 FLOPs per parameter per token: 2 forward, 4
# backward (Kaplan et al. 2020, "Scaling laws", sec. 2.1). With frozen weights (LoRA, QLoRA, IA3)
# the backward pass still propagates gradients through every layer (2N per token) but skips the
# weight gradients of the frozen matrices (the other 2N), so adapters cost about 4 FLOPs per
# parameter per token. FLOPs here are model FLOPs: recomputation from gradient checkpointing is
# absorbed in the utilisation, as in the MFU definition (Chowdhery et al. 2022, "PaLM", app. B).
FULL_FLOPS_PER_PARAM_TOKEN = 6.0
ADAPTER_FLOPS_PER_PARAM_TOKEN = 4.0
# Inference: 2 FLOPs per parameter per token (one forward pass; Kaplan et al. 2020).
INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0
# Model FLOPs utilisation. Well-tuned large runs reach 40-55% MFU (PaLM reports 46%); 35% is
# a fair figure for an ordinary fine-tuning script. Prompt tokens (prefill) are processed in
# parallel like training; generated tokens are memory-bound and reach far less even batched.
TRAIN_MFU = 0.35
PREFILL_MFU = 0.35
DECODE_MFU = 0.10

# Extra tokens for the 3C prompt (explicit Clarity / Context / Constraints sections) and for
# chain-of-thought reasoning before the answer. Rough guesses, stated as such in the report.
THREE_C_EXTRA_PROMPT_TOKENS = 100
COT_EXTRA_OUTPUT_TOKENS = 150

# Output tokens by task type when the caller gives none: a label is a few tokens, text is more.
DEFAULT_OUTPUT_TOKENS = {
    TaskType.classification: 5,
    TaskType.extraction: 60,
    TaskType.qa: 60,
    TaskType.code: 200,
    TaskType.generation: 200,
    TaskType.summarization: 150,
    TaskType.chat: 200,
    TaskType.other: 100,
}


# --- Price table -----------------------------------------------------------------------------


class _Strict(BaseModel):
    # Frozen: the loaded table is cached and shared between callers.
    model_config = ConfigDict(extra="forbid", frozen=True)


class GpuPrice(_Strict):
    name: str
    memory_gb: float = Field(gt=0)
    peak_bf16_tflops: float = Field(gt=0)
    usd_per_hour: float = Field(ge=0)
    source: str = ""


class ApiFineTunePrice(_Strict):
    usd_per_1m_training: float = Field(ge=0)
    usd_per_1m_input: float = Field(ge=0)
    usd_per_1m_output: float = Field(ge=0)


class ApiPrice(_Strict):
    provider: str
    model: str
    usd_per_1m_input: float = Field(ge=0)
    usd_per_1m_output: float = Field(ge=0)
    fine_tune: ApiFineTunePrice | None = None
    source: str = ""


class PriceTable(_Strict):
    name: str
    date: datetime.date = Field(description="When the prices were read (YYYY-MM-DD).")
    currency: str = "USD"
    notes: str = ""
    sources: list[str] = Field(default_factory=list)
    default_gpu: str
    default_api: str
    gpus: dict[str, GpuPrice] = Field(min_length=1)
    apis: dict[str, ApiPrice] = Field(min_length=1)

    @model_validator(mode="after")
    def _defaults_exist(self) -> PriceTable:
        if self.default_gpu not in self.gpus:
            raise ValueError(
                f"default_gpu '{self.default_gpu}' is not one of gpus: {', '.join(self.gpus)}"
            )
        if self.default_api not in self.apis:
            raise ValueError(
                f"default_api '{self.default_api}' is not one of apis: {', '.join(self.apis)}"
            )
        return self

    def label(self) -> str:
        src = "; ".join(self.sources) if self.sources else "no sources given"
        return f"{self.name}, {self.date} (snapshot; sources: {src})"


def _parse_price_file(path: Path) -> Any:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot read price file {path}: {err.strerror or err}") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(raw)
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(raw, Loader=loader)  # noqa: S506 - a safe loader
    except Exception as err:  # json and yaml have their own error types; all mean "malformed"
        raise UsageError(f"malformed price file {path}: {str(err).splitlines()[0]}") from None


def _validate_prices(data: Any, path: Path) -> PriceTable:
    if not isinstance(data, dict):
        raise UsageError(f"price file {path} must hold a mapping (name, date, gpus, apis, ...)")
    try:
        return PriceTable.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"]) or "table"
            problems.append(f"'{where}': {e['msg']}")
        raise UsageError(f"invalid price file {path}: " + "; ".join(problems)) from None


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> PriceTable:
    p = Path(path)
    return _validate_prices(_parse_price_file(p), p)


def load_prices(path: str | Path | None = None) -> PriceTable:
    """The shipped price table, or the user's override file (YAML or JSON, same structure)."""
    p = Path(path) if path else DEFAULT_PRICES
    try:
        mtime = p.stat().st_mtime
    except OSError as err:
        raise UsageError(f"cannot read price file {p}: {err.strerror or err}") from None
    return _load_cached(str(p), mtime)


# --- Inputs ----------------------------------------------------------------------------------


class CostInputs(_Strict):
    """Knobs of the estimate that the Profile does not hold."""

    avg_tokens: int = Field(256, gt=0, description="Tokens per training example (input + output).")
    epochs: float = Field(3.0, gt=0, description="Passes over the training data.")
    shots: int = Field(5, ge=0, description="Examples in the few-shot prompt.")
    prompt_tokens: int = Field(
        200,
        gt=0,
        description="Tokens of a zero-shot prompt (instruction + input); a fine-tune's too.",
    )
    output_tokens: int | None = Field(None, gt=0, description="Generated tokens per query.")
    horizon_months: int = Field(12, gt=0, description="Months over which training is amortised.")
    gpu: str | None = Field(None, description="GPU type from the price table.")
    api: str | None = Field(None, description="API model from the price table (api_only models).")


def build_inputs(values: dict[str, Any]) -> CostInputs:
    try:
        return CostInputs.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as err:
        e = err.errors()[0]
        field = ".".join(str(p) for p in e["loc"])
        raise UsageError(
            f"invalid value for '{field}': {e['msg']} (got {e.get('input')!r})"
        ) from None


# --- Memory ----------------------------------------------------------------------------------


class MemoryEstimate(BaseModel):
    """Peak memory of one method, split so that sharding across GPUs can be reasoned about."""

    method: str
    weights_gb: float = Field(description="Model weights (frozen or trained).")
    trainable_params: float = Field(description="Parameters that receive gradients.")
    optimizer_gb: float = Field(description="Gradients, master weights and optimiser moments.")
    activations_gb: float
    overhead_gb: float
    total_gb: float

    def per_gpu_gb(self, gpus: int) -> float:
        """Weights and optimiser state shard across GPUs (ZeRO-3/FSDP); activations do not."""
        n = max(gpus, 1)
        return (self.weights_gb + self.optimizer_gb) / n + self.activations_gb + self.overhead_gb

    def gpus_needed(self, gpu_memory_gb: float) -> int | None:
        """Fewest GPUs of this size that hold it, or None if even many do not."""
        room = gpu_memory_gb - self.activations_gb - self.overhead_gb
        if room <= 0:
            return None
        return max(1, math.ceil((self.weights_gb + self.optimizer_gb) / room))


def model_shape(params_b: float) -> tuple[float, int]:
    """(width, layers) of a Llama-like model of this size: N ~ 12 L d^2 with d / L ~ 128."""
    n = params_b * 1e9
    width = (WIDTH_PER_LAYER * n / 12) ** (1 / 3)
    layers = max(1, round(width / WIDTH_PER_LAYER))
    return width, layers


def trainable_params(method: str, params_b: float) -> float:
    """Parameters updated by a method."""
    width, layers = model_shape(params_b)
    if method == "full":
        return params_b * 1e9
    if method in ("lora", "qlora"):
        # Rank-r A and B on every linear layer: attention q,k,v,o (4 of d x d -> 8dr) and a
        # 4x MLP (d x 4d and 4d x d -> 10dr): 18 d r per layer (Hu et al. 2021, sec. 4.1).
        return 18 * width * LORA_RANK * layers
    if method == "ia3":
        # IA3 learns three vectors per layer: keys (d), values (d), FFN hidden (4d)
        # (Liu et al. 2022, "Few-shot PEFT is better and cheaper than ICL", sec. 3.3).
        return 6 * width * layers
    raise UsageError(f"unknown training method '{method}'; known: {', '.join(FINE_TUNE_METHODS)}")


def activation_gb(params_b: float, seq_tokens: int, micro_batch: int = MICRO_BATCH) -> float:
    """Activations with gradient checkpointing: one saved input per layer plus one live layer."""
    width, layers = model_shape(params_b)
    tokens = seq_tokens * micro_batch
    checkpoints = layers * tokens * width * 2  # bf16 layer inputs
    live_layer = tokens * width * ACT_BYTES_PER_TOKEN_LAYER_PER_WIDTH
    logits = tokens * VOCAB_SIZE * 4  # fp32 logits for the loss
    return (checkpoints + live_layer + logits) / GB


def memory_estimate(method: str, params_b: float, seq_tokens: int = 256) -> MemoryEstimate:
    """Peak training memory of `method` for a model of `params_b` billion parameters."""
    n = params_b * 1e9
    trainable = trainable_params(method, params_b)
    if method == "full":
        weights = n * 2  # bf16 working copy; the rest of the 16 bytes is optimiser state
        optimizer = n * (FULL_BYTES_PER_PARAM - 2)
    else:
        per_param = QLORA_BYTES_PER_PARAM if method == "qlora" else FROZEN_BF16_BYTES_PER_PARAM
        weights = n * per_param
        optimizer = trainable * TRAINABLE_BYTES_PER_PARAM
    activations = activation_gb(params_b, seq_tokens)
    total = weights / GB + optimizer / GB + activations + OVERHEAD_GB
    return MemoryEstimate(
        method=method,
        weights_gb=weights / GB,
        trainable_params=trainable,
        optimizer_gb=optimizer / GB,
        activations_gb=activations,
        overhead_gb=OVERHEAD_GB,
        total_gb=total,
    )


def training_memory_gb(method: str, params_b: float) -> float:
    """Peak memory to train with `method` (full, lora, qlora, ia3) on one GPU, in GB."""
    return memory_estimate(method, params_b).total_gb


def inference_memory_gb(params_b: float, context_tokens: int, batch: int = 1) -> float:
    """bf16 weights plus the KV cache (keys and values, bf16, every layer) for the context."""
    width, layers = model_shape(params_b)
    kv_cache = 2 * layers * width * 2 * context_tokens * batch
    return (params_b * 1e9 * INFERENCE_BYTES_PER_PARAM + kv_cache) / GB + OVERHEAD_GB


# --- Compute and dollars ---------------------------------------------------------------------


def training_tokens(examples: int, avg_tokens: int, epochs: float) -> float:
    """D: tokens the model sees while training."""
    return examples * avg_tokens * epochs


def training_flops(method: str, params_b: float, tokens: float) -> float:
    """About 6·N·D for a full fine-tune, 4·N·D for adapters (see the constants above)."""
    per = FULL_FLOPS_PER_PARAM_TOKEN if method == "full" else ADAPTER_FLOPS_PER_PARAM_TOKEN
    return per * params_b * 1e9 * tokens


def gpu_hours(flops: float, gpu: GpuPrice, mfu: float = TRAIN_MFU) -> float:
    return flops / (gpu.peak_bf16_tflops * 1e12 * mfu) / 3600


def self_hosted_query_usd(
    params_b: float, prompt_tokens: int, output_tokens: int, gpu: GpuPrice
) -> float:
    """Dollars for one query served on a rented GPU, pay-per-use (2·N FLOPs per token)."""
    per_token = INFERENCE_FLOPS_PER_PARAM_TOKEN * params_b * 1e9
    peak = gpu.peak_bf16_tflops * 1e12
    seconds = per_token * prompt_tokens / (peak * PREFILL_MFU) + per_token * output_tokens / (
        peak * DECODE_MFU
    )
    return seconds * gpu.usd_per_hour / 3600


def api_query_usd(prompt_tokens: int, output_tokens: int, usd_in: float, usd_out: float) -> float:
    return (prompt_tokens * usd_in + output_tokens * usd_out) / 1e6


def break_even_queries(
    train_usd: float, horizon_months: int, prompt_query_usd: float, tuned_query_usd: float
) -> int | None:
    """Monthly volume above which (training / horizon + tuned queries) < prompted queries.

    None when the tuned model is not cheaper per query, so no volume pays the training back.
    """
    saving = prompt_query_usd - tuned_query_usd
    if saving <= 0:
        return None
    return math.ceil(train_usd / horizon_months / saving)


# --- The report ------------------------------------------------------------------------------


class QueryCost(BaseModel):
    strategy: str
    prompt_tokens: int
    output_tokens: int
    usd_per_query: float
    usd_per_1k_queries: float


class PriceTableInfo(BaseModel):
    """Which price snapshot an estimate used."""

    name: str
    date: datetime.date
    sources: list[str]


class CostEstimate(BaseModel):
    """Everything `advisor cost` shows; ``report`` is the part a Recommendation carries."""

    model_params_b: float
    model_access: Literal["open_weights", "api_only"]
    gpu: str | None = Field(description="Price-table GPU used for dollars (open weights).")
    gpu_name: str | None
    gpu_memory_gb: float
    gpu_count: int
    api: str | None = Field(description="Price-table API model used (api_only).")
    inputs: CostInputs
    training_tokens: float
    memory: list[MemoryEstimate]
    gpus_needed: dict[str, int | None] = Field(
        description="GPUs of the profile's size (else of the priced type) each method needs."
    )
    inference_memory_gb: dict[str, float]
    queries: list[QueryCost]
    break_even_method: str | None
    prices: PriceTableInfo
    report: CostReport


def pick_gpu(prices: PriceTable, gpu_memory_gb: float, gpu: str | None = None) -> str:
    """The table GPU to price with: the one named, else the smallest at least as large as the
    user's (cheapest of equals), else the largest; without a GPU, the table's default."""
    if gpu is not None:
        if gpu not in prices.gpus:
            raise UsageError(
                f"unknown GPU type '{gpu}'; the price table has: {', '.join(prices.gpus)}"
            )
        return gpu
    if gpu_memory_gb <= 0:
        return prices.default_gpu
    by_size = sorted(
        prices.gpus, key=lambda k: (prices.gpus[k].memory_gb, prices.gpus[k].usd_per_hour)
    )
    for key in by_size:
        if prices.gpus[key].memory_gb >= gpu_memory_gb:
            return key
    return by_size[-1]


@dataclass
class _Job:
    """The quantities every part of one estimate shares."""

    profile: Profile
    inputs: CostInputs
    prices: PriceTable
    method: str | None
    params_b: float
    output_tokens: int
    tokens: float
    assumptions: list[str]

    def price_info(self) -> PriceTableInfo:
        return PriceTableInfo(
            name=self.prices.name, date=self.prices.date, sources=self.prices.sources
        )

    def result(
        self,
        rows: list[MethodCost],
        break_even: int | None,
        break_even_method: str | None,
        **fields: Any,
    ) -> CostEstimate:
        """The CostEstimate with the fields every path fills the same way; ``fields`` add the rest."""
        return CostEstimate(
            model_params_b=self.params_b,
            gpu_memory_gb=self.profile.gpu_memory_gb,
            gpu_count=self.profile.gpu_count,
            inputs=self.inputs,
            training_tokens=self.tokens,
            break_even_method=break_even_method,
            prices=self.price_info(),
            report=CostReport(
                methods=rows,
                break_even_monthly_queries=break_even,
                price_table=self.prices.label(),
                assumptions=self.assumptions,
            ),
            **fields,
        )

    @property
    def few_shot_prompt(self) -> int:
        return self.inputs.prompt_tokens + self.inputs.shots * self.inputs.avg_tokens

    def prompts(self) -> dict[str, tuple[int, int]]:
        """(prompt, output) tokens per prompting strategy; 3c and cot only when recommended."""
        base = (self.inputs.prompt_tokens, self.output_tokens)
        out = {"zero-shot": base, "few-shot": (self.few_shot_prompt, self.output_tokens)}
        if self.method == "3c":
            out["3c"] = (base[0] + THREE_C_EXTRA_PROMPT_TOKENS, base[1])
        elif self.method == "cot":
            out["cot"] = (base[0], base[1] + COT_EXTRA_OUTPUT_TOKENS)
        return out


def _query(strategy: str, tokens: tuple[int, int], usd: float) -> QueryCost:
    return QueryCost(
        strategy=strategy,
        prompt_tokens=tokens[0],
        output_tokens=tokens[1],
        usd_per_query=usd,
        usd_per_1k_queries=usd * 1000,
    )


def _prompt_row(q: QueryCost, monthly: int) -> MethodCost:
    return MethodCost(
        method=q.strategy,
        usd_per_1k_queries=q.usd_per_1k_queries,
        monthly_usd=q.usd_per_query * monthly,
    )


def estimate(
    profile: Profile,
    inputs: CostInputs | None = None,
    prices: PriceTable | None = None,
    method: str | None = None,
) -> CostEstimate:
    """The full cost picture for a profile; `method` (the recommended one) picks the fine-tune
    the break-even uses, and adds a row for a 3c or cot prompt."""
    inputs = inputs or CostInputs()
    params_b = profile.model_params_b or DEFAULT_MODEL_PARAMS_B
    tokens = training_tokens(profile.labeled_examples, inputs.avg_tokens, inputs.epochs)
    job = _Job(
        profile=profile,
        inputs=inputs,
        prices=prices or load_prices(),
        method=method,
        params_b=params_b,
        output_tokens=inputs.output_tokens or DEFAULT_OUTPUT_TOKENS[profile.task_type],
        tokens=tokens,
        assumptions=[],
    )
    size_note = (
        ""
        if profile.model_params_b
        else f" (default {DEFAULT_MODEL_PARAMS_B:g}B: the profile gives none)"
    )
    job.assumptions += [
        f"Model size: {params_b:g}B parameters{size_note}.",
        f"Training data: {profile.labeled_examples} examples x {inputs.avg_tokens} tokens"
        f" x {inputs.epochs:g} epochs = {tokens:,.0f} tokens.",
        f"Prompts: zero-shot and fine-tuned {inputs.prompt_tokens} tokens; {inputs.shots}-shot adds"
        f" {inputs.shots} x {inputs.avg_tokens} = {job.few_shot_prompt} tokens in all;"
        f" {job.output_tokens} output tokens per query.",
        f"Monthly cost spreads training over {inputs.horizon_months} months; so does the break-even.",
    ]
    if method == "3c":
        job.assumptions.append(
            f"3c prompt: {THREE_C_EXTRA_PROMPT_TOKENS} more prompt tokens than zero-shot (a guess)."
        )
    elif method == "cot":
        job.assumptions.append(
            f"cot: {COT_EXTRA_OUTPUT_TOKENS} reasoning tokens generated per query (a guess)."
        )
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


def _self_hosted_estimate(job: _Job) -> CostEstimate:
    profile, inputs, params_b = job.profile, job.inputs, job.params_b
    gpu_key = pick_gpu(job.prices, profile.gpu_memory_gb, inputs.gpu)
    gpu = job.prices.gpus[gpu_key]
    # As the evidence rules read it: any GPU memory means at least one GPU.
    has_gpu = profile.gpu_memory_gb > 0
    gpus = max(profile.gpu_count, 1)

    prompts = job.prompts()
    queries = [_query(s, t, self_hosted_query_usd(params_b, *t, gpu)) for s, t in prompts.items()]
    # Adapters merge into the weights for serving: a tuned model with the zero-shot prompt's
    # length costs what the base model does.
    tuned_usd = queries[0].usd_per_query
    queries.append(_query("fine-tuned", prompts["zero-shot"], tuned_usd))
    rows = [_prompt_row(q, profile.monthly_queries) for q in queries if q.strategy != "fine-tuned"]

    memory = [memory_estimate(m, params_b, inputs.avg_tokens) for m in FINE_TUNE_METHODS]
    needed: dict[str, int | None] = {}
    for mem in memory:
        flops = training_flops(mem.method, params_b, job.tokens)
        hours = gpu_hours(flops, gpu)
        usd = hours * gpu.usd_per_hour
        needed[mem.method] = mem.gpus_needed(profile.gpu_memory_gb if has_gpu else gpu.memory_gb)
        rows.append(
            MethodCost(
                method=mem.method,
                memory_gb=round(mem.total_gb, 2),
                fits_gpu=(mem.per_gpu_gb(gpus) <= profile.gpu_memory_gb) if has_gpu else None,
                train_flops=flops,
                train_gpu_hours=hours,
                train_usd=usd,
                usd_per_1k_queries=tuned_usd * 1000,
                monthly_usd=tuned_usd * profile.monthly_queries + usd / inputs.horizon_months,
            )
        )
    tuned = {r.method: r for r in rows if r.method in FINE_TUNE_METHODS}
    be_method = _break_even_method(tuned, job.method)
    few_usd = queries[1].usd_per_query
    be = break_even_queries(
        tuned[be_method].train_usd or 0.0, inputs.horizon_months, few_usd, tuned_usd
    )

    closest = (
        f" (closest to the profile's {profile.gpu_memory_gb:g} GB GPU)"
        if has_gpu and not inputs.gpu
        else ""
    )
    job.assumptions += [
        f"Priced on {gpu.name} at ${gpu.usd_per_hour:g}/h, {gpu.peak_bf16_tflops:g} peak bf16 TFLOPs{closest}.",
        f"Training FLOPs 6·N·D (full) or 4·N·D (adapters) at {TRAIN_MFU:.0%} model FLOPs utilisation.",
        f"Inference 2·N FLOPs per token; prompt tokens at {PREFILL_MFU:.0%} and generated tokens at"
        f" {DECODE_MFU:.0%} utilisation, paying per use (an always-on GPU costs its hourly price"
        " whatever the volume).",
        f"Memory: full AdamW mixed precision {FULL_BYTES_PER_PARAM:g} bytes/param; LoRA/IA3"
        f" {FROZEN_BF16_BYTES_PER_PARAM:g} bytes/param of frozen bf16 weights; QLoRA"
        f" {QLORA_BYTES_PER_PARAM:g} bytes/param; LoRA rank {LORA_RANK}; micro-batch {MICRO_BATCH}"
        f" x {inputs.avg_tokens} tokens with gradient checkpointing; {OVERHEAD_GB:g} GB overhead.",
        "Fits: weights and optimiser state shard over the profile's GPUs (FSDP/ZeRO-3); activations do not.",
        f"Break-even compares {be_method} with the {inputs.shots}-shot prompt.",
        "Only compute is priced: one training run, no hyperparameter sweeps, no engineering or evaluation time.",
    ]
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


def _break_even_method(tuned: dict[str, MethodCost], method: str | None) -> str:
    """The named fine-tune, else the cheapest to train among those that fit (or all)."""
    if method in tuned:
        return method
    fitting = [r for r in tuned.values() if r.fits_gpu is not False] or list(tuned.values())
    return min(
        fitting, key=lambda r: (r.train_usd or 0.0, FINE_TUNE_METHODS.index(r.method))
    ).method


def _api_estimate(job: _Job) -> CostEstimate:
    profile, inputs = job.profile, job.inputs
    api_key = inputs.api or job.prices.default_api
    if api_key not in job.prices.apis:
        raise UsageError(
            f"unknown API model '{api_key}'; the price table has: {', '.join(job.prices.apis)}"
        )
    api = job.prices.apis[api_key]
    prompts = job.prompts()
    queries = [
        _query(s, t, api_query_usd(*t, api.usd_per_1m_input, api.usd_per_1m_output))
        for s, t in prompts.items()
    ]
    rows = [_prompt_row(q, profile.monthly_queries) for q in queries]
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
        tuned_usd = api_query_usd(*prompts["zero-shot"], ft.usd_per_1m_input, ft.usd_per_1m_output)
        queries.append(_query("fine-tuned", prompts["zero-shot"], tuned_usd))
        # Providers bill every training token of every epoch.
        train_usd = job.tokens * ft.usd_per_1m_training / 1e6
        rows.append(
            MethodCost(
                method=API_FINE_TUNE,
                train_usd=train_usd,
                usd_per_1k_queries=tuned_usd * 1000,
                monthly_usd=tuned_usd * profile.monthly_queries + train_usd / inputs.horizon_months,
            )
        )
        be_method = API_FINE_TUNE
        be = break_even_queries(
            train_usd, inputs.horizon_months, queries[1].usd_per_query, tuned_usd
        )
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
) -> CostReport:
    """The cost table a Recommendation carries; `method` is the recommended method."""
    return estimate(profile, inputs, prices, method).report
