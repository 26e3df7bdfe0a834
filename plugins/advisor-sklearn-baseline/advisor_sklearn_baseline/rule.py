"""The plugin's evidence rule: with many labels, a linear text classifier is a serious rival."""

from __future__ import annotations

from advisor.api import Profile, Rule, Source
from advisor.profile import TaskType

RULE_ID = "linear-baseline-competitive"


def weigh(profile: Profile) -> float:
    """A benefit rule, and a caution: with hundreds to thousands of labels a linear model is
    a strong, nearly free rival, so the gain a fine-tuned LLM must show over it is unproven
    until measured. It counts (a little) against the costly LLM fine-tune, never for it: that
    labels exist says training is *possible*, not that an LLM fine-tune *helps*."""
    if profile.task_type != TaskType.classification:
        return 0.0
    if profile.labeled_examples >= 1000:
        return -0.5
    if profile.labeled_examples >= 300:
        return -0.25
    return 0.0


def rule() -> Rule:
    return Rule(
        id=RULE_ID,
        kind="benefit",
        statement=(
            "With hundreds to thousands of labelled examples, a classification task is often "
            "solved well by a linear bag-of-n-grams model (TF-IDF + logistic regression) that "
            "costs almost nothing to train and serve, so a fine-tuned LLM's extra gain is "
            "unproven until measured: `advisor benchmark --strategies tfidf-logreg,...` shows "
            "whether an LLM beats it."
        ),
        source=Source(
            title=(
                "Wang & Manning, Baselines and Bigrams: Simple, Good Sentiment and Topic "
                "Classification (ACL 2012)"
            ),
            kind="paper",
            url="https://aclanthology.org/P12-2018/",
            year=2012,
            figure=(
                "NBSVM, a linear model on word uni+bigrams, reached 79.4% accuracy on RT-s "
                "sentence polarity, above the 77.7% of the recursive autoencoder of the time"
            ),
        ),
        fields=["task_type", "labeled_examples"],
        weigh=weigh,
    )
