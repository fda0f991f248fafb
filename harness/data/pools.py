"""Training and evaluation pools drawn from registered sources, guaranteed disjoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache

from harness.data.overlap import decontaminate, overlap
from harness.data.records import Record, split
from harness.data.sources import load


@dataclass(frozen=True)
class PoolSpec:
    """Which sources feed training and evaluation.

    ``split_sources`` are divided by seed into a training and an evaluation half;
    ``train_sources`` are training-only (e.g. a hub dataset's train split) and
    ``eval_sources`` evaluation-only (``NAME:SPLIT`` picks a hub split, e.g.
    ``pku_saferlhf:test``). Training rows that duplicate any evaluation prompt
    (exactly or nearly) are dropped.
    """

    split_sources: tuple[str, ...] = ("advbench", "donotanswer", "answer_pairs")
    eval_sources: tuple[str, ...] = ("harmbench", "strongreject", "mtbench", "overrefusal")
    eval_fraction: float = 0.5
    seed: int = 0
    near_threshold: float = 0.8
    train_sources: tuple[str, ...] = ()

    def to_meta(self) -> dict:
        """Plain data for lm-eval task metadata (``--metadata '{"pools": ...}'``)."""
        return asdict(self)

    @classmethod
    def from_meta(cls, meta: dict | None) -> "PoolSpec":
        """The spec carried in task metadata; the defaults when there is none (stock CLI)."""
        meta = dict(meta or {})
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in meta.items()})


@dataclass
class Pools:
    """``harmful_train`` is H, ``benign_train`` is B; ``eval`` maps source name to its evaluation rows."""

    harmful_train: list[Record]
    benign_train: list[Record]
    eval: dict[str, list[Record]] = field(default_factory=dict)
    dropped: int = 0  # training rows removed by the contamination guard
    spec: "PoolSpec | None" = None  # what built them (recorded with every artifact)

    def eval_records(self) -> list[Record]:
        """All evaluation rows, every source together."""
        return [r for rows in self.eval.values() for r in rows]


@lru_cache(maxsize=4)
def build_pools(spec: PoolSpec = PoolSpec()) -> Pools:
    """Split, gather and decontaminate; the result's train and eval prompts do not overlap.

    Cached per spec within a process: every task of an evaluation reads the same pools.
    """
    train: list[Record] = []
    for name in spec.train_sources:
        train += load(name)
    evals: dict[str, list[Record]] = {}
    for name in spec.split_sources:
        tr, ev = split(load(name), spec.eval_fraction, spec.seed)
        train += tr
        evals[name] = ev
    for name in spec.eval_sources:
        evals[name] = load(name)
    eval_texts = [t for rows in evals.values() for r in rows for t in (r.prompt, r.request) if t]
    clean = decontaminate(train, eval_texts, threshold=spec.near_threshold)
    # Near-duplicates inside one split source (AdvBench has many) can also sit on
    # both sides of its split; the guard above removes the training copy.
    if not overlap([r.prompt for r in clean], eval_texts, spec.near_threshold).clean:
        raise RuntimeError("contamination guard failed: training prompts still overlap evaluation prompts")
    return Pools([r for r in clean if r.harmful], [r for r in clean if not r.harmful], evals, len(train) - len(clean),
                 spec)
