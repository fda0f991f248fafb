"""Leaderboard statistics: means with bootstrap CIs over prompts (and seeds), paired tests against a baseline."""

from __future__ import annotations

import numpy as np


def mean_ci(matrix: np.ndarray, resamples: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """Mean of a seeds x prompts matrix (NaN = no value) and its 95% bootstrap CI.

    Prompts are resampled; seeds too when there are several (two-level bootstrap).
    """
    m = np.atleast_2d(matrix).astype(float)
    if np.isnan(m).all():
        return (float("nan"),) * 3
    rng = np.random.default_rng(seed)
    n_seeds, n_prompts = m.shape
    stats = []
    for _ in range(resamples):
        s = rng.integers(0, n_seeds, n_seeds) if n_seeds > 1 else np.zeros(1, int)
        p = rng.integers(0, n_prompts, n_prompts)
        v = np.nanmean(m[np.ix_(s, p)]) if not np.isnan(m[np.ix_(s, p)]).all() else np.nan
        stats.append(v)
    lo, hi = np.nanpercentile(stats, [2.5, 97.5])
    return float(np.nanmean(m)), float(lo), float(hi)


def paired_difference(a: np.ndarray, b: np.ndarray, resamples: int = 1000, seed: int = 0):
    """Mean of per-prompt differences a - b (each averaged over its seeds), 95% CI and two-sided bootstrap p."""
    d = np.nanmean(np.atleast_2d(a), axis=0) - np.nanmean(np.atleast_2d(b), axis=0)
    d = d[~np.isnan(d)]
    if len(d) == 0:
        return (float("nan"),) * 4
    rng = np.random.default_rng(seed)
    boot = np.array([d[rng.integers(0, len(d), len(d))].mean() for _ in range(resamples)])
    lo, hi = np.percentile(boot, [2.5, 97.5])
    p = min(1.0, 2 * min(np.mean(boot <= 0), np.mean(boot >= 0)))
    return float(d.mean()), float(lo), float(hi), max(float(p), 1.0 / (resamples + 1))
