"""Power planning for paired comparisons of two aligners on the same prompts.

Two models of the variance, each stated with its result:

* no pilot run: the two-proportion formula for a harmless rate (independent answers,
  p = 0.5 unless a baseline rate is given) -- conservative, since pairing on the same
  prompts only lowers the variance;
* a pilot run (a results store): for each pair of rows, the variance components of their
  per-prompt paired differences over seeds and prompts (:class:`Components`), so that more
  prompts shrink only the prompt-level part and more seeds only the seed-level part.
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


def n_paired(prompt_sd: float, effect: float, seeds: int = 1, seed_sd: float = 0.0, residual_sd: float = 0.0,
             alpha: float = 0.05, power: float = 0.8) -> Optional[int]:
    """Prompts needed with ``seeds`` seeds to detect ``effect``, under the variance model of :class:`Components`.

    None when the seed-to-seed spread alone is too large for ``seeds`` seeds (more prompts cannot help).
    """
    room = (effect / _z(alpha, power)) ** 2 - seed_sd ** 2 / seeds
    if room <= 0:
        return None
    return max(1, math.ceil((prompt_sd ** 2 + residual_sd ** 2 / seeds) / room))


def mdd_paired(prompt_sd: float, n: int, seeds: int = 1, seed_sd: float = 0.0, residual_sd: float = 0.0,
               alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest mean paired difference ``n`` prompts x ``seeds`` seeds detect."""
    return _z(alpha, power) * math.sqrt(prompt_sd ** 2 / n + seed_sd ** 2 / seeds + residual_sd ** 2 / (n * seeds))


@dataclass
class Components:
    """Variance components of a row pair's harmless difference d[seed, prompt] = mu + a_p + b_s + e_sp.

    ``prompt`` (sd of a_p): prompts differ in how much the pair differs -- more seeds do not average
    it away; ``seed`` (sd of b_s): a training seed shifts the whole difference -- more prompts do not
    average it away; ``residual`` (sd of e_sp, the seed x prompt interaction). Method-of-moments
    estimates of the two-way layout without replication, negative components set to 0. With one
    seed the seed spread cannot be seen (assumed 0) and all prompt-level variance counts as ``prompt``.
    """

    mean: float
    prompt: float
    seed: float
    residual: float
    prompts: int
    seeds: int

    def n(self, effect: float, seeds: int, alpha: float = 0.05, power: float = 0.8) -> Optional[int]:
        return n_paired(self.prompt, effect, seeds, self.seed, self.residual, alpha, power)

    def mdd(self, n: Optional[int] = None, seeds: Optional[int] = None, alpha: float = 0.05,
            power: float = 0.8) -> float:
        return mdd_paired(self.prompt, n or self.prompts, seeds or self.seeds, self.seed, self.residual, alpha, power)


def components(d: np.ndarray) -> Components:
    """Estimate :class:`Components` from a seeds x prompts matrix of paired differences (no NaN)."""
    s, n = d.shape
    if s < 2:
        return Components(float(d.mean()), float(d.std(ddof=1)), 0.0, 0.0, n, s)
    grand = d.mean()
    ms_seed = n * ((d.mean(axis=1) - grand) ** 2).sum() / (s - 1)
    ms_prompt = s * ((d.mean(axis=0) - grand) ** 2).sum() / (n - 1)
    resid = d - d.mean(axis=1, keepdims=True) - d.mean(axis=0, keepdims=True) + grand
    ms_resid = (resid ** 2).sum() / ((s - 1) * (n - 1))
    return Components(float(grand), math.sqrt(max(0.0, (ms_prompt - ms_resid) / s)),
                      math.sqrt(max(0.0, (ms_seed - ms_resid) / n)), math.sqrt(ms_resid), n, s)


def pooled(pairs: list[Components]) -> Components:
    """The typical pair: each variance component averaged over ``pairs`` (reported as an sd)."""
    rms = lambda xs: math.sqrt(sum(x * x for x in xs) / len(xs))  # noqa: E731
    return Components(math.nan, rms([c.prompt for c in pairs]), rms([c.seed for c in pairs]),
                      rms([c.residual for c in pairs]), min(c.prompts for c in pairs), max(c.seeds for c in pairs))


def pilot_pairs(board, against_baseline: bool = False) -> dict[tuple[str, str], Components]:
    """Variance components of every row pair on the harmful-prompt tasks of a built leaderboard (prompts
    pooled over the tasks; prompts some seed of either row could not judge dropped); with
    ``against_baseline``, of the pairs the leaderboard tests (each row against the baseline) only."""
    from leaderboards.board import _matrix

    tasks = board.summary_tasks("safety")
    base = next((r for r in board.rows if r.baseline), None)
    if len(board.rows) < 2 or not tasks or (against_baseline and base is None):
        return {}

    def stacked(row):  # seeds x every harmful prompt
        ids = {t: sorted({s.id for s in row.entries[0].samples.get(t, [])}) for t in tasks}
        return np.concatenate([_matrix(row.entries, t, board.tasks[t].primary_metric, ids[t]) for t in tasks], axis=1)

    mats = {r.label: stacked(r) for r in board.rows}
    labels = list(mats)
    pairs = {}
    for i, first in enumerate(labels):
        for second in labels[i + 1:]:
            if against_baseline and base.label not in (first, second):
                continue
            a, b = (second, first) if base and first == base.label else (first, second)  # row minus baseline
            k, width = min(len(mats[a]), len(mats[b])), min(mats[a].shape[1], mats[b].shape[1])
            d = mats[a][:k, :width] - mats[b][:k, :width]  # seeds paired by position: independent trainings
            pairs[(a, b)] = components(d[:, ~np.isnan(d).any(axis=0)])
    return pairs
