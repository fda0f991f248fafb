"""Training and evaluation pools drawn from registered sources, guaranteed disjoint."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.data.overlap import decontaminate, overlap
from harness.data.records import Record, split
from harness.data.sources import load


@dataclass(frozen=True)
class PoolSpec:
    """Which sources feed training and evaluation.

    ``split_sources`` are divided by seed into a training and an evaluation half;
    ``eval_sources`` are evaluation-only. Training rows that duplicate any
    evaluation prompt (exactly or nearly) are dropped.
    """

    split_sources: tuple[str, ...] = ("advbench", "donotanswer", "answer_pairs")
    eval_sources: tuple[str, ...] = ("harmbench", "strongreject", "mtbench", "overrefusal")
    eval_fraction: float = 0.5
    seed: int = 0
    near_threshold: float = 0.8


@dataclass
class Pools:
    """``harmful_train`` is H, ``benign_train`` is B; ``eval`` maps source name to its evaluation rows."""

    harmful_train: list[Record]
    benign_train: list[Record]
    eval: dict[str, list[Record]] = field(default_factory=dict)
    dropped: int = 0  # training rows removed by the contamination guard

    def eval_records(self) -> list[Record]:
        """All evaluation rows, every source together."""
        return [r for rows in self.eval.values() for r in rows]


def build_pools(spec: PoolSpec = PoolSpec()) -> Pools:
    """Split, gather and decontaminate; the result's train and eval prompts do not overlap."""
    train: list[Record] = []
    evals: dict[str, list[Record]] = {}
    for name in spec.split_sources:
        tr, ev = split(load(name), spec.eval_fraction, spec.seed)
        train += tr
        evals[name] = ev
    for name in spec.eval_sources:
        evals[name] = load(name)
    all_eval = [r for rows in evals.values() for r in rows]
    clean = decontaminate(train, all_eval, threshold=spec.near_threshold)
    # Near-duplicates inside one split source (AdvBench has many) can also sit on
    # both sides of its split; the guard above removes the training copy.
    if not overlap([r.prompt for r in clean], [r.prompt for r in all_eval], spec.near_threshold).clean:
        raise RuntimeError("contamination guard failed: training prompts still overlap evaluation prompts")
    return Pools([r for r in clean if r.harmful], [r for r in clean if not r.harmful], evals, len(train) - len(clean))
