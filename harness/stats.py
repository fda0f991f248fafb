"""The bootstrap (one implementation for every CI in alignboard) and agreement statistics."""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import numpy as np
from pydantic import BaseModel


class Estimate(BaseModel):
    """A statistic with its 95% bootstrap CI."""

    value: float
    ci_low: float
    ci_high: float

    def __str__(self) -> str:
        def two(x: float) -> str:  # "-0.00" only says the rounding came from below zero
            return f"{x:.2f}".replace("-0.00", "0.00")

        return f"{two(self.value)} [{two(self.ci_low)}, {two(self.ci_high)}]"


def bootstrap_draws(metric: Callable[[np.ndarray], float], n: int, resamples: int = 1000, seed: int = 0,
                    rng: Optional[np.random.Generator] = None, clusters: Optional[Sequence] = None) -> np.ndarray:
    """``metric(indices)`` over ``resamples`` resamples (with replacement) of ``n`` paired items; NaN where
    a resample has no value. ``rng``: the caller's generator, when ``metric`` draws from it too. ``clusters``:
    one label per item; whole clusters are resampled, because items of one cluster (answers to one objective)
    are not independent and resampling them one by one would make the interval too narrow."""
    rng = rng if rng is not None else np.random.default_rng(seed)
    members = cluster_members(clusters, n)
    if members is not None and not members:
        return np.full(resamples, math.nan)
    return np.array([metric(resample(rng, n, members)) for _ in range(resamples)], dtype=float)


def cluster_members(clusters: Optional[Sequence], n: int) -> Optional[list[np.ndarray]]:
    """The item indices of each cluster (None: no clusters, every item its own)."""
    if clusters is None:
        return None
    _, which = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
    return [np.flatnonzero(which == k) for k in range(which.max() + 1)] if n else []


def resample(rng: np.random.Generator, n: int, members: Optional[list[np.ndarray]] = None) -> np.ndarray:
    """One bootstrap resample of ``n`` items' indices: items drawn with replacement, or whole clusters."""
    if members is None:
        return rng.integers(0, n, n)
    if not members:
        return np.zeros(0, int)
    return np.concatenate([members[k] for k in rng.integers(0, len(members), len(members))])


def percentile_ci(draws: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The percentile interval of bootstrap draws (NaN draws ignored; NaNs when there are none)."""
    values = np.asarray(draws, float)
    values = values[~np.isnan(values)]
    if not len(values):
        return (math.nan, math.nan)
    lo, hi = np.percentile(values, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return (float(lo), float(hi))


def bootstrap_ci(metric: Callable[[np.ndarray], float], n: int, resamples: int = 1000, seed: int = 0,
                 level: float = 0.95, clusters: Optional[Sequence] = None) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric(indices)`` over ``n`` paired items (``clusters``: see
    :func:`bootstrap_draws`)."""
    return percentile_ci(bootstrap_draws(metric, n, resamples, seed, clusters=clusters), level)


def mean_estimate(values: Sequence[float], clusters: Optional[Sequence] = None,
                  resamples: int = 1000) -> Optional[Estimate]:
    """The mean of ``values`` with its 95% bootstrap CI (``clusters``: see :func:`bootstrap_draws`); None without
    values."""
    if not len(values):
        return None
    v = np.asarray(values, float)
    lo, hi = bootstrap_ci(lambda idx: float(v[idx].mean()), len(v), resamples, clusters=clusters)
    return Estimate(value=float(v.mean()), ci_low=lo, ci_high=hi)


def _safe(fn: Callable[..., float]) -> Callable[..., float]:
    def wrapped(*args) -> float:
        try:
            return float(fn(*args))
        except ValueError:  # a resample with one class only
            return math.nan

    return wrapped


def kappa(labels: np.ndarray, predictions: np.ndarray) -> float:
    """Cohen's kappa of two boolean arrays; NaN when the labels hold one class only (kappa is undefined)."""
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(labels, predictions)) if len(set(labels)) > 1 else math.nan


def agreement(labels: Sequence[bool], predictions: Sequence[bool], scores: Optional[Sequence[float]] = None,
              resamples: int = 1000, seed: int = 0, clusters: Optional[Sequence] = None,
              caught: Optional[Sequence[bool]] = None) -> dict[str, dict[str, float]]:
    """Accuracy, balanced accuracy, Cohen's kappa, the miss rate (the share of positive labels not ``caught``,
    by default not predicted positive: for a harm label, harmful answers called harmless) and (with scores) AUC,
    each with a 95% bootstrap CI (over ``clusters`` of items when given)."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    y, p = np.asarray(labels, bool), np.asarray(predictions, bool)
    c = p if caught is None else np.asarray(caught, bool)
    metrics: dict[str, Callable[[np.ndarray], float]] = {
        "accuracy": lambda i: float(np.mean(y[i] == p[i])),
        "balanced_accuracy": _safe(lambda i: balanced_accuracy_score(y[i], p[i]) if len(set(y[i])) > 1 else math.nan),
        "kappa": _safe(lambda i: kappa(y[i], p[i])),
        "miss_rate": _safe(lambda i: float(np.mean(~c[i][y[i]])) if y[i].any() else math.nan),
    }
    if scores is not None:
        s = np.asarray(scores, float)
        metrics["auc"] = _safe(lambda i: roc_auc_score(y[i], s[i]) if len(set(y[i])) > 1 else math.nan)
    everything = np.arange(len(y))
    return {name: {"value": fn(everything), **dict(zip(("ci_low", "ci_high"),
                                                      bootstrap_ci(fn, len(y), resamples, seed,
                                                                   clusters=clusters)))}
            for name, fn in metrics.items()}


class CalibrationBin(BaseModel):
    """One bin of a reliability diagram: predicted probabilities in [lo, hi) and how often the label was positive."""

    lo: float
    hi: float
    n: int
    mean_predicted: float
    observed: float


class Calibration(BaseModel):
    """Reliability-diagram data and the expected calibration error (the n-weighted mean |observed - predicted|)."""

    ece: float
    bins: list[CalibrationBin]


def calibration(labels: Sequence[bool], probabilities: Sequence[float], bins: int = 10) -> Calibration:
    """How well ``probabilities`` of the positive label match how often it occurs, in ``bins`` equal-width bins."""
    y, p = np.asarray(labels, float), np.clip(np.asarray(probabilities, float), 0.0, 1.0)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.minimum(np.digitize(p, edges[1:-1]), bins - 1)
    out = [CalibrationBin(lo=float(edges[b]), hi=float(edges[b + 1]), n=int((which == b).sum()),
                          mean_predicted=float(p[which == b].mean()), observed=float(y[which == b].mean()))
           for b in range(bins) if (which == b).any()]
    ece = sum(b.n * abs(b.observed - b.mean_predicted) for b in out) / max(len(y), 1)
    return Calibration(ece=float(ece), bins=out)


def sigmoid(z) -> np.ndarray:
    """A logistic model's probability from its score."""
    return 1 / (1 + np.exp(-np.asarray(z, float)))


def logit(p) -> np.ndarray:
    """The score of a probability (clipped away from 0 and 1)."""
    p = np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def platt(p, labels) -> list[float]:
    """The Platt map [slope, intercept] on the logit that calibrates probabilities ``p`` to boolean ``labels``."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, max_iter=1000).fit(logit(p).reshape(-1, 1), np.asarray(labels, bool))
    return [float(lr.coef_[0][0]), float(lr.intercept_[0])]


def calibrate(ab: Sequence[float], p) -> np.ndarray:
    """Probabilities ``p`` through the Platt map ``ab``."""
    return sigmoid(ab[0] * logit(p) + ab[1])
