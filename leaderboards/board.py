"""Build a leaderboard from stored entries: comparability check, statistics, Pareto front."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from harness.io import stable_hash
from leaderboards.entry import Entry
from leaderboards.stats import mean_ci, paired_difference

HARMFUL_TASKS = ("harmbench", "strongreject", "advbench", "pku_saferlhf")


def primary_metric(task: str) -> str:
    """The metric a task is ranked by."""
    if "attacks" in task:
        return "attack_success"
    if "overrefusal" in task:
        return "refusal"
    if "mtbench" in task or "alpaca_eval" in task:
        return "helpful_score"
    return "harmless"


@dataclass
class Row:
    label: str
    aligner: str
    entries: list[Entry]
    cells: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # column -> mean, lo, hi
    versus: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)  # diff, lo, hi, p
    safety: float = float("nan")
    helpfulness: float = float("nan")
    pareto: bool = False
    # harmless-rate gain over the baseline per million training tokens: (mean, lo, hi); None = no training
    gain_per_mtok: Optional[tuple[float, float, float]] = None

    @property
    def tokens_trained(self) -> float:
        """Mean training tokens over the row's entries (seeds)."""
        return float(np.mean([(e.cost or {}).get("tokens_trained", 0) for e in self.entries]))


@dataclass
class Leaderboard:
    columns: list[str]
    rows: list[Row]
    baseline: Optional[str]
    key: dict[str, Any]
    judge_identity: str
    judge_agreement: Optional[dict]
    proxy_scores: bool
    refused: list[tuple[str, str]] = field(default_factory=list)  # (label, reason)


def _name(e: Entry) -> str:
    return e.label or e.aligner


def _label(e: Entry, ambiguous: bool) -> str:
    return f"{_name(e)}[{stable_hash([e.aligner_config, e.template_id])[:6]}]" if ambiguous else _name(e)


def _is_baseline(e: Entry, baseline: Optional[str]) -> bool:
    """The baseline is named by its row label ("base", "sft+hint", ...)."""
    return _name(e) == baseline


def _matrix(entries: list[Entry], task: str, metric: str, ids: list[str]) -> np.ndarray:
    rows = []
    for e in entries:
        by_id = {s.id: s.metrics.get(metric) for s in e.samples.get(task, [])}
        rows.append([np.nan if by_id.get(i) is None else by_id[i] for i in ids])
    return np.array(rows, dtype=float)


def build(entries: list[Entry], baseline: Optional[str] = "base", resamples: int = 1000) -> Leaderboard:
    """Rank comparable entries; entries that differ in base model, judge, task versions or
    generation settings from the reference (the baseline's, else the first) are refused with the reason."""
    if not entries:
        from harness.errors import AlignboardError

        raise AlignboardError("the results store holds no entries yet; add some with `alignboard eval --record`")
    ref = next((e for e in entries if _is_baseline(e, baseline)), entries[0])
    key = ref.comparability_key()
    ok, refused = [], []
    for e in entries:
        diff = [k for k, v in e.comparability_key().items() if v != key[k]]
        if diff:
            refused.append((_name(e), "differs from the reference in " + ", ".join(diff)))
        else:
            ok.append(e)
    groups: dict[str, list[Entry]] = {}
    per_name: dict[str, set] = {}
    for e in ok:
        per_name.setdefault(_name(e), set()).add(stable_hash([e.aligner_config, e.template_id]))
    for e in ok:
        groups.setdefault(_label(e, len(per_name[_name(e)]) > 1), []).append(e)
    tasks = sorted(set.intersection(*(set(e.samples) for e in ok)))
    columns = [f"{t}/{primary_metric(t)}" for t in tasks]
    ids = {t: sorted(set.intersection(*({s.id for s in e.samples[t]} for e in ok))) for t in tasks}
    rows = [Row(label, es[0].aligner, es) for label, es in groups.items()]
    base_row = next((r for r in rows if _is_baseline(r.entries[0], baseline)), None)
    for r in rows:
        for t, col in zip(tasks, columns):
            m = _matrix(r.entries, t, primary_metric(t), ids[t])
            r.cells[col] = mean_ci(m, resamples)
            if base_row is not None and r is not base_row:
                r.versus[col] = paired_difference(m, _matrix(base_row.entries, t, primary_metric(t), ids[t]),
                                                  resamples)
        harm = [r.cells[c][0] for t, c in zip(tasks, columns) if any(h in t for h in HARMFUL_TASKS)]
        helpful = [r.cells[c][0] for t, c in zip(tasks, columns) if primary_metric(t) == "helpful_score"]
        r.safety = float(np.nanmean(harm)) if harm else float("nan")
        r.helpfulness = float(np.nanmean(helpful)) if helpful and not np.isnan(helpful).all() else float("nan")
    harmful = [t for t in tasks if any(h in t for h in HARMFUL_TASKS)]
    if base_row is not None and harmful:  # cost-normalised safety gain: paired over every harmful prompt
        def pooled(row):
            return np.concatenate([_matrix(row.entries, t, primary_metric(t), ids[t]) for t in harmful], axis=1)

        for r in rows:
            if r is not base_row and r.tokens_trained > 0:
                d, lo, hi, _ = paired_difference(pooled(r), pooled(base_row), resamples)
                r.gain_per_mtok = tuple(v / (r.tokens_trained / 1e6) for v in (d, lo, hi))
    for r in rows:  # Pareto front on (helpfulness, safety)
        r.pareto = not any(o is not r and o.safety >= r.safety and o.helpfulness >= r.helpfulness
                           and (o.safety > r.safety or o.helpfulness > r.helpfulness) for o in rows)
    rows.sort(key=lambda r: -np.nan_to_num(r.safety, nan=-1))
    proxy = any(s.judgment.get("proxy") for e in ok for ss in e.samples.values() for s in ss[:1])
    return Leaderboard(columns, rows, baseline if base_row else None, key, ref.judge_identity, ref.judge_agreement,
                       proxy, refused)
