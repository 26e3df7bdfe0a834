"""The retrieval-augmented prompt (``rag``): for each question, the top-k passages of the
user's documents by TF-IDF cosine (scikit-learn), then the question.

Documents arrive through ``SuiteOptions.documents`` (``advisor benchmark --documents FILE``:
JSON Lines with ``text`` and an optional ``id``). Long documents are cut into overlapping word
windows so that one passage stays about 200 tokens and three fit any prompt, the plan's
retrieval defaults in ``advisor/data/methods.yaml``. ``shots`` solved training examples come
first, each with the passage retrieved for its own question, so that the model sees the
pattern "read the passage, answer in a few words" before it meets the real question.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from advisor.components import Example, PromptSuite, SuiteOptions, TaskData
from advisor.errors import UsageError
from advisor.template import render_prompt, render_target
from advisor_prompts.selection import pick_shots
from advisor_prompts.strategies import _build

TOP_K = 3
CHUNK_WORDS = 150  # about 200 tokens of English
OVERLAP_WORDS = 30  # about 40: a fact cut at a window's edge is whole in the next one
INSTRUCTION = "Answer the question from the passages, in a few words taken from them."


class Passage(NamedTuple):
    source: str  # the document's id (its 1-based position when it has none)
    text: str


def passages(documents: Sequence[dict[str, Any]]) -> list[Passage]:
    """Every document as overlapping windows of CHUNK_WORDS words."""
    out: list[Passage] = []
    step = CHUNK_WORDS - OVERLAP_WORDS
    for i, doc in enumerate(documents, 1):
        words = str(doc.get("text", "")).split()
        source = str(doc.get("id") or i)
        for start in range(0, max(len(words) - OVERLAP_WORDS, 1), step):
            if words[start : start + CHUNK_WORDS]:
                out.append(Passage(source, " ".join(words[start : start + CHUNK_WORDS])))
    return out


class Retriever:
    """TF-IDF cosine over the passages (scikit-learn), fitted once per suite."""

    def __init__(self, corpus: Sequence[Passage]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.corpus = list(corpus)
        # sublinear tf: a word repeated in one passage should not outweigh a rarer match.
        self._vectorizer = TfidfVectorizer(sublinear_tf=True)
        try:
            self._matrix = self._vectorizer.fit_transform([p.text for p in self.corpus])
        except ValueError:  # scikit-learn's "empty vocabulary": no word of 2+ letters anywhere
            raise UsageError("--documents: no document has a word to retrieve by") from None

    def top(self, query: str, k: int) -> list[int]:
        """The indices of the ``k`` best passages for ``query``, best first (ties: document
        order). TF-IDF rows are L2-normalised, so the dot product is the cosine."""
        import numpy as np

        scores = (self._vectorizer.transform([query]) @ self._matrix.T).toarray()[0]
        return np.argsort(-scores, kind="stable")[:k].tolist()

    def block(self, query: str, k: int) -> str:
        """The ``k`` passages for ``query``, numbered, each with its document's id."""
        return "\n".join(
            f"Passage {n} ({self.corpus[i].source}): {self.corpus[i].text}"
            for n, i in enumerate(self.top(query, k), 1)
        )


def _solved(retriever: Retriever, shots: Sequence[Example]) -> str:
    """Each demonstration: the passage its question retrieves, the question, its answer."""
    return "".join(
        f"{retriever.block(ex.input, 1)}\n{render_prompt(ex.input)}{render_target(ex.output)}\n\n"
        for ex in shots
    )


def rag(train: TaskData, test: TaskData, options: SuiteOptions) -> PromptSuite:
    corpus = passages(options.documents or [])
    if not corpus:
        raise UsageError(
            "the rag strategy retrieves from your documents: pass --documents FILE "
            "(JSON Lines with 'text' and an optional 'id')"
        )
    retriever = Retriever(corpus)
    labels = test.labels if test.task_type == "classification" else None
    shots = pick_shots(train, options.shots, options.seed)
    header = f"{INSTRUCTION}\n\n{_solved(retriever, shots)}"

    # The same solved questions head every prompt (_build's per-input picks are not used).
    def prompt(ex: Example, _demos: list[Example]) -> str:
        passages_for = retriever.block(ex.input, TOP_K)
        return header + render_prompt(ex.input, labels, instruction=passages_for)

    return _build(
        "rag",
        train,
        test,
        options,
        prompt,
        f"retrieval-augmented prompt (top {TOP_K} of {len(corpus)} passages, {len(shots)} shots)",
    )
