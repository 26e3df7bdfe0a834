"""advisor-sklearn-baseline: a strategy that needs no language model, and one evidence rule.

Registered through the entry point ``sklearn-baseline`` in the group ``advisor`` (see this
distribution's pyproject.toml). Nothing heavy is imported here: scikit-learn loads only when
the baseline runs.
"""

from __future__ import annotations

from advisor.api import PromptStrategy, Rule, hookimpl
from advisor_sklearn_baseline import model
from advisor_sklearn_baseline.rule import rule

__version__ = "0.1.0"
ADVISOR_HOOKSPEC = "2.0"
STRATEGY_NAME = "tfidf-logreg"


def strategy() -> PromptStrategy:
    return PromptStrategy(
        name=STRATEGY_NAME,
        description=(
            "No LLM: TF-IDF word 1-2-grams + logistic regression trained on the train split; "
            "answers 'do you need a language model at all?' and prices CPU serving per 1k queries"
        ),
        kind="baseline",  # no prompt suite: the benchmark calls fit_predict and scores it
        task_types=["classification"],
        fit_predict=model.fit_predict,
    )


@hookimpl
def advisor_prompt_strategies() -> list[PromptStrategy]:
    return [strategy()]


@hookimpl
def advisor_evidence() -> list[Rule]:
    return [rule()]
