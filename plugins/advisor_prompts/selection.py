"""Which training examples a prompt shows as demonstrations.

``random``: one seeded pick shared by every input, labels taking turns (classification) so
each appears early. ``nearest``: per input, the k training inputs most similar to it by TF-IDF
cosine (scikit-learn, imported when used), the most similar one last, next to the input.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from advisor.components import Example, TaskData


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


def nearest_shots(train: TaskData, queries: Sequence[str], k: int) -> list[list[Example]]:
    """Per query, its k nearest training examples by TF-IDF cosine, least similar first."""
    pool = list(train.examples)
    k = min(k, len(pool))
    if not k or not queries:
        return [[] for _ in queries]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neighbors import NearestNeighbors

    # Character n-grams within words: short inputs share few whole words, and a stem matches
    # its inflections.
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    matrix = vectorizer.fit_transform([e.input for e in pool])
    index = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(matrix)
    _, neighbours = index.kneighbors(vectorizer.transform(list(queries)))
    return [[pool[i] for i in reversed(row)] for row in neighbours]


def demonstrations(
    train: TaskData, queries: Sequence[str], k: int, selection: str, seed: int
) -> list[list[Example]]:
    """The demonstrations shown before each query (the same list for every query when random)."""
    if selection == "nearest":
        return nearest_shots(train, queries, k)
    shots = pick_shots(train, k, seed)
    return [shots for _ in queries]
