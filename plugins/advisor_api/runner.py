"""Score a ``PromptSuite`` on an OpenAI-compatible endpoint.

Each test prompt is one user message. Classification: the model answers freely and the label
is read from the answer (``parse_label``); an answer naming no label counts as wrong and is
kept, with its doc id, in ``RunOutput.unparsed``. With ``Endpoint.scoring = "loglikelihood"``
each label is scored as a continuation of the prompt instead (``/completions`` with echo and
logprobs, one request per label, as lm-eval's ``local-completions`` does) and the likeliest
wins. Generation: greedy (temperature 0) up to
the suite's stop strings and token limit, scored by exact match and token F1 as the local
runner scores them. Requests run ``Endpoint.concurrency`` at a time; each one's latency and
the server's token usage are measured. Answers are cached under ``task_dir/api-cache`` (in the
run folder), so a resumed run pays only for what it has not asked yet.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from functools import partial
from pathlib import Path
from typing import Any

from advisor.bench.task_metrics import score
from advisor.components import (
    ExampleResult,
    LoadedModel,
    Progress,
    PromptDoc,
    PromptSuite,
    RunOutput,
)
from advisor.errors import UsageError
from advisor_api.client import ChatClient, Reply
from advisor_api.model import ApiModel

CACHE = "api-cache"
# Room for a label and a few words around it ("The category is billing."); the first label
# found is read, so a longer answer would only cost tokens.
CLASSIFY_MAX_TOKENS = 24
ANSWER_KEPT = 200  # characters of an unparsed answer kept for the report


def parse_label(answer: str, labels: list[str]) -> str | None:
    """The label named first in ``answer`` (case-insensitive, as a whole word); at the same
    position the longest label wins ("very positive" over "positive"). None: no label."""
    best: tuple[int, int, str] | None = None
    for label in labels:
        found = re.search(rf"(?<!\w){re.escape(label)}(?!\w)", answer, re.IGNORECASE)
        if found and (best is None or (found.start(), -len(label)) < best[:2]):
            best = (found.start(), -len(label), label)
    return best[2] if best else None


def request_params(suite: PromptSuite) -> dict[str, Any]:
    if suite.generation is None:
        return {"max_tokens": CLASSIFY_MAX_TOKENS, "temperature": 0}
    stop = [s for s in suite.generation.until if s][:4]  # the OpenAI API takes at most 4
    return {"max_tokens": suite.generation.max_tokens, "temperature": 0, "stop": stop}


def _ask_all(
    jobs: list[Callable[[], Reply]], concurrency: int, on_progress: Progress | None
) -> list[Reply]:
    """Every job's reply in order, ``concurrency`` at a time; after the first failure
    nothing new is sent."""
    failed = threading.Event()

    def ask(job: Callable[[], Reply]) -> Reply | None:
        if failed.is_set():
            return None
        try:
            return job()
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(ask, job) for job in jobs]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            error = next((f.exception() for f in done if f.exception() is not None), None)
            if error is not None:
                raise error
            if on_progress:
                on_progress(len(jobs) - len(pending), len(jobs))
    return [r for f in futures if (r := f.result()) is not None]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _usage(groups: list[list[Reply]], model: ApiModel, suite: PromptSuite) -> dict[str, float]:
    """Per query (one doc's requests): the server's token counts, estimated where it gave
    none (and counted)."""
    estimated = prompt = completion = 0
    for replies, doc in zip(groups, suite.docs, strict=True):
        for reply in replies:
            if reply.prompt_tokens is None or reply.completion_tokens is None:
                estimated += 1
            p, c = model.count_tokens([doc.prompt, reply.text])
            prompt += reply.prompt_tokens if reply.prompt_tokens is not None else p
            completion += reply.completion_tokens if reply.completion_tokens is not None else c
    every = [r for replies in groups for r in replies]
    n = max(len(groups), 1)
    return {
        "prompt_tokens": prompt / n,
        "completion_tokens": completion / n,
        "retries": float(sum(r.retries for r in every)),
        "cached": float(sum(r.cached for r in every)),
        "estimated": float(estimated),
    }


def _jobs(client: ChatClient, suite: PromptSuite) -> tuple[list[Callable[[], Reply]], int]:
    """The requests of a suite, and how many there are per doc."""
    if suite.choices is not None and client.endpoint.scoring == "loglikelihood":
        # each label as a continuation after a space, as the local runner scores it
        jobs = [
            partial(client.loglikelihood, d.prompt, " " + c)
            for d in suite.docs
            for c in suite.choices
        ]
        return jobs, len(suite.choices)
    params = request_params(suite)
    messages = [[{"role": "user", "content": d.prompt}] for d in suite.docs]
    return [partial(client.complete, m, params) for m in messages], 1


def _example(
    doc: PromptDoc, replies: list[Reply], choices: list[str] | None, by_likelihood: bool
) -> tuple[ExampleResult, str | None]:
    """One doc scored, and its answer when it named no label."""
    missed = None
    if choices is not None and by_likelihood:  # log-likelihoods, one per label
        lls = [r.logprob if r.logprob is not None else -math.inf for r in replies]
        prediction = choices[max(range(len(lls)), key=lls.__getitem__)]
        scores = {"acc": float(prediction == doc.target)}
    elif choices is not None:
        label = parse_label(replies[0].text, choices)
        missed = replies[0].text[:ANSWER_KEPT] if label is None else None
        prediction = label or ""
        scores = {"acc": float(label == doc.target)}
    else:
        prediction = replies[0].text
        scores = score(prediction, doc.target)
    return ExampleResult(
        doc_id=doc.id, target=doc.target, prediction=prediction, scores=scores
    ), missed


def run(
    model: LoadedModel,
    suite: PromptSuite,
    task_dir: Path,
    *,
    batch_size: int = 8,
    on_progress: Progress | None = None,
) -> RunOutput:
    """Score ``suite`` on the endpoint ``model`` (an ``ApiModel``); ``batch_size`` is unused
    (``Endpoint.concurrency`` decides how many requests are in flight)."""
    if not isinstance(model, ApiModel):
        raise UsageError(
            f"the api runner scores OpenAI-compatible endpoints; {model.name} is not one"
        )
    client = model.client(Path(task_dir) / CACHE)
    jobs, per_doc = _jobs(client, suite)
    start = time.perf_counter()
    replies = _ask_all(jobs, model.endpoint.concurrency, on_progress)
    seconds = time.perf_counter() - start
    groups = [replies[i : i + per_doc] for i in range(0, len(replies), per_doc)]
    examples, unparsed = [], {}
    for doc, group in zip(suite.docs, groups, strict=True):
        example, missed = _example(doc, group, suite.choices, by_likelihood=per_doc > 1)
        examples.append(example)
        if missed is not None:
            unparsed[doc.id] = missed
    names = examples[0].scores if examples else {}
    latencies = [r.latency_ms for r in replies]
    return RunOutput(
        metrics={m: sum(e.scores[m] for e in examples) / len(examples) for m in names},
        examples=examples,
        seconds=seconds,
        latency_ms={"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)}
        if latencies
        else None,
        usage=_usage(groups, model, suite),
        unparsed=unparsed if suite.choices is not None and per_doc == 1 else None,
    )
