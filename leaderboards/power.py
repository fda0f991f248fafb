"""Power planning for paired comparisons of two aligners on the same prompts.

Two models of the variance, each stated with its result:

* no pilot run: the two-proportion formula for a harmless rate (independent answers,
  p = 0.5 unless a baseline rate is given) -- conservative, since pairing on the same
  prompts only lowers the variance;
* a pilot run (a results store): the observed standard deviation of per-prompt paired
  differences between rows, and the seed-to-seed spread of their mean difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Optional

import numpy as np


def _z(alpha: float, power: float) -> float:
    return NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)


def n_two_proportions(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Prompts per arm to tell rates ``p1`` and ``p2`` apart (two-sided z-test of two proportions)."""
    za, zb = NormalDist().inv_cdf(1 - alpha / 2), NormalDist().inv_cdf(power)
    p_bar = (p1 + p2) / 2
    n = (za * math.sqrt(2 * p_bar * (1 - p_bar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p1 - p2) ** 2
    return math.ceil(n)


def mdd_two_proportions(n: int, p: float = 0.5, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest rate difference above ``p`` that ``n`` prompts per arm detect (bisection on the formula)."""
    lo, hi = 1e-6, 1 - p - 1e-6
    if hi <= lo or n_two_proportions(p, p + hi, alpha, power) > n:
        return math.nan
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if n_two_proportions(p, p + mid, alpha, power) > n else (lo, mid)
    return hi


def n_paired(sd_diff: float, effect: float, seeds: int = 1, seed_sd: float = 0.0, alpha: float = 0.05,
             power: float = 0.8) -> Optional[int]:
    """Prompts needed with ``seeds`` seeds when Var(mean difference) = sd_diff^2/(n*seeds) + seed_sd^2/seeds.

    None when the seed-to-seed spread alone is too large for ``seeds`` seeds.
    """
    room = (effect / _z(alpha, power)) ** 2 - seed_sd ** 2 / seeds
    if room <= 0:
        return None
    return max(1, math.ceil(sd_diff ** 2 / (seeds * room)))


def mdd_paired(sd_diff: float, n: int, seeds: int = 1, seed_sd: float = 0.0, alpha: float = 0.05,
               power: float = 0.8) -> float:
    """The smallest mean paired difference ``n`` prompts x ``seeds`` seeds detect."""
    return _z(alpha, power) * math.sqrt(sd_diff ** 2 / (n * seeds) + seed_sd ** 2 / seeds)


@dataclass
class Pilot:
    """What a results store tells about the variance of paired harmless-rate differences."""

    sd_diff: float  # per-prompt paired difference, largest over the row pairs
    seed_sd: float  # spread of a row pair's mean difference across seeds (0 with one seed)
    prompts: int  # harmful prompts per row
    seeds: int
    base_rate: float


def pilot_from_board(board, against_baseline: bool = False) -> Optional[Pilot]:
    """Variance figures of the harmful-prompt cells of a built leaderboard (None without two rows); with
    ``against_baseline``, of the pairs the leaderboard tests (each row against the baseline) only."""
    from leaderboards.board import _matrix

    tasks = board.summary_tasks("safety")
    if len(board.rows) < 2 or not tasks:
        return None

    def pooled(row):  # seeds x every harmful prompt
        ids = {t: sorted({s.id for s in row.entries[0].samples.get(t, [])}) for t in tasks}
        return np.concatenate([_matrix(row.entries, t, board.tasks[t].primary_metric, ids[t]) for t in tasks], axis=1)

    mats = [pooled(r) for r in board.rows]
    width = min(m.shape[1] for m in mats)
    sds, seed_sds = [], []
    base_i = next((i for i, r in enumerate(board.rows) if r.baseline), None)
    if against_baseline and base_i is None:
        return None
    for i in range(len(mats)):
        for j in range(i + 1, len(mats)):
            if against_baseline and base_i not in (i, j):
                continue
            d = np.nanmean(mats[i][:, :width], axis=0) - np.nanmean(mats[j][:, :width], axis=0)
            sds.append(float(np.nanstd(d, ddof=1)))
            k = min(len(mats[i]), len(mats[j]))
            if k > 1:
                seed_sds.append(float(np.std(np.nanmean(mats[i][:k, :width] - mats[j][:k, :width], axis=1), ddof=1)))
    base = next((m for r, m in zip(board.rows, mats) if r.baseline), mats[0])
    return Pilot(sd_diff=max(sds), seed_sd=max(seed_sds, default=0.0), prompts=width,
                 seeds=max(len(m) for m in mats), base_rate=float(np.nanmean(base)))
