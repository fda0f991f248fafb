"""A stage: one (aligner, seed) of a spec -- where its training and evaluation outputs live, the
cache keys that name them, and the two functions that produce them (every executor calls these).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from harness.io import atomic_write_json, sha256_file, stable_hash
from harness.spec import Spec

_SAFE = re.compile(r"[^\w+.-]")  # characters a row label may not bring into a file name
PROTOCOL = 2  # bumped when what a stage means changes (2: run-owned eval set, budgets over all stages)


@dataclass
class Stage:
    """One (aligner, seed): where its training and evaluation outputs live and whether they exist."""

    aligner: str
    config: dict
    seed: int
    train_dir: Path
    entry_path: Path
    hint: bool = False
    label: str = ""
    steps: Optional[int] = None  # a point of the budget curve other than the main budget: its optimizer steps
    # a budget curve's longer training of the same (aligner, seed) whose checkpoint is this stage's adapter
    provider: Optional["Stage"] = None
    checkpoints: tuple[tuple[int, Path], ...] = ()  # (steps, train_dir) of the shorter budgets this one writes

    def budget(self, spec: Spec):
        """The budget this stage trains with."""
        return spec.budget if self.steps is None else spec.budget.at(self.steps)

    def source(self) -> "Stage":
        """The stage whose training writes this one's adapter: its provider while that is untrained, else itself."""
        return self.provider if self.provider is not None and not self.provider.trained else self

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
    from harness.data.pools import build_pools
    from harness.judges import get_judge
    from harness.models import folder_identity, resolve

    pools = build_pools(spec.data.pool_spec())
    data_fp = stable_hash([[r.id, r.prompt] for r in pools.harmful_train + pools.benign_train])
    base_id = folder_identity(resolve(spec.model.base))
    judge_id = get_judge(spec.eval.judge, **spec.eval.judge_config).identity()
    tasks_fp = _tasks_fingerprint()
    from harness.evaluation import task_judges

    # tasks scored by another judge than the run's (protocol tasks) join the key; other runs keep theirs
    others = {t: get_judge(n, **c).identity() for t, (n, c) in
              task_judges(spec.eval.tasks, {"judge": spec.eval.judge, "judge_config": spec.eval.judge_config,
                                            "judges": spec.judges_table()}).items()}
    others = {t: i for t, i in others.items() if i != judge_id}
    clipped = {p: j["max_new_tokens"] for p, j in spec.judges_table().items() if "max_new_tokens" in j}
    verify = spec.data.verify_judge
    verify_id = None if verify == "none" else get_judge(verify).identity() if verify else judge_id
    stages = []
    # the main budget's stages first (the leaderboard's), then the other points of the budget curve
    for steps in [None, *(b for b in spec.budget.curve if b != spec.budget.max_steps)]:
        budget = spec.budget if steps is None else spec.budget.at(steps)
        for a in spec.aligners:
            aligner = get_aligner(a.name, **a.config)
            hint, label = a.resolved()
            for seed in spec.seeds:
                # rows that differ only in evaluation (sft, sft+hint) share one training stage
                train_key = stable_hash([PROTOCOL, base_id, data_fp, a.name, aligner.version,
                                         aligner.config.model_dump(), seed, budget.key(), spec.data.responses,
                                         verify_id])[:12]
                eval_key = stable_hash([train_key, spec.eval.tasks, tasks_fp, judge_id, spec.eval.limit,
                                        spec.eval.backend, hint, spec.data.pool_spec().to_meta()]
                                       + ([others] if others else []) + ([clipped] if clipped else []))[:12]
                stages.append(Stage(a.name, a.config, seed, root / "train" / f"{a.name}-s{seed}-{train_key}",
                                    root / "eval" / f"{_SAFE.sub('_', label)}-s{seed}-{eval_key}.json", hint, label,
                                    steps))
    _share_checkpoints(spec, stages)
    return stages, pools


def _share_checkpoints(spec: Spec, stages: list[Stage]) -> None:
    """On a budget curve, the longest untrained budget of each (aligner, config, seed) whose checkpoints are
    reusable trains once and saves the shorter untrained budgets' adapters on the way."""
    from aligners.api import get_aligner

    groups: dict[str, dict[Path, Stage]] = {}
    for s in stages:
        if not s.trained and get_aligner(s.aligner, **s.config).reusable_checkpoints():
            groups.setdefault(stable_hash([s.aligner, s.config, s.seed]), {}).setdefault(s.train_dir, s)
    total = {s.train_dir: s.steps or spec.budget.max_steps for s in stages}
    for group in groups.values():
        longest, *shorter = sorted(group.values(), key=lambda s: -total[s.train_dir])
        if not shorter:
            continue
        longest.checkpoints = tuple(sorted((total[s.train_dir], s.train_dir) for s in shorter))
        for s in stages:
            if s.train_dir in group and s.train_dir != longest.train_dir:
                s.provider = longest


def verifier(spec: Spec, judge=None):
    """The judge that checks self-made y-/y+ (also an aligner's own, e.g. mistake_source = "self" in dataset
    mode): the run's judge unless the spec names another, or None for "none"."""
    from harness.judges import get_judge

    verify = spec.data.verify_judge
    return None if verify == "none" else get_judge(verify) if verify else \
        judge or get_judge(spec.eval.judge, **spec.eval.judge_config)


def train_stage(spec: Spec, s: Stage, pools, checker, root: Path) -> float:
    """Train one stage into ``s.train_dir`` (its artifact.json is written last, atomically); seconds taken."""
    from aligners.api import Context, get_aligner, run_aligner
    from harness.processes import is_main

    t = time.time()
    ctx = Context(pools=pools, out_dir=s.train_dir, base_model=spec.model.base, seed=s.seed, budget=s.budget(spec),
                  responses=spec.data.responses, verifier=checker, report_to=tuple(spec.logging.report_to),
                  log_dir=root / "tensorboard", progress=is_main(), checkpoints=dict(s.checkpoints))
    run_aligner(get_aligner(s.aligner, **s.config), ctx)
    return time.time() - t


def evaluate_stage(spec: Spec, s: Stage) -> float:
    """Evaluate one trained stage and write its results-store entry atomically; seconds taken."""
    from aligners.api import TRAIN_PROMPTS, trained_adapter
    from harness.evaluation import evaluate
    from leaderboards.entry import from_eval

    t = time.time()
    artifact = s.train_dir / "artifact.json"
    art = json.loads(artifact.read_text())
    res = evaluate(spec.eval.tasks, spec.model.base, trained_adapter(art, artifact), s.aligner, s.config,
                   spec.eval.judge, spec.eval.judge_config, spec.eval.limit, spec.eval.batch_size, log_samples=True,
                   backend=spec.eval.backend, pools=spec.data.pool_spec(), hint=s.hint,
                   train_prompts=json.loads((s.train_dir / TRAIN_PROMPTS).read_text()), judge_checked=True,
                   judges=spec.judges_table())
    entry = from_eval(res, s.aligner, s.config, s.seed, art["cost"], label=s.label,
                      response_checks=art.get("response_checks"))
    atomic_write_json(s.entry_path, entry.model_dump())
    return time.time() - t
