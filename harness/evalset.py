"""The run's evaluation set: which records each task evaluates, and the leak check.

A task declares in its YAML ``metadata`` its data source (``source``; ``sample: N`` for a fixed
sample of N prompts, ``mini: true`` for the 24 of a _mini task) and what
it means (:class:`TaskInfo`: prompt kind, primary metric, direction, which summary it
feeds), so adding a task is a YAML file and nothing else.
Its records come from the run's pools (:class:`~harness.data.pools.PoolSpec`,
passed as task metadata ``pools``): a split source's evaluation half, or an
evaluation-only source. The same function serves lm-eval's dataset loader
(``tasks/alignboard/utils.py``) and the runner's check, so what is checked is
exactly what is evaluated.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

import yaml
from pydantic import BaseModel

from harness.data.pools import PoolSpec, build_pools
from harness.data.records import Record, fixed_sample
from harness.errors import AlignboardError

MINI = 24  # prompts per _mini task


class _Loader(yaml.SafeLoader):
    """Reads lm-eval YAML without importing anything: ``!function x`` stays the string ``x``."""


_Loader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


@lru_cache(maxsize=1)
def _configs() -> dict[str, dict]:
    import tasks

    out = {}
    for p in sorted(Path(tasks.path()).rglob("*.yaml")):
        cfg = yaml.load(p.read_text(encoding="utf-8"), Loader=_Loader) or {}
        out[cfg["group"] if "group" in cfg else cfg["task"]] = cfg
    return out


class TaskInfo(BaseModel):
    """What a task means, as its YAML declares it; read by the leaderboard."""

    prompts: Literal["harmful", "benign", "attack"]
    primary_metric: str
    higher_is_better: bool = True
    summary: Optional[Literal["safety", "helpfulness"]] = None
    protocol: Optional[str] = None  # the published protocol whose own judge scores the task (harmbench, ...)

    @classmethod
    def from_metadata(cls, task: str, meta: dict) -> "TaskInfo":
        """From a task's ``metadata`` (``summary: none`` means it feeds no summary)."""
        try:
            return cls(**{k: (None if k == "summary" and meta.get(k) == "none" else meta[k])
                          for k in cls.model_fields if k in meta})
        except Exception as e:
            raise AlignboardError(f"task {task} does not declare what it means in its YAML metadata "
                                  f"(prompts, primary_metric, higher_is_better, summary): {e}") from None


def task_info(task: str) -> TaskInfo:
    """The declared meaning of one of alignboard's tasks."""
    if task not in _configs():
        raise AlignboardError(f"unknown task {task!r}; known: {', '.join(sorted(_configs()))}")
    return TaskInfo.from_metadata(task, _configs()[task].get("metadata") or {})


def judge_for(meta: dict) -> tuple[str, dict]:
    """(judge name, config) that scores a task, from its metadata merged with the run's.

    A task that declares a ``protocol`` is scored by that protocol's judge (``protocol_judge``), or
    by what the run's ``judges`` table names for the protocol ({protocol: {"judge", "config"}});
    every other task by the run's ``judge``.
    """
    from harness.judges import DEFAULT_JUDGE

    protocol = meta.get("protocol")
    if protocol:
        chosen = (meta.get("judges") or {}).get(protocol) or {}
        return chosen.get("judge") or meta["protocol_judge"], chosen.get("config") or {}
    return meta.get("judge") or DEFAULT_JUDGE, meta.get("judge_config") or {}


def protocols() -> dict[str, str]:
    """Every protocol a task declares, with its protocol judge."""
    return {m["protocol"]: m["protocol_judge"] for c in _configs().values()
            if (m := c.get("metadata") or {}).get("protocol")}


def task_names() -> list[str]:
    """Every task and group in alignboard's task folder."""
    return sorted(_configs())


def task_metadata(task: str) -> dict:
    """A leaf task's YAML ``metadata``."""
    return dict(_configs()[task].get("metadata") or {})


def leaf_tasks(names) -> list[str]:
    """Task names with every group expanded (in order, without repeats)."""
    out: list[str] = []
    for n in names:
        cfg = _configs().get(n)
        if cfg is None:
            raise AlignboardError(f"unknown task {n!r}; known: {', '.join(sorted(_configs()))}")
        for t in (leaf_tasks(cfg["task"]) if "group" in cfg else [n]):
            if t not in out:
                out.append(t)
    return out


def sample_size(meta: dict) -> Optional[int]:
    """Prompts a task takes from its source (a fixed sample), from its metadata; None: all of them."""
    return int(meta["sample"]) if meta.get("sample") else MINI if meta.get("mini") else None


def task_source(task: str) -> tuple[str, Optional[int]]:
    """(source name, sample size or None) declared by a task."""
    meta = _configs()[task].get("metadata") or {}
    if "source" not in meta:
        raise AlignboardError(f"task {task} declares no metadata.source; add the data source to its YAML")
    return meta["source"], sample_size(meta)


def records(source: str, sample: Optional[int], pools: PoolSpec) -> list[Record]:
    """The records a task over ``source`` evaluates under ``pools``.

    A source in the pools gives its evaluation rows; a training-only source is refused;
    any other source is evaluated whole (the stock lm-eval CLI path; runs refuse it up front).
    """
    if source in pools.train_sources:
        raise AlignboardError(f"{source} is a training-only source of this run; evaluate a held-out split "
                              f"(e.g. {source.partition(':')[0]}:test) or move it to split_sources")
    built = build_pools(pools)
    if source in built.eval:
        rows = built.eval[source]
    else:
        from harness.data import load

        rows = load(source)
    return fixed_sample(rows, sample) if sample else rows


def check_sources(task_names, pools: PoolSpec) -> None:
    """Every task must evaluate a source that the run's pools own (one-line error otherwise)."""
    owned = set(pools.split_sources) | set(pools.eval_sources)
    for t in leaf_tasks(task_names):
        source, _ = task_source(t)
        if source not in owned:
            raise AlignboardError(f"task {t} evaluates {source!r}, which is not in the run's pools; add it to "
                                  "[data] eval_sources (or split_sources)")


def task_texts(task: str, pools: PoolSpec) -> list[str]:
    """Every text of a task that must not appear in training: prompts and the requests attacks wrap."""
    rows = records(*task_source(task), pools)
    return [r.prompt for r in rows] + [r.request for r in rows if r.request]


def check_leaks(task_names, pools: PoolSpec, train_prompts: list[str], threshold: float = 0.8) -> dict[str, int]:
    """Overlap count (exact + near) of each task's prompts with the training prompts actually used.

    Raises a one-line error naming the first task that overlaps and its count; returns the
    (all zero) counts otherwise.
    """
    from harness.data.overlap import overlap

    counts = {}
    for t in leaf_tasks(task_names):
        texts = task_texts(t, pools)
        counts[t] = len(overlap(texts, train_prompts, threshold).contaminated_a()) if train_prompts else 0
        if counts[t]:
            raise AlignboardError(f"task {t}: {counts[t]} of its {len(texts)} prompts overlap the training prompts "
                                  "(exact or near duplicates); change [data] so that training and evaluation differ")
    return counts
