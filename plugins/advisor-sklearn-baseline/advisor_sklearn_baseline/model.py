"""TF-IDF + logistic regression: train on the benchmark's train split, predict its test split.

scikit-learn is imported inside the functions so that loading the plugin (every ``advisor``
start-up) stays cheap.
"""

from __future__ import annotations

import os
import time
from typing import Any

from pydantic import BaseModel, Field

from advisor.api import TaskData, UsageError

# Price of one CPU hour, stated so that the cost is reproducible: AWS EC2 m7i.large on-demand
# in us-east-1 costs USD 0.1008 per hour for 2 vCPUs, i.e. USD 0.0504 per vCPU-hour.
CPU_HOUR_USD = 0.0504
CPU_HOUR_SOURCE = "AWS EC2 m7i.large on-demand, us-east-1: USD 0.1008/h for 2 vCPUs"
# Single-query timing is measured on at most this many test examples (it is per-call, slow).
SINGLE_QUERY_SAMPLE = 50
HYPERPARAMETERS: dict[str, Any] = {
    "ngram_range": (1, 2),
    "sublinear_tf": True,
    "C": 10.0,
    "max_iter": 2000,
}


class BaselineMetrics(BaseModel):
    """What a run costs; ``cost_per_1k_queries_usd`` uses single-query CPU time (serving)."""

    train_examples: int
    test_examples: int
    features: int
    fit_cpu_seconds: float
    predict_cpu_seconds_per_query_batch: float
    predict_cpu_seconds_per_query_single: float
    cpu_hour_usd: float
    cpu_hour_source: str
    cost_per_1k_queries_usd: float = Field(
        description="1,000 x single-query CPU seconds, priced at cpu_hour_usd per CPU hour."
    )
    hyperparameters: dict[str, Any]


class Predictions(list):
    """The predicted labels, in test order, with the run's ``metrics`` attached as a plain
    dict (``BaselineMetrics`` dumped), as ``PromptStrategy.fit_predict``'s contract says."""

    metrics: dict[str, Any]


def cpu_hour_price() -> tuple[float, str]:
    """(USD per CPU hour, where it comes from): ``ADVISOR_CPU_HOUR_USD`` or the stated default."""
    raw = os.environ.get("ADVISOR_CPU_HOUR_USD", "").strip()
    if not raw:
        return CPU_HOUR_USD, CPU_HOUR_SOURCE
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"ADVISOR_CPU_HOUR_USD must be a number of dollars, got '{raw}'") from None
    if not (value >= 0 and value != float("inf")):
        raise UsageError(f"ADVISOR_CPU_HOUR_USD must be a finite number >= 0, got '{raw}'")
    return value, "ADVISOR_CPU_HOUR_USD"


def _check(train: TaskData, test: TaskData) -> None:
    for part, data in (("train", train), ("test", test)):
        if data.task_type != "classification":
            raise UsageError(
                f"tfidf-logreg needs a classification task; the {part} data "
                f"'{data.name}' is {data.task_type}"
            )
        if not data.examples:
            raise UsageError(f"tfidf-logreg: the {part} data '{data.name}' has no examples")
    labels = {e.output for e in train.examples}
    if len(labels) < 2:
        raise UsageError(
            f"tfidf-logreg needs at least 2 labels in the training data, found {len(labels)}"
        )


def fit_predict(train: TaskData, test: TaskData) -> Predictions:
    """Fit on ``train``, predict one label per ``test`` example, and measure the CPU cost."""
    _check(train, test)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    hp = HYPERPARAMETERS
    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=hp["ngram_range"], sublinear_tf=hp["sublinear_tf"]),
        LogisticRegression(C=hp["C"], max_iter=hp["max_iter"]),
    )
    texts = [e.input for e in train.examples]
    targets = [e.output for e in train.examples]
    start = time.process_time()
    pipeline.fit(texts, targets)
    fit_cpu = time.process_time() - start

    queries = [e.input for e in test.examples]
    start = time.process_time()
    predicted = [str(p) for p in pipeline.predict(queries)]
    batch_cpu = (time.process_time() - start) / len(queries)

    # Serving answers one query at a time: time that, which includes per-call overhead.
    sample = queries[:SINGLE_QUERY_SAMPLE]
    start = time.process_time()
    for q in sample:
        pipeline.predict([q])
    single_cpu = (time.process_time() - start) / len(sample)

    price, source = cpu_hour_price()
    result = Predictions(predicted)
    result.metrics = BaselineMetrics(
        train_examples=len(texts),
        test_examples=len(queries),
        features=len(pipeline[0].vocabulary_),
        fit_cpu_seconds=round(fit_cpu, 4),
        predict_cpu_seconds_per_query_batch=batch_cpu,
        predict_cpu_seconds_per_query_single=single_cpu,
        cpu_hour_usd=price,
        cpu_hour_source=source,
        cost_per_1k_queries_usd=1000 * single_cpu / 3600 * price,
        hyperparameters={k: list(v) if isinstance(v, tuple) else v for k, v in hp.items()},
    ).model_dump()
    return result


def accuracy(predictions: list[str], test: TaskData) -> float:
    """Exact-match accuracy, the metric the benchmark uses for classification."""
    if len(predictions) != len(test.examples):
        raise ValueError(f"{len(predictions)} predictions for {len(test.examples)} examples")
    hits = sum(p == e.output for p, e in zip(predictions, test.examples, strict=True))
    return hits / len(test.examples)
