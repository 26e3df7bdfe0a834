"""The assumption lines of a cost report, each stating the figures the estimate used."""

from __future__ import annotations

from collections.abc import Sequence

from advisor.cost.compute import DECODE_MFU, PREFILL_MFU, TRAIN_MFU
from advisor.cost.inputs import DEFAULT_MODEL_PARAMS_B
from advisor.cost.job import Job
from advisor.cost.memory import MICRO_BATCH, OVERHEAD_GB
from advisor.cost.prices import ApiPrice, GpuPrice
from advisor.cost.serving import HOURS_PER_MONTH, PLANNED_UTILISATION, Instance
from advisor.methods import FEW_SHOT, Method, get_method
from advisor.recommendation import CostCurve


def common(job: Job) -> list[str]:
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


def self_hosted(job: Job, gpu: GpuPrice) -> list[str]:
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
        f" {DECODE_MFU:.0%} utilisation (batched serving).",
        f"Memory: {_memory_note(job.methods)}; micro-batch {MICRO_BATCH} x {inputs.avg_tokens} tokens with"
        f" gradient checkpointing; {OVERHEAD_GB:g} GB overhead.",
        *_extra_method_notes(job),
        "Fits: weights and optimiser state shard over the profile's GPUs (FSDP/ZeRO-3); activations do not.",
        "Only compute is priced: one training run, no hyperparameter sweeps, no engineering or evaluation time.",
    ]


def serving(job: Job, curve: CostCurve, replica: Instance, gpu: GpuPrice) -> list[str]:
    """How the self-hosted fine-tune is served, and what that costs a month."""
    latency = job.profile.latency_ms
    what = f"{replica.gpus} x {gpu.name}" if replica.gpus > 1 else gpu.name
    notes = []
    if curve.serving == "scales-to-zero":
        notes.append(
            f"Serving scales to zero: the fine-tune on {what} pays only for its queries' GPU time"
            f" (${curve.usd_per_query:.2g} a query); cold starts are not priced."
        )
    else:
        load = (
            f"the {latency} ms latency target allows (a queue answers in"
            f" {replica.seconds_per_query * 1000:.0f} ms / (1 - load))"
            if replica.latency_met and replica.utilisation < PLANNED_UTILISATION
            else "planned for daily peaks"
        )
        notes.append(
            f"Serving the fine-tune: at least one always-on instance of {what}"
            f" (${curve.instance_usd:,.0f} a month, {HOURS_PER_MONTH:g} h); one serves"
            f" {curve.queries_per_instance or 0:,.0f} queries a month at the"
            f" {replica.utilisation:.0%} average load {load}. Pass --scales-to-zero if the"
            " deployment scales to zero when idle."
        )
    if replica.latency_met is False:
        notes.append(
            f"The {latency} ms latency target is below the {replica.seconds_per_query * 1000:.0f} ms"
            f" a query takes on {what}: not met there; a faster GPU or a smaller model is needed"
            f" (capacity is planned at {PLANNED_UTILISATION:.0%} load)."
        )
    return notes


def prompt_pricing(api: tuple[str, ApiPrice] | None) -> str:
    if api is None:
        return (
            "The data may not leave: prompts run on the same self-hosted GPUs as the fine-tune"
            " and are priced the same way."
        )
    _, price = api
    return (
        f"Prompts are priced at {price.provider} {price.model}'s token prices"
        f" (${price.usd_per_1m_input:g} input, ${price.usd_per_1m_output:g} output per 1M tokens,"
        " every shot's tokens included): the data may leave, so prompting needs no GPU of its own."
    )


def break_even(job: Job, method: str) -> str:
    prompt = job.compared_prompt
    named = f"the {job.inputs.shots}-shot prompt" if prompt == FEW_SHOT else f"the {prompt} prompt"
    return (
        f"Break-even compares {method} with {named}: the monthly volume from which the"
        " fine-tune's cost curve stays below the prompt's."
    )


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
