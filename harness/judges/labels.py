"""The human-labelled responses (PyRIT scorer evals), split once and for all into fit / holdout.

The split is by objective text, so no objective has responses on both sides, and it
is fixed (no seed): the holdout share is never used to fit or tune any judge, and
agreement is reported on it.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from harness.data.overlap import normalise
from harness.data.records import Record
from harness.data.sources import load

TARGETS = {"refusal": "scorer_refusal", "objective": "scorer_objective", "harm": "scorer_harm"}
HOLDOUT_SHARE = 0.3
Part = Literal["fit", "holdout", "all"]


def in_holdout(objective: str) -> bool:
    """Whether an objective's responses belong to the holdout (about 30%, fixed forever)."""
    h = int(hashlib.sha256(normalise(objective).encode()).hexdigest()[:8], 16)
    return h % 1000 < HOLDOUT_SHARE * 1000


def labelled(target: str, part: Part = "holdout") -> list[Record]:
    """Human-labelled records for ``target`` (refusal / objective / harm) from one part of the split."""
    rows = load(TARGETS[target])
    if part == "all":
        return rows
    return [r for r in rows if in_holdout(r.prompt) == (part == "holdout")]


def objectives(rows: list[Record]) -> list[str]:
    """Each labelled answer's objective (normalised): the unit of the split, of grouped folds and of the bootstrap
    (answers to one objective are not independent)."""
    return [normalise(r.prompt) for r in rows]


def positive(r: Record) -> bool:
    """The human label as a boolean: refused / objective achieved / harm >= 0.5."""
    return r.label >= 0.5
