"""Built-in prompt strategies: zero-shot, few-shot, 3c, cot, rag, and tuned-prompt (the
benchmark's search over the others' configurations on the validation split).

Each turns task data into a runner-neutral ``PromptSuite`` (``build_suite``); a runner (the
built-in ``lmeval``) writes and scores it. Nothing heavy is imported here: a suite is strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.hookspecs import hookimpl

if TYPE_CHECKING:  # the contracts load when a hook is called, not on every start-up
    from advisor.components import PromptStrategy

ADVISOR_HOOKSPEC = "2.0"


@hookimpl
def advisor_prompt_strategies() -> list[PromptStrategy]:
    from advisor.components import PromptStrategy
    from advisor_prompts import strategies as s
    from advisor_prompts.rag import rag

    return [
        PromptStrategy(
            name="zero-shot",
            description="The input and the allowed labels, nothing else (the format fine-tunes train on).",
            build_suite=s.zero_shot,
        ),
        PromptStrategy(
            name="few-shot",
            description="k solved examples from the training data (seeded choice) before the input.",
            build_suite=s.few_shot,
        ),
        PromptStrategy(
            name="3c",
            description="Clarity (explicit instruction), Context (task and data description), "
            "Constraints (allowed labels or output format).",
            build_suite=s.three_c,
        ),
        PromptStrategy(
            name="cot",
            description="Reason step by step, then give the answer after 'Answer:' (generation tasks).",
            task_types=["generation"],
            build_suite=s.chain_of_thought,
        ),
        PromptStrategy(
            name="rag",
            description="Retrieval-augmented: the top 3 passages of --documents (TF-IDF) "
            "before the question.",
            build_suite=rag,
        ),
        # No prompts of its own: the benchmark's prompt search builds the chosen
        # configuration through the strategies above.
        PromptStrategy(
            name="tuned-prompt",
            description="The best of zero-shot / few-shot / 3c (and cot for generation) with "
            "0-8 demonstrations, random or nearest-neighbour, chosen on the validation split.",
        ),
    ]
