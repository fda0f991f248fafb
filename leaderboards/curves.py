"""Budget curves: a row's safety summary as a function of the tokens it was trained on (log axis).

Two figures of sample efficiency, each computed on one curve (budgets in increasing order) and, for their CIs, on
every bootstrap draw of the curve:

- :func:`mean_over_log_tokens`: the area under the curve over log10(tokens), divided by the width of the range, so
  it reads as a harmless rate (the curve's mean height over that range). Rows are compared over the range every
  trained row covers (:func:`common_range`); the curve is linear in log tokens between budgets and is not
  extrapolated. An untrained row (0 tokens at every budget) is flat: its value is its mean.
- :func:`tokens_to_reach`: the tokens at which the curve first reaches a target rate, interpolated linearly in log
  tokens between the two budgets that bracket the first crossing; None when no budget reaches it (a non-monotone
  curve counts its first crossing, not a later dip).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np


def _curve(tokens: Sequence[float], values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    t, v = np.asarray(tokens, float), np.asarray(values, float)
    if t.shape != v.shape or not len(t):
        raise ValueError("a curve needs one value per budget")
    if t.max() > 0 and np.any(np.diff(t) <= 0):  # an untrained row is 0 tokens at every budget
        raise ValueError("a curve's tokens must increase with its budget")
    return t, v


def common_range(curves: Sequence[Sequence[float]]) -> Optional[tuple[float, float]]:
    """The tokens range every trained curve covers: (largest first budget, smallest last budget); None when the
    trained curves do not overlap or there are none."""
    trained = [np.asarray(t, float) for t in curves if np.asarray(t, float).max() > 0]
    if not trained:
        return None
    lo, hi = max(t[t > 0].min() for t in trained), min(t.max() for t in trained)
    return (lo, hi) if lo < hi else None


def _at(t: np.ndarray, v: np.ndarray, x: float) -> float:
    """The curve's value at tokens ``x`` (linear in log tokens)."""
    return float(np.interp(math.log10(x), np.log10(t), v))


def mean_over_log_tokens(tokens: Sequence[float], values: Sequence[float], lo: float, hi: float) -> float:
    """The area under the curve between tokens ``lo`` and ``hi`` on a log10 axis, over the range's width; NaN when
    a value is missing or the curve does not cover the range."""
    t, v = _curve(tokens, values)
    if np.isnan(v).any():
        return math.nan
    if t.max() == 0:  # untrained: flat
        return float(v.mean())
    t, v = t[t > 0], v[t > 0]
    if lo < t.min() or hi > t.max() or not lo < hi:
        return math.nan
    inside = (t > lo) & (t < hi)
    x = np.log10(np.concatenate([[lo], t[inside], [hi]]))
    y = np.concatenate([[_at(t, v, lo)], v[inside], [_at(t, v, hi)]])
    return float(np.trapezoid(y, x) / (x[-1] - x[0]))


def tokens_to_reach(tokens: Sequence[float], values: Sequence[float], target: float) -> Optional[float]:
    """Tokens at which the curve first reaches ``target`` (interpolated in log tokens); None when it never does.
    A curve already at the target on its first budget reaches it there."""
    t, v = _curve(tokens, values)
    for i, value in enumerate(v):
        if np.isnan(value):
            return None  # an unmeasured budget: where it crossed cannot be told
        if value >= target:
            if i == 0 or v[i] == v[i - 1]:
                return float(t[i])
            if t[i - 1] <= 0:
                return float(t[i])  # from an untrained point there is no log-axis interpolation
            frac = (target - v[i - 1]) / (v[i] - v[i - 1])
            return float(10 ** (math.log10(t[i - 1]) + frac * (math.log10(t[i]) - math.log10(t[i - 1]))))
    return None


def reach_interval(draws: np.ndarray) -> tuple[float, float]:
    """The 95% interval of tokens-to-reach draws, inf standing for "not reached" in a draw: read off the draws
    themselves (no interpolation, which between two inf draws would give NaN, not "not reached")."""
    d = np.asarray(draws, float)
    d = d[~np.isnan(d)]
    if not len(d):
        return (math.nan, math.nan)
    lo, hi = np.percentile(d, [2.5, 97.5], method="inverted_cdf")
    return float(lo), float(hi)


def _or(mean: Optional[list]) -> float:
    return -math.inf if not mean or math.isnan(mean[0]) else mean[0]


def budget_stores(store, board: "Leaderboard") -> dict[int, Optional[Path]]:
    """The results stores of a run's budget curve when ``store`` is a run's main store (ROOT/store, the board built
    from it) with the other budgets beside it (ROOT/curve/N-steps/store): {steps: store}, None standing for
    ``store`` itself at the main budget (the most optimizer steps any of its rows took); {} without a curve."""
    store = Path(store)
    others = {int(p.parent.name.split("-")[0]): p for p in (store.parent / "curve").glob("*-steps/store")
              if store.name == "store" and p.is_dir() and p.parent.name.split("-")[0].isdigit()}
    main = max((int((e.cost or {}).get("optimizer_steps", 0)) for r in board.rows for e in r.entries), default=0)
    if not others or main < 1:
        return {}
    return {**others, main: None}


