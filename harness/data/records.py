"""The one record type every data source becomes, and deterministic splits."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Iterable, Optional


@dataclass(frozen=True)
class Record:
    """One prompt and whatever the source knows about it.

    ``harmful`` says whether the *prompt* is a harmful request. ``response`` with
    ``label``/``label_name`` is a human-labelled response (judge validation);
    ``harmful_response``/``harmless_response`` are y-/y+ for training;
    ``reference`` is a reference answer to a benign prompt; ``turns`` holds every
    user turn of a multi-turn prompt (``prompt`` is always the first); ``request`` is
    the plain request that an attack prompt wraps (or that HarmBench shows after its context);
    ``context`` is a HarmBench behaviour's context string.
    """

    id: str
    prompt: str
    category: str
    source: str
    harmful: bool
    harmful_response: Optional[str] = None
    harmless_response: Optional[str] = None
    reference: Optional[str] = None
    response: Optional[str] = None
    label: Optional[float] = None
    label_name: Optional[str] = None
    turns: Optional[tuple[str, ...]] = None
    request: Optional[str] = None  # an attack prompt's plain request (checked for leaks too)
    context: Optional[str] = None

    def to_dict(self) -> dict:
        """Plain dict, dropping empty optional fields."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def _rank(seed: int, record_id: str) -> str:
    return hashlib.sha256(f"{seed}\x00{record_id}".encode()).hexdigest()


def split(records: Iterable[Record], eval_fraction: float, seed: int) -> tuple[list[Record], list[Record]]:
    """Deterministic (train, eval) split by seed.

    Each record's side depends only on (seed, its id), not on the order or the
    other records, so adding rows to a source never moves existing ones and two
    machines agree. Both halves keep the input order.
    """
    if not 0.0 <= eval_fraction <= 1.0:
        raise ValueError(f"eval_fraction must be in [0, 1], got {eval_fraction}")
    records = list(records)
    ids = [r.id for r in records]
    if len(set(ids)) != len(ids):
        raise ValueError("record ids must be unique to split deterministically")
    ranked = sorted(ids, key=lambda i: _rank(seed, i))
    eval_ids = set(ranked[: round(len(ranked) * eval_fraction)])
    return [r for r in records if r.id not in eval_ids], [r for r in records if r.id in eval_ids]


def fixed_sample(records: Iterable[Record], n: int) -> list[Record]:
    """``n`` records chosen by a hash of their ids: the same rows on every machine, no seed."""
    return sorted(records, key=lambda r: hashlib.sha256(r.id.encode()).hexdigest())[:n]
