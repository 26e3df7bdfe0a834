"""How each prompt strategy writes its prompts: ``build_suite(train, test, options)`` returns
a runner-neutral ``PromptSuite`` (the test examples with their finished prompts).

``options`` (``SuiteOptions``) carries the suite ``name``, and ``shots`` (few-shot) and
``seed``, which decide the training examples shown.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from advisor.components import (
    Example,
    GenerationSpec,
    PromptDoc,
    PromptSuite,
    SuiteOptions,
    TaskData,
)
from advisor.template import render_prompt, render_target

Prompt = Callable[[Example], str]


def _max_tokens(train: TaskData) -> int:
    """Room for the longest training answer (~4 characters a token), with margin."""
    longest = max((len(e.output) for e in train.examples), default=40)
    return max(16, min(256, longest // 2 + 8))


def _build(
    strategy: str,
    train: TaskData,
    test: TaskData,
    options: SuiteOptions,
    prompt: Prompt,
    description: str,
    *,
    until: list[str] | None = None,
    max_tokens: int | None = None,
) -> PromptSuite:
    docs = [
        PromptDoc(id=i, line=ex.line, input=ex.input, prompt=prompt(ex), target=ex.output)
        for i, ex in enumerate(test.examples)
    ]
    classification = test.task_type == "classification"
    return PromptSuite(
        name=options.name,
        strategy=strategy,
        description=description,
        task_type=test.task_type,
        docs=docs,
        choices=list(test.labels or []) if classification else None,
        generation=None
        if classification
        else GenerationSpec(until=until or ["\n"], max_tokens=max_tokens or _max_tokens(train)),
    )


def zero_shot(train: TaskData, test: TaskData, options: SuiteOptions) -> PromptSuite:
    labels = test.labels if test.task_type == "classification" else None
    return _build(
        "zero-shot",
        train,
        test,
        options,
        lambda ex: render_prompt(ex.input, labels),
        "zero-shot prompt",
    )


def pick_shots(train: TaskData, k: int, seed: int) -> list[Example]:
    """k seeded examples; for classification, labels take turns so each appears early."""
    pool = list(train.examples)
    random.Random(seed).shuffle(pool)
    if train.task_type != "classification":
        return pool[:k]
    by_label: dict[str, list[Example]] = {}
    for ex in pool:
        by_label.setdefault(ex.output, []).append(ex)
    order = sorted(by_label)
    random.Random(seed + 1).shuffle(order)
    chosen: list[Example] = []
    while len(chosen) < min(k, len(pool)):
        for label in order:
            if by_label[label] and len(chosen) < k:
                chosen.append(by_label[label].pop(0))
    return chosen


def few_shot(train: TaskData, test: TaskData, options: SuiteOptions) -> PromptSuite:
    shots = pick_shots(train, options.shots, options.seed)
    labels = test.labels if test.task_type == "classification" else None
    header = render_prompt("", labels).split("\n")[0] + "\n\n" if labels else ""
    solved = "".join(render_prompt(ex.input) + render_target(ex.output) + "\n\n" for ex in shots)

    def prompt(ex: Example) -> str:
        return header + solved + render_prompt(ex.input)

    return _build("few-shot", train, test, options, prompt, f"{len(shots)}-shot prompt")


def _context(train: TaskData) -> str:
    n = len(train.examples)
    words = sum(len(e.input.split()) for e in train.examples) / max(n, 1)
    text = f"Context: task '{train.name}', learned from {n} labeled examples whose inputs average {words:.0f} words."
    if train.task_type == "classification":
        counts = Counter(e.output for e in train.examples)
        shares = ", ".join(f"{lab} {counts[lab] / n:.0%}" for lab in train.labels or [])
        text += f" How often each category occurs: {shares}."
    return text


def _format_hint(train: TaskData) -> str:
    """Describe the output format from the training answers (generation)."""
    outputs = [e.output for e in train.examples]
    sample = outputs[0] if outputs else ""
    if all(o.startswith("{") for o in outputs[:50]):
        return f"Output one line of JSON shaped like {sample}."
    keys = [tok.split("=", 1)[0] for tok in sample.split() if "=" in tok]
    if keys and all(all(f"{k}=" in o for k in keys) for o in outputs[:50]):
        fields = " ".join(f"{k}=..." for k in keys)
        return f"Output exactly the fields '{fields}' in this order on one line, like: {sample}"
    return f"Output one line in the same format as this answer: {sample}"


def three_c(train: TaskData, test: TaskData, options: SuiteOptions) -> PromptSuite:
    if test.task_type == "classification":
        labels = list(test.labels or [])
        clarity = "Instruction: read the input and assign it to exactly one category."
        constraints = (
            f"Constraints: answer with one of {', '.join(labels)}, written exactly as listed, "
            "and nothing else."
        )
    else:
        labels = None
        clarity = "Instruction: read the input and write the required output for it."
        constraints = "Constraints: " + _format_hint(train) + " No explanation."
    instruction = "\n".join([clarity, _context(train), constraints])
    return _build(
        "3c",
        train,
        test,
        options,
        lambda ex: render_prompt(ex.input, labels, instruction=instruction),
        "3C prompt (Clarity, Context, Constraints)",
    )


def chain_of_thought(train: TaskData, test: TaskData, options: SuiteOptions) -> PromptSuite:
    instruction = (
        "Think step by step about what the input asks for, then write the final result on a "
        "new line that starts with 'Answer:'. " + _format_hint(train)
    )

    def prompt(ex: Example) -> str:
        return f"{instruction}\nInput: {ex.input.strip()}\nReasoning:"

    return _build(
        "cot",
        train,
        test,
        options,
        prompt,
        "chain-of-thought prompt",
        until=["\n\n", "Input:"],
        max_tokens=_max_tokens(train) + 64,
    )
