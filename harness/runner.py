"""``alignboard run``: the stages of a spec, each cached under a hash of its inputs.

For each (aligner, seed): train -> evaluate (lm-eval tasks, judged) -> a results-store
entry; then the leaderboard is built from the store and published. A stage whose
output exists under its key is skipped, so an unchanged spec costs nothing, adding an
aligner costs only that aligner, and a killed run resumes where it stopped (outputs
are written atomically; generations and judgments are cached as they are made).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness.errors import AlignboardError
from harness.io import atomic_write_json, sha256_file, stable_hash
from harness.spec import Spec


_CHEAP_TO_VALIDATE = ("keyword", "probe")  # offline judges measured automatically when first used


@dataclass
class Stage:
    """One (aligner, seed): where its training and evaluation outputs live and whether they exist."""

    aligner: str
    config: dict
    seed: int
    train_dir: Path
    entry_path: Path

    @property
    def trained(self) -> bool:
        return (self.train_dir / "artifact.json").is_file()

    @property
    def evaluated(self) -> bool:
        return self.entry_path.is_file()


def _tasks_fingerprint() -> str:
    import tasks

    return stable_hash({p.name: sha256_file(p) for p in sorted(tasks.path().rglob("*")) if p.is_file()
                        and p.suffix in (".yaml", ".py", "") and "__pycache__" not in p.parts})[:12]


def plan(spec: Spec, root: Path) -> tuple[list[Stage], object]:
    """The stages of ``spec`` under ``root`` (and the pools they train on)."""
    from aligners.api import get_aligner
    from harness.data.pools import PoolSpec, build_pools
    from harness.judges import get_judge
    from harness.models import folder_identity, resolve

    pools = build_pools(PoolSpec(tuple(spec.data.split_sources), tuple(spec.data.eval_sources),
                                 spec.data.eval_fraction, seed=0))
    data_fp = stable_hash([[r.id, r.prompt] for r in pools.harmful_train + pools.benign_train])
    base_id = folder_identity(resolve(spec.model.base))
    judge_id = get_judge(spec.eval.judge, **spec.eval.judge_config).identity()
    tasks_fp = _tasks_fingerprint()
    stages = []
    for a in spec.aligners:
        aligner = get_aligner(a.name, **a.config)
        for seed in spec.seeds:
            train_key = stable_hash([base_id, data_fp, a.name, aligner.version, aligner.config.model_dump(), seed,
                                     spec.budget.model_dump(), spec.data.responses])[:12]
            eval_key = stable_hash([train_key, spec.eval.tasks, tasks_fp, judge_id, spec.eval.limit,
                                    spec.eval.backend])[:12]
            label = f"{a.name}-s{seed}"
            stages.append(Stage(a.name, a.config, seed, root / "train" / f"{label}-{train_key}",
                                root / "eval" / f"{label}-{eval_key}.json"))
    return stages, pools


def run(spec: Spec, root: Path, log: Callable[[str], None] = print, dry_run: bool = False):
    """Execute (or, with ``dry_run``, only list) every stage; return the leaderboard."""
    from aligners.api import Context, get_aligner, run_aligner
    from harness.evaluation import evaluate
    from leaderboards.board import build
    from leaderboards.entry import Entry, from_eval
    from leaderboards.publish import publish
    from leaderboards.store import Store

    stages, pools = plan(spec, root)
    if dry_run:
        for s in stages:
            log(f"{s.aligner} seed {s.seed}: train {'cached' if s.trained else 'to do'} ({s.train_dir.name}), "
                f"evaluate {'cached' if s.evaluated else 'to do'} ({s.entry_path.name})")
        return None
    store = Store(root / "store")
    from harness.judges import get_judge

    judge = get_judge(spec.eval.judge, **spec.eval.judge_config)
    judge.check()  # before any training or generation
    from harness.judges.validate import stored_agreement, validate

    if judge.name in _CHEAP_TO_VALIDATE and stored_agreement(judge.identity()) is None:
        log(f"measuring {judge.identity()} against the human-labelled holdout")
        validate(judge)  # so every entry carries the judge's human agreement
    timings: dict[str, float] = {}
    for i, s in enumerate(stages, 1):
        prefix = f"[{i}/{len(stages)}] {s.aligner} seed {s.seed}"
        if not s.trained:
            log(f"{prefix}: training")
            t = time.time()
            ctx = Context(pools=pools, out_dir=s.train_dir, base_model=spec.model.base, seed=s.seed,
                          budget=spec.budget, responses=spec.data.responses)
            run_aligner(get_aligner(s.aligner, **s.config), ctx)
            timings[f"train {s.aligner}"] = time.time() - t
        art = json.loads((s.train_dir / "artifact.json").read_text())
        if not s.evaluated:
            log(f"{prefix}: evaluating on {', '.join(spec.eval.tasks)}")
            t = time.time()
            res = evaluate(spec.eval.tasks, spec.model.base, art["adapter"], s.aligner, s.config, spec.eval.judge,
                           spec.eval.judge_config, spec.eval.limit, spec.eval.batch_size, log_samples=True,
                           backend=spec.eval.backend)
            entry = from_eval(res, s.aligner, s.config, s.seed, art["cost"])
            atomic_write_json(s.entry_path, entry.model_dump())
            timings[f"evaluate {s.aligner}"] = time.time() - t
        else:
            log(f"{prefix}: cached")
        try:
            store.add(Entry(**json.loads(s.entry_path.read_text())))
        except ValueError:
            raise AlignboardError(f"{s.entry_path} is corrupt; delete it and run again") from None
    board = build(store.entries(), spec.eval.baseline)
    publish(board, root / "leaderboard")
    (root / "spec.json").write_text(spec.model_dump_json(indent=2))
    if timings:
        atomic_write_json(root / "timings.json", timings)
    return board
