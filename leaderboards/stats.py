"""Leaderboard statistics: means with bootstrap CIs over prompts (and seeds), paired tests against a baseline."""

from __future__ import annotations

import warnings
from statistics import NormalDist
from typing import Optional, Sequence

import numpy as np

from harness.stats import bootstrap_draws, cluster_members, percentile_ci, resample


def mean_ci(matrix: np.ndarray, resamples: int = 1000, seed: int = 0,
            clusters: Optional[Sequence] = None) -> tuple[float, float, float]:
    """Mean of a seeds x prompts matrix (NaN = no value) and its 95% bootstrap CI.

    Prompts are resampled (``clusters``: one label per prompt column, whole clusters resampled, e.g. the turns of
    one conversation); seeds too when there are several (two-level bootstrap).
    """
    m = np.atleast_2d(matrix).astype(float)
    if np.isnan(m).all():
        return (float("nan"),) * 3
    rng = np.random.default_rng(seed)
    lo, hi = percentile_ci(bootstrap_draws(lambda prompts: _draw(m, rng, prompts), m.shape[1], resamples, rng=rng,
                                           clusters=clusters))
    return float(np.nanmean(m)), lo, hi


def _draw(m: np.ndarray, rng, prompts: np.ndarray) -> float:
    """One two-level bootstrap mean: the given prompt resample, the row's seeds resampled."""
    s = rng.integers(0, m.shape[0], m.shape[0]) if m.shape[0] > 1 else np.zeros(1, int)
    sub = m[np.ix_(s, prompts)]
    return np.nan if np.isnan(sub).all() else float(np.nanmean(sub))


def bootstrap_p(mean: float, draws: np.ndarray) -> float:
    """Two-sided p of "no difference" from the bootstrap standard error (normal approximation).

    Unlike counting draws on the far side of 0, it is not floored at 1/resamples, so it
    survives a multiple-comparison correction over many tests.
    """
    se = float(np.nanstd(draws, ddof=1))
    if se == 0:
        return 1.0 if mean == 0 else 0.0
    return float(2 * (1 - NormalDist().cdf(abs(mean) / se)))


def paired_difference(a: np.ndarray, b: np.ndarray, resamples: int = 1000, seed: int = 0,
                      clusters: Optional[Sequence] = None):
    """Mean of per-prompt differences a - b (each averaged over its seeds), 95% CI and two-sided p (``clusters``:
    as in :func:`mean_ci`)."""
    with warnings.catch_warnings():  # a prompt no seed could judge is NaN here, dropped below
        warnings.simplefilter("ignore", RuntimeWarning)
        d = np.nanmean(np.atleast_2d(a), axis=0) - np.nanmean(np.atleast_2d(b), axis=0)
    kept = ~np.isnan(d)
    d = d[kept]
    if len(d) == 0:
        return (float("nan"),) * 4
    boot = bootstrap_draws(lambda i: float(d[i].mean()), len(d), resamples, seed,
                           clusters=None if clusters is None else np.asarray(clusters, dtype=object)[kept])
    lo, hi = percentile_ci(boot)
    return float(d.mean()), lo, hi, bootstrap_p(float(d.mean()), boot)


def summary_draws(rows: list[list[np.ndarray]], resamples: int = 1000, seed: int = 0,
                  clusters: Optional[list[Optional[Sequence]]] = None) -> np.ndarray:
    """Bootstrap draws of each row's summary score: the mean over tasks of its task means.

    ``rows[r][t]`` is row r's seeds x prompts matrix for task t (the same prompts in every row).
    Each draw resamples every task's prompts once for all rows (so rows stay paired) and each
    row's seeds (two-level bootstrap); ``clusters[t]``: task t's prompt clusters, as in :func:`mean_ci`. Returns
    rows x resamples (NaN where a draw has no value).
    """
    rng = np.random.default_rng(seed)
    n_tasks = len(rows[0]) if rows else 0
    sizes = [rows[0][t].shape[1] for t in range(n_tasks)]
    members = [cluster_members((clusters or [None] * n_tasks)[t], sizes[t]) for t in range(n_tasks)]
    out = np.full((len(rows), resamples), np.nan)
    for b in range(resamples):
        prompts = [resample(rng, sizes[t], members[t]) for t in range(n_tasks)]
        for r, mats in enumerate(rows):
            out[r, b] = np.mean([_draw(m, rng, prompts[t]) for t, m in enumerate(mats)]) if mats else np.nan
    return out


def rank_intervals(draws: np.ndarray) -> list[tuple[int, int]]:
    """95% interval of each row's rank (1 = highest score) over the bootstrap draws."""
    ranks = (-np.nan_to_num(draws, nan=-np.inf)).argsort(axis=0).argsort(axis=0) + 1
    lo, hi = np.percentile(ranks, [2.5, 97.5], axis=1)
    return [(int(round(a)), int(round(b))) for a, b in zip(lo, hi)]


def holm(pvalues: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (same order; NaN stays NaN)."""
    idx = sorted((i for i, p in enumerate(pvalues) if not np.isnan(p)), key=lambda i: pvalues[i])
    m, out, running = len(idx), [float("nan")] * len(pvalues), 0.0
    for k, i in enumerate(idx):
        running = max(running, min(1.0, (m - k) * pvalues[i]))
        out[i] = running
    return out