def curve(boards: dict[int, "Leaderboard"], target: float = 0.8, resamples: int = 1000, seed: int = 0) -> dict:
    """The budget curve of the rows every board has: per row and budget its tokens trained and summaries (with the
    boards' CIs); per row its mean safety over the common log-tokens range and the tokens to reach ``target``, each
    with a 95% CI from one two-level bootstrap over prompts (paired across budgets and rows) and seeds; the
    differences of those means to the baseline and between rows (Holm over all of them); and the pairs of rows whose
    order changes across budgets, each marked a reversal only where both orders are separable."""
    from harness.stats import percentile_ci
    from leaderboards.board import _conversations, _matrix
    from leaderboards.stats import bootstrap_p, holm, summary_draws

    budgets = sorted(boards)
    labels = [r.label for r in boards[budgets[0]].rows if all(any(o.label == r.label for o in boards[b].rows)
                                                               for b in budgets)]
    row = {(b, r.label): r for b in budgets for r in boards[b].rows}
    tasks = boards[budgets[0]].summary_tasks("safety")
    metric = {t: boards[budgets[0]].tasks[t].primary_metric for t in tasks}
    ids = {t: sorted(set.intersection(*({s.id for s in e.samples.get(t, [])} for b in budgets for lab in labels
                                         for e in row[b, lab].entries))) for t in tasks}
    draws = summary_draws([[_matrix(row[b, lab].entries, t, metric[t], ids[t]) for t in tasks]
                           for lab in labels for b in budgets], resamples, seed,
                          clusters=[_conversations(ids[t]) for t in tasks]) if tasks else None
    tokens = {lab: [row[b, lab].tokens_trained for b in budgets] for lab in labels}
    span = common_range(list(tokens.values()))
    out = {"budgets": budgets, "target": target, "range": list(span) if span else None, "rows": {}, "pairs": [],
           "order_changes": []}
    means: dict[str, np.ndarray] = {}
    for i, lab in enumerate(labels):
        values = [row[b, lab].safety for b in budgets]
        entry = {"tokens": tokens[lab], "safety": values, "safety_ci": [list(row[b, lab].safety_ci) for b in budgets],
                 "helpfulness": [row[b, lab].helpfulness for b in budgets],
                 "helpfulness_ci": [list(row[b, lab].helpfulness_ci) for b in budgets]}
        d = draws[i * len(budgets):(i + 1) * len(budgets)] if draws is not None else None
        if span and d is not None:
            means[lab] = np.array([mean_over_log_tokens(tokens[lab], d[:, k], *span) for k in range(resamples)])
            entry["mean_over_log_tokens"] = [mean_over_log_tokens(tokens[lab], values, *span),
                                             *percentile_ci(means[lab])]
        if d is not None and max(tokens[lab]) > 0:
            reach = np.array([tokens_to_reach(tokens[lab], d[:, k], target) or math.inf for k in range(resamples)])
            point = tokens_to_reach(tokens[lab], values, target) or math.inf
            entry["tokens_to_reach"] = [None if math.isinf(x) else x for x in (point, *reach_interval(reach))]
        out["rows"][lab] = entry
    # the most sample-efficient first (rows without the figure last, in the first budget's order)
    out["rows"] = dict(sorted(out["rows"].items(), key=lambda kv: -_or(kv[1].get("mean_over_log_tokens"))))
    base = next((r.label for r in boards[budgets[0]].rows if r.baseline), None)
    tests = [(a, b) for a in means for b in means if a != b and (b == base or (a < b and base not in (a, b)))]
    ps = []
    for a, b in tests:
        diff = means[a] - means[b]
        point = out["rows"][a]["mean_over_log_tokens"][0] - out["rows"][b]["mean_over_log_tokens"][0]
        lo, hi = percentile_ci(diff)
        ps.append(bootstrap_p(point, diff))
        out["pairs"].append({"row": a, "against": b, "diff": point, "ci": [lo, hi], "p": ps[-1]})
    for pair, p in zip(out["pairs"], holm(ps)):
        pair["p_holm"] = p
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            order = {k: row[k, a].safety > row[k, b].safety for k in budgets
                     if not math.isnan(row[k, a].safety - row[k, b].safety) and row[k, a].safety != row[k, b].safety}
            if len(set(order.values())) < 2:
                continue
            separable = {k: (a, b) not in boards[k].inseparable and (b, a) not in boards[k].inseparable for k in order}
            reversal = any(separable[k] for k in order if order[k]) and any(separable[k] for k in order if not order[k])
            out["order_changes"].append({"rows": [a, b], "a_ahead_at": [k for k in order if order[k]],
                                         "b_ahead_at": [k for k in order if not order[k]], "reversal": reversal})
    return out
