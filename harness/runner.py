"""``alignboard run``: the stages of a spec, each cached under a hash of its inputs.

For each (aligner, seed): train -> evaluate (lm-eval tasks, judged) -> a results-store
entry; then the leaderboard is built from the store and published. A stage whose
output exists under its key is skipped, so an unchanged spec costs nothing, adding an
aligner costs only that aligner, and a killed run resumes where it stopped (outputs
are written atomically; generations and judgments are cached as they are made).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Optional

from harness.errors import AlignboardError
from harness.io import atomic_write_json
from harness.spec import Spec
from harness.stages import PROTOCOL, Stage, evaluate_stage, plan, train_stage, verifier


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
    if spec.budget.curve:
        others = ", ".join(str(b) for b in spec.budget.curve if b != spec.budget.max_steps)
        log(f"budget curve: every row also at {others} optimizer steps (split the same way), each an evaluation of "
            "its own; a one-stage aligner trains once, to the longest budget, saving the shorter budgets' adapters "
            "on the way (at a constant learning rate they are those trainings), the others train each budget")
    n = planned_prompts(spec)
    log("power: " + (_planned_power(spec, root, n) if n else "prompt counts need the hub"))
    try:
        stages, _ = plan(spec, root)
    except AlignboardError as e:
        log(f"stages: cache status unknown ({e})")
        return
    for s in stages:
        log(f"{s.label} seed {s.seed}{f' at {s.steps} steps' if s.steps else ''}: "
            f"train {'cached' if s.trained else 'to do'} ({s.train_dir.name}"
            f"{f', within the {s.source().budget(spec).max_steps}-step training' if s.source() is not s else ''}), "
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
                    f"{len(pairs) + 1} rows already in {root / 'store'}, {c.seeds} seed(s)"
                    + (" -- one seed cannot see the seed-to-seed spread, assumed 0" if c.seeds < 2 else "")
                    + ": the typical pair's variance components, see `alignboard power --store`)")
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


def run(spec: Spec, root: Path, log: Callable[[str], None] = print, dry_run: bool = False, verbose: bool = False,
        executor: str = "local", address: Optional[str] = None):
    """Execute (or, with ``dry_run``, only list) every stage; return the leaderboard.

    ``executor`` "local" runs the stages one after another in this process; "ray" submits them as Ray
    tasks (``address``: an existing cluster, else a local one). Library logs, warnings and loss lines
    go to ``root/run.log`` unless ``verbose``.
    """
    if dry_run:
        describe(spec, root, log)
        return None
    from harness.processes import is_main

    log = log if is_main() else (lambda m: None)  # the other ranks of a multi-process run train quietly
    if verbose:
        return _execute(spec, root, log, executor, address)
    from harness.logs import to_file

    with to_file(root / ("run.log" if is_main() else f"run.rank{os.environ.get('RANK')}.log")) as path:
        log(f"library logs: {path}")
        return _execute(spec, root, log, executor, address)


def _execute(spec: Spec, root: Path, log: Callable[[str], None], executor: str = "local",
             address: Optional[str] = None):
    """Train, evaluate and store every stage that is not done yet; build and publish the leaderboard."""
    from harness.judges import get_judge
    from harness.judges.validate import stored_agreement, validate

    from harness.processes import is_main, wait_for_everyone, world_size

    stages, pools = plan(spec, root)
    judge = get_judge(spec.eval.judge, **spec.eval.judge_config)
    judge.check()  # before any training or generation
    if is_main() and judge.validated_on_first_use and stored_agreement(judge.identity()) is None:
        log(f"measuring {judge.identity()} against the human-labelled holdout")
        validate(judge)  # so every entry carries the judge's human agreement
    if world_size() > 1:  # under accelerate launch: every rank trains, rank 0 alone evaluates and publishes
        if executor == "ray":
            raise AlignboardError("--executor ray runs each stage as its own task: start it once, not under "
                                  "accelerate launch")
        wait_for_everyone()
        timings = _run_here(spec, root, [s for s in stages if not s.trained], pools, verifier(spec, judge), log,
                            evaluate=False)
        if not is_main():
            return None
        timings.update(_run_here(spec, root, stages, pools, None, log))
    elif executor == "ray":
        from harness.ray_executor import run_stages

        timings = run_stages(spec, root, stages, log, address)
    else:
        timings = _run_here(spec, root, stages, pools, verifier(spec, judge), log)
    return _publish(spec, root, stages, judge, timings, log)


def _run_here(spec: Spec, root: Path, stages: list[Stage], pools, checker, log,
              evaluate: bool = True) -> dict[str, float]:
    """The local executor: every stage in this process, one after another (``evaluate``: and its evaluation)."""
    timings: dict[str, float] = {}
    for i, s in enumerate(stages, 1):
        at = f" at {s.steps} steps" if s.steps else ""
        prefix = f"[{i}/{len(stages)}] {s.label} seed {s.seed}{at}"
        if not s.trained:
            src = s.source()
            if src is not s:
                log(f"{prefix}: trained within its {src.budget(spec).max_steps}-step training (one stage at a "
                    "constant learning rate: the same adapter)")
            at = f" at {src.steps} steps" if src.steps else ""
            also = ", ".join(str(k) for k, _ in src.checkpoints)
            log(f"[{i}/{len(stages)}] {src.label} seed {src.seed}{at}: training"
                + (f" (its adapters at {also} steps are the shorter budgets')" if also else ""))
            timings[f"train {src.aligner} seed {src.seed}{at}"] = train_stage(spec, src, pools, checker, root)
            at = f" at {s.steps} steps" if s.steps else ""
        if not evaluate:
            continue
        if not s.evaluated:
            log(f"{prefix}: evaluating on {', '.join(spec.eval.tasks)}")
            timings[f"evaluate {s.label} seed {s.seed}{at}"] = evaluate_stage(spec, s)
        else:
            log(f"{prefix}: cached")
    return timings


def _publish(spec: Spec, root: Path, stages: list[Stage], judge, timings: dict[str, float], log):
    """Every stage's entry into the store (in plan order, whichever executor wrote it), then the leaderboard."""
    from leaderboards.board import build
    from leaderboards.entry import Entry
    from leaderboards.publish import publish
    from leaderboards.store import Store

    def board_at(steps: Optional[int]):
        """The leaderboard of one budget: its own store (the main budget's is ROOT/store)."""
        store = Store(root / "store" if steps is None else root / "curve" / f"{steps}-steps" / "store")
        for s in stages:
            if s.steps != steps:
                continue
            try:
                entry = Entry(**json.loads(s.entry_path.read_text()))
            except (ValueError, TypeError):  # not JSON, not an object, not an entry
                raise AlignboardError(f"{s.entry_path} is corrupt; delete it and run again") from None
            store.add(entry)
        for line in store.replaced:
            log(f"replaced store entry {line}")
        return build(store.entries(), spec.eval.baseline, judge_identity=judge.identity(),
                     max_unjudged=spec.eval.max_unjudged)

    board = board_at(None)
    if spec.budget.curve:
        from leaderboards.curves import curve

        boards = {b: board if b == spec.budget.max_steps else board_at(b) for b in spec.budget.curve}
        board.curve = curve(boards, target=spec.budget.curve_target)
    publish(board, root / "leaderboard", files=provenance(spec, judge))
    if timings:
        atomic_write_json(root / "timings.json", timings)
    return board
