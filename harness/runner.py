"""``alignboard run``: the stages of a spec, each cached under a hash of its inputs.

For each (aligner, seed): train -> evaluate (lm-eval tasks, judged) -> a results-store
entry; then the leaderboard is built from the store and published. A stage whose
output exists under its key is skipped, so an unchanged spec costs nothing, adding an
aligner costs only that aligner, and a killed run resumes where it stopped (outputs
are written atomically; generations and judgments are cached as they are made).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from harness.errors import AlignboardError
from harness.io import atomic_write_json, sha256_file, stable_hash
from harness.spec import Spec


_CHEAP_TO_VALIDATE = ("keyword", "probe")  # offline judges measured automatically when first used
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
    verify = spec.data.verify_judge
    verify_id = None if verify == "none" else get_judge(verify).identity() if verify else judge_id
    stages = []
    for a in spec.aligners:
        aligner = get_aligner(a.name, **a.config)
        hint, label = a.resolved()
        for seed in spec.seeds:
            # rows that differ only in evaluation (sft, sft+hint) share one training stage
            train_key = stable_hash([PROTOCOL, base_id, data_fp, a.name, aligner.version, aligner.config.model_dump(),
                                     seed, spec.budget.model_dump(), spec.data.responses, verify_id])[:12]
            eval_key = stable_hash([train_key, spec.eval.tasks, tasks_fp, judge_id, spec.eval.limit,
                                    spec.eval.backend, hint, spec.data.pool_spec().to_meta()])[:12]
            stages.append(Stage(a.name, a.config, seed, root / "train" / f"{a.name}-s{seed}-{train_key}",
                                root / "eval" / f"{_SAFE.sub('_', label)}-s{seed}-{eval_key}.json", hint, label))
    return stages, pools


def _counts(spec: Spec, log: Callable[[str], None]) -> None:
    """Rows per source and per pool; a source that needs the hub (offline here) is marked so."""
    from harness.data import load
    from harness.data.pools import build_pools

    d = spec.data
    missing = []
    for role, names in (("split", d.split_sources), ("train", d.train_sources), ("eval", d.eval_sources)):
        for name in names:
            try:
                log(f"  {role:5} {name}: {len(load(name))} rows")
            except AlignboardError:
                missing.append(name)
                log(f"  {role:5} {name}: needs the hub (count unknown offline)")
    if missing:
        log("  H, B and y+/y- counts: need the hub")
        return
    p = build_pools(d.pool_spec())
    h, b = p.harmful_train, p.benign_train
    log(f"  H: {len(h)} harmful training prompts ({sum(bool(r.harmless_response) for r in h)} with a dataset y+, "
        f"{sum(bool(r.harmful_response) for r in h)} with a dataset y-), a run uses {min(len(h), spec.budget.n_harmful)}")
    log(f"  B: {len(b)} benign training prompts ({sum(bool(r.reference) for r in b)} with a reference answer), "
        f"a run uses {min(len(b), spec.budget.n_benign)}; {p.dropped} training prompts dropped as duplicates of "
        "evaluation prompts")


def planned_prompts(spec: Spec) -> Optional[int]:
    """Harmful prompts per row that the spec evaluates (over every harmful-prompt task), None if unknown offline."""
    from harness.evalset import leaf_tasks, records, task_info, task_source

    n = 0
    for t in leaf_tasks(spec.eval.tasks):
        if task_info(t).summary == "safety":
            try:
                rows = len(records(*task_source(t), spec.data.pool_spec()))
            except AlignboardError:
                return None
            n += min(rows, spec.eval.limit or rows)
    return n


def describe(spec: Spec, root: Path, log: Callable[[str], None] = print) -> None:
    """The dry run: data, budget split, rows (with their hint), and which stages are cached. Works offline."""
    from aligners.api import get_aligner

    d = spec.data
    y_source = "the data (dataset answers)" if d.responses == "dataset" else \
        f"the base model under hints, judged by {d.verify_judge or spec.eval.judge} before training"
    log(f"spec {spec.name}: base {spec.model.base}, seeds {spec.seeds}, judge {spec.eval.judge}, "
        f"baseline {spec.eval.baseline}")
    log(f"data (y+/y- from {y_source}):")
    _counts(spec, log)
    log(f"budget: {spec.budget.max_steps} optimizer steps per aligner, split over its stages:")
    for a in spec.aligners:
        split = spec.budget.split(get_aligner(a.name, **a.config).stages(), a.name)
        hint, label = a.resolved()
        log(f"  {label} (hint {'on' if hint else 'off'}): "
            + (" + ".join(f"{k} {v}" for k, v in split.items()) + f" = {sum(split.values())} steps" if split
               else "no training"))
    n = planned_prompts(spec)
    log("power: " + (_planned_power(spec, root, n) if n else "prompt counts need the hub"))
    try:
        stages, _ = plan(spec, root)
    except AlignboardError as e:
        log(f"stages: cache status unknown ({e})")
        return
    for s in stages:
        log(f"{s.label} seed {s.seed}: train {'cached' if s.trained else 'to do'} ({s.train_dir.name}), "
            f"evaluate {'cached' if s.evaluated else 'to do'} ({s.entry_path.name})")


def _planned_power(spec: Spec, root: Path, n: int) -> str:
    """The planned design's minimum detectable difference: measured from the run's own store when it already
    holds a pilot (two rows or more), assumed otherwise."""
    from leaderboards.power import mdd_two_proportions, pilot_pairs, pooled

    seeds = len(spec.seeds)
    head = f"{n} harmful prompts x {seeds} seed(s) per row detect a safety-summary difference of "
    if (root / "store").is_dir():
        from leaderboards.board import build
        from leaderboards.store import Store

        try:
            pairs = pilot_pairs(build(Store(root / "store").entries(), spec.eval.baseline, resamples=1), True)
        except AlignboardError:
            pairs = {}
        if pairs:
            c = pooled(list(pairs.values()))
            return (head + f"{c.mdd(n, seeds):.2f} against the baseline (alpha 0.05, power 0.8; measured on the "
                    f"{len(pairs) + 1} rows already in {root / 'store'}, {c.seeds} seed(s): the typical pair's "
                    "variance components, see `alignboard power --store`)")
    return (head + f"{mdd_two_proportions(n * seeds):.2f} (alpha 0.05, power 0.8; assumed: rate 0.5, every answer "
            "independent, no seed-to-seed spread -- optimistic; `alignboard power --store` measures it from a pilot)")


def provenance(spec: Spec, judge) -> dict[str, dict]:
    """What the published folder records besides the leaderboard: the spec as run (``spec.json``, which
    ``alignboard reproduce`` runs again) and every component resolved (``resolved.json``)."""
    from aligners.api import get_aligner

    rows = []
    for a in spec.aligners:
        aligner = get_aligner(a.name, **a.config)
        hint, label = a.resolved()
        rows.append({"label": label, "aligner": a.name, "version": aligner.version, "hint": hint,
                     "config": aligner.config.model_dump(), "steps": spec.budget.split(aligner.stages(), a.name)})
    return {"spec.json": spec.model_dump(mode="json"),
            "resolved.json": {"protocol": PROTOCOL, "aligners": rows, "budget": spec.budget.model_dump(),
                              "judge": {"name": judge.name, "identity": judge.identity(),
                                        "config": judge.config.model_dump()},
                              "pools": spec.data.pool_spec().to_meta()}}


def run(spec: Spec, root: Path, log: Callable[[str], None] = print, dry_run: bool = False, verbose: bool = False):
    """Execute (or, with ``dry_run``, only list) every stage; return the leaderboard.

    Library logs, warnings and loss lines go to ``root/run.log`` unless ``verbose``.
    """
    if dry_run:
        describe(spec, root, log)
        return None
    if verbose:
        return _execute(spec, root, log)
    from harness.logs import to_file

    with to_file(root / "run.log") as path:
        log(f"library logs: {path}")
        return _execute(spec, root, log)


def _execute(spec: Spec, root: Path, log: Callable[[str], None]):
    """Train, evaluate and store every stage that is not done yet; build and publish the leaderboard."""
    from aligners.api import TRAIN_PROMPTS, Context, get_aligner, run_aligner
    from harness.evaluation import evaluate
    from leaderboards.board import build
    from leaderboards.entry import Entry, from_eval
    from leaderboards.publish import publish
    from leaderboards.store import Store

    stages, pools = plan(spec, root)
    store = Store(root / "store")
    from harness.judges import get_judge

    judge = get_judge(spec.eval.judge, **spec.eval.judge_config)
    judge.check()  # before any training or generation
    from harness.judges.validate import stored_agreement, validate

    if judge.name in _CHEAP_TO_VALIDATE and stored_agreement(judge.identity()) is None:
        log(f"measuring {judge.identity()} against the human-labelled holdout")
        validate(judge)  # so every entry carries the judge's human agreement
    # checks self-made y-/y+ (also an aligner's own, e.g. mistake_source = "self" in dataset mode):
    # the run's judge unless the spec names another, or "none"
    verify = spec.data.verify_judge
    verifier = None if verify == "none" else get_judge(verify) if verify else judge
    timings: dict[str, float] = {}
    for i, s in enumerate(stages, 1):
        prefix = f"[{i}/{len(stages)}] {s.label} seed {s.seed}"
        if not s.trained:
            log(f"{prefix}: training")
            t = time.time()
            ctx = Context(pools=pools, out_dir=s.train_dir, base_model=spec.model.base, seed=s.seed,
                          budget=spec.budget, responses=spec.data.responses, verifier=verifier)
            run_aligner(get_aligner(s.aligner, **s.config), ctx)
            timings[f"train {s.aligner} seed {s.seed}"] = time.time() - t
        art = json.loads((s.train_dir / "artifact.json").read_text())
        if not s.evaluated:
            log(f"{prefix}: evaluating on {', '.join(spec.eval.tasks)}")
            t = time.time()
            res = evaluate(spec.eval.tasks, spec.model.base, art["adapter"], s.aligner, s.config, spec.eval.judge,
                           spec.eval.judge_config, spec.eval.limit, spec.eval.batch_size, log_samples=True,
                           backend=spec.eval.backend, pools=spec.data.pool_spec(), hint=s.hint,
                           train_prompts=json.loads((s.train_dir / TRAIN_PROMPTS).read_text()), judge_checked=True)
            entry = from_eval(res, s.aligner, s.config, s.seed, art["cost"], label=s.label,
                              response_checks=art.get("response_checks"))
            atomic_write_json(s.entry_path, entry.model_dump())
            timings[f"evaluate {s.label} seed {s.seed}"] = time.time() - t
        else:
            log(f"{prefix}: cached")
        try:
            entry = Entry(**json.loads(s.entry_path.read_text()))
        except (ValueError, TypeError):  # not JSON, not an object, not an entry
            raise AlignboardError(f"{s.entry_path} is corrupt; delete it and run again") from None
        store.add(entry)
    for line in store.replaced:
        log(f"replaced store entry {line}")
    board = build(store.entries(), spec.eval.baseline, judge_identity=judge.identity(),
                  max_unjudged=spec.eval.max_unjudged)
    publish(board, root / "leaderboard", files=provenance(spec, judge))
    if timings:
        atomic_write_json(root / "timings.json", timings)
    return board
