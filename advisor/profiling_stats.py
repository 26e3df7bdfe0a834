"""Streaming statistics for data profiling, each in bounded memory.

* ``Reservoir``: a uniform random sample of a stream of unknown length (Algorithm R).
* ``DuplicateCounter``: exact, conflicting-label and normalised-text duplicates over the
  whole stream. Below ``cap`` rows it is exact; above, it keeps only rows whose hash falls
  in a shrinking slice of the hash space ("distinct sampling"): equal rows share a hash,
  so either all copies are kept or none, and the counts scaled by the slice size are an
  unbiased estimate. Memory stays at ``cap`` 8-byte hashes per kind.
* ``near_duplicate_pairs``: MinHash over word shingles with banding, on a bounded sample.
"""

from __future__ import annotations

import hashlib
import random
import re
import string
import unicodedata
from array import array
from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")
_ASCII_PUNCT = str.maketrans({c: " " for c in string.punctuation if c != "_"})


def normalise(text: str) -> str:
    """Case, accents, punctuation and spacing removed: rows equal after this are near-duplicates."""
    if text.isascii():  # fast path: most rows
        return " ".join(text.casefold().translate(_ASCII_PUNCT).split())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACE.sub(" ", _PUNCT.sub(" ", text.casefold())).strip()


def hash64(text: str) -> int:
    """64-bit hash, stable within one process (Python's string hash: fast, seeded per run).

    Only used to compare rows of the same run, never stored, so the per-run seed is harmless.
    """
    return hash(text) & 0xFFFF_FFFF_FFFF_FFFF


class Reservoir(Generic[T]):
    """Keeps ``size`` items, each item of the stream equally likely to be among them."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size = size
        self.seen = 0
        self.items: list[T] = []
        self._rng = random.Random(seed)

    def add(self, item: T) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(item)
            return
        j = self._rng.randrange(self.seen)
        if j < self.size:
            self.items[j] = item


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of an already sorted list."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _count_repeats(values: array) -> int:
    """Rows that repeat an earlier row (total minus distinct)."""
    if not values:
        return 0
    try:
        import numpy as np

        arr = np.frombuffer(values, dtype=np.uint64)
        return int(arr.size - np.unique(arr).size)
    except ImportError:  # numpy comes with torch, but the core must not require it
        return len(values) - len(set(values))


class DuplicateCounter:
    """Counts duplicate rows over a stream in at most ``cap`` hashes per kind."""

    def __init__(self, cap: int = 1_000_000) -> None:
        self.cap = cap
        self.level = 0  # keep rows whose selector hash has ``level`` low zero bits
        self.rows = 0
        self._norm = array("Q")
        self._text = array("Q")
        self._pair = array("Q")

    def add(self, text: str, label: str) -> None:
        self.rows += 1
        norm = hash64(normalise(text))
        if norm & ((1 << self.level) - 1):
            return
        self._norm.append(norm)
        self._text.append(hash64(text))
        self._pair.append(hash64(text + "\x1f" + label))
        if len(self._norm) > self.cap:
            self._shrink()

    def _shrink(self) -> None:
        self.level += 1
        mask = (1 << self.level) - 1
        keep = [i for i, h in enumerate(self._norm) if not h & mask]
        self._norm = array("Q", (self._norm[i] for i in keep))
        self._text = array("Q", (self._text[i] for i in keep))
        self._pair = array("Q", (self._pair[i] for i in keep))

    @property
    def exact(self) -> bool:
        return self.level == 0

    def counts(self) -> dict[str, int]:
        """exact: same text and label; conflicting: same text, other label; near: same after normalise."""
        scale = 1 << self.level
        pair = _count_repeats(self._pair)
        text = _count_repeats(self._text)
        norm = _count_repeats(self._norm)
        return {
            "exact": pair * scale,
            "conflicting": (text - pair) * scale,
            "near": (norm - text) * scale,
        }


def _shingles(text: str, k: int = 3) -> set[str]:
    words = normalise(text).split()
    if len(words) < k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def near_duplicate_pairs(
    texts: list[str], *, threshold: float = 0.8, bands: int = 8, rows: int = 4
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) of texts whose word-3-gram Jaccard similarity is >= ``threshold``.

    MinHash with ``bands`` x ``rows`` hash functions finds candidates in near-linear time;
    each candidate is then checked exactly. Texts identical after normalisation are left to
    ``DuplicateCounter`` and skipped here.
    """
    n_hashes = bands * rows
    salts = [f"{i}:".encode() for i in range(n_hashes)]
    shingle_sets = [_shingles(t) for t in texts]
    buckets: dict[tuple[int, tuple[int, ...]], list[int]] = {}
    for idx, shingles in enumerate(shingle_sets):
        if not shingles:
            continue
        encoded = [s.encode("utf-8") for s in shingles]
        sig = [
            min(
                int.from_bytes(hashlib.blake2b(salt + e, digest_size=8).digest(), "little")
                for e in encoded
            )
            for salt in salts
        ]
        for b in range(bands):
            buckets.setdefault((b, tuple(sig[b * rows : (b + 1) * rows])), []).append(idx)
    candidates: set[tuple[int, int]] = set()
    for members in buckets.values():
        if 1 < len(members) <= 50:  # giant buckets are boilerplate; skip rather than go quadratic
            for a in range(len(members)):
                for b in range(a + 1, len(members)):
                    candidates.add((members[a], members[b]))
    found = []
    for i, j in sorted(candidates):
        si, sj = shingle_sets[i], shingle_sets[j]
        if si == sj:
            continue
        jac = len(si & sj) / len(si | sj)
        if jac >= threshold:
            found.append((i, j, round(jac, 3)))
    return found


def iter_batches(items: Iterable[T], size: int) -> Iterable[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
