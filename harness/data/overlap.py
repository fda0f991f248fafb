"""Contamination guard: exact and near-duplicate overlap between two prompt sets."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Sequence

_NON_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Case-folded, accent-stripped text with punctuation and runs of space collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _NON_WORD.sub(" ", text).strip()


def shingles(text: str, n: int = 5) -> frozenset[str]:
    """Character n-grams of the normalised text (the whole text when shorter than n)."""
    t = normalise(text)
    return frozenset(t[i : i + n] for i in range(max(1, len(t) - n + 1)))


@dataclass
class OverlapReport:
    """Pairs (index in a, index in b) that are exact or near duplicates."""

    exact: list[tuple[int, int]] = field(default_factory=list)
    near: list[tuple[int, int, float]] = field(default_factory=list)
    threshold: float = 0.8

    @property
    def clean(self) -> bool:
        """True when the two sets share no exact or near-duplicate prompt."""
        return not self.exact and not self.near

    def contaminated_a(self) -> set[int]:
        """Indices in ``a`` that have any duplicate in ``b``."""
        return {i for i, _ in self.exact} | {i for i, _, _ in self.near}


def overlap(a: Sequence[str], b: Sequence[str], threshold: float = 0.8, n: int = 5) -> OverlapReport:
    """Exact (equal after normalisation) and near (n-gram Jaccard >= threshold) duplicates of a in b.

    An inverted index over b's shingles counts shared shingles, so only pairs that
    share at least one n-gram are ever compared.
    """
    report = OverlapReport(threshold=threshold)
    norm_b: dict[str, list[int]] = defaultdict(list)
    for j, t in enumerate(b):
        norm_b[normalise(t)].append(j)
    sh_b = [shingles(t, n) for t in b]
    index: dict[str, list[int]] = defaultdict(list)
    for j, s in enumerate(sh_b):
        for g in s:
            index[g].append(j)
    for i, t in enumerate(a):
        exact = norm_b.get(normalise(t), [])
        report.exact += [(i, j) for j in exact]
        sa = shingles(t, n)
        shared = Counter(j for g in sa for j in index.get(g, ()))
        for j, k in shared.items():
            if j in exact:
                continue
            jac = k / (len(sa) + len(sh_b[j]) - k)
            if jac >= threshold:
                report.near.append((i, j, round(jac, 4)))
    return report


def decontaminate(train: Sequence, against: Sequence[str], key=lambda r: r.prompt, threshold: float = 0.8) -> list:
    """``train`` without every item whose ``key`` duplicates (exactly or nearly) one of the texts ``against``."""
    bad = overlap([key(r) for r in train], list(against), threshold).contaminated_a()
    return [r for i, r in enumerate(train) if i not in bad]
