"""How each prompt strategy writes its prompts: ``build_suite(train, test, options)`` returns
a runner-neutral ``PromptSuite`` (the test examples with their finished prompts).

``options`` (``SuiteOptions``) carries the suite ``name``, and ``shots``, ``selection`` and
``seed``, which decide the training examples shown (few-shot and 3c; see ``selection``).
"""

from __future__ import annotations

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
from advisor_prompts.selection import demonstrations

# A test example and the demonstrations shown before it -> its finished prompt.
Prompt = Callable[[Example, list[Example]], str]


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
    shots = demonstrations(
        train, [ex.input for ex in test.examples], options.shots, options.selection, options.seed
    )
    docs = [
        PromptDoc(id=i, line=ex.line, input=ex.input, prompt=prompt(ex, demos), target=ex.output)
        for i, (ex, demos) in enumerate(zip(test.examples, shots, strict=True))
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
        options.model_copy(update={"shots": 0}),
        lambda ex, _: render_prompt(ex.input, labels),
        "zero-shot prompt",
    )


def _solved(shots: list[Example]) -> str:
    """Demonstrations in the format of the prompt itself, each with its answer."""
    return "".join(render_prompt(ex.input) + render_target(ex.output) + "\n\n" for ex in shots)


def _shots_text(options: SuiteOptions) -> str:
    nearest = " (nearest neighbours)" if options.selection == "nearest" else ""
    return f"{options.shots}-shot{nearest}"


def few_shot(train: TaskData, test: TaskData, options: SuiteOptions) -> PromptSuite:
    labels = test.labels if test.task_type == "classification" else None
    header = render_prompt("", labels).split("\n")[0] + "\n\n" if labels else ""

    def prompt(ex: Example, shots: list[Example]) -> str:
        return header + _solved(shots) + render_prompt(ex.input)

    return _build("few-shot", train, test, options, prompt, f"{_shots_text(options)} prompt")


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

    def prompt(ex: Example, shots: list[Example]) -> str:
        if not shots:
            return render_prompt(ex.input, labels, instruction=instruction)
        # The 3C sections, the demonstrations, then the input with its allowed labels.
        return instruction + "\n\n" + _solved(shots) + render_prompt(ex.input, labels)

    return _build(
        "3c",
        train,
        test,
        options,
        prompt,
        "3C prompt (Clarity, Context, Constraints)"
        + (f", {_shots_text(options)}" if options.shots else ""),
    )


def chain_of_thought(train: TaskData, test: TaskData, options: SuiteOptions) -> PromptSuite:
    instruction = (
        "Think step by step about what the input asks for, then write the final result on a "
        "new line that starts with 'Answer:'. " + _format_hint(train)
    )

    def prompt(ex: Example, _: list[Example]) -> str:
        return f"{instruction}\nInput: {ex.input.strip()}\nReasoning:"

    return _build(
        "cot",
        train,
        test,
        options.model_copy(update={"shots": 0}),
        prompt,
        "chain-of-thought prompt",
        until=["\n\n", "Input:"],
        max_tokens=_max_tokens(train) + 64,
    )
