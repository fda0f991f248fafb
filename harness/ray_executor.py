"""The Ray executor (``alignboard run SPEC --executor ray``): each stage a Ray task.

The run root stays the single source of truth. The driver plans the stages exactly as the
local executor does and submits only those whose outputs are missing: one task per training
(rows that share a training share its task) and one per evaluation, which Ray starts only
after its training task finished. A worker writes its stage's outputs atomically into the
root, so workers on other nodes need the root on shared storage: each task first reads a
token the driver wrote there and fails in one line when it cannot. A task whose worker dies
(killed, out of memory, node lost) runs again, up to ``[resources] max_retries`` times; an
error of alignboard's own is not retried. The driver then builds the leaderboard from the
store as the local executor does, so both give the same leaderboard.json.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from pathlib import Path
from typing import Callable, Optional

from harness.errors import AlignboardError
from harness.io import atomic_write_text
from harness.spec import Spec
from harness.stages import Stage, evaluate_stage, train_stage, verifier

_TOKEN = ".alignboard-run"  # in the run root: what every worker must be able to read
_FORWARDED = ("ALIGNBOARD_HOME", "HF_HOME", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TOKENIZERS_PARALLELISM")


def check_root(root: Path, token: str) -> None:
    """Fail in one line when this process does not see the run root the driver wrote ``token`` into."""
    try:
        seen = (root / _TOKEN).read_text()
    except OSError:
        seen = None
    if seen != token:
        raise AlignboardError(f"a Ray worker on {socket.gethostname()} cannot see the run root {root}: put the root "
                              "on storage every node mounts at the same path (NFS or another shared file system) and "
                              "pass it with --root")


def _in_worker(fn: Callable[[], float], root: Path, token: str, name: str) -> float:
    from harness.logs import to_file

    check_root(root, token)
    with to_file(root / "logs" / f"{name}.log"):  # library chatter of this stage, on the shared root
        return fn()


def _train(spec_data: dict, s: Stage, root: Path, token: str) -> float:
    from harness.data.pools import build_pools

    spec = Spec.model_validate(spec_data)
    if s.trained:  # a retried task whose earlier attempt got this far
        return 0.0
    return _in_worker(lambda: train_stage(spec, s, build_pools(spec.data.pool_spec()), verifier(spec), root),
                      root, token, s.train_dir.name)


def _evaluate(spec_data: dict, s: Stage, root: Path, token: str, trained: Optional[float]) -> float:
    spec = Spec.model_validate(spec_data)  # ``trained``: the training task's result, so Ray runs this after it
    if s.evaluated:
        return 0.0
    return _in_worker(lambda: evaluate_stage(spec, s), root, token, s.entry_path.stem)


def _options(spec: Spec, kind: str) -> dict:
    r = spec.resources
    memory = getattr(r, f"memory_gb_per_{kind}")
    return {"num_cpus": getattr(r, f"cpus_per_{kind}"), "num_gpus": getattr(r, f"gpus_per_{kind}"),
            "max_retries": r.max_retries, "retry_exceptions": False,
            **({"memory": int(memory * 2 ** 30)} if memory else {})}


def _connect(address: Optional[str]) -> bool:
    """Join the cluster at ``address`` (None: start a local one); True when this call started Ray."""
    try:
        import ray
    except ImportError:
        raise AlignboardError("--executor ray needs Ray: pip install 'alignboard[ray]'") from None
    if ray.is_initialized():
        return False
    env = {k: os.environ[k] for k in _FORWARDED if k in os.environ}
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                 runtime_env={"env_vars": env} if env else None, configure_logging=True)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise AlignboardError(f"cannot reach the Ray cluster at {address or 'a new local cluster'}: "
                              f"{str(e).splitlines()[0]}") from None
    return True


def run_stages(spec: Spec, root: Path, stages: list[Stage], log: Callable[[str], None],
               address: Optional[str] = None) -> dict[str, float]:
    """Submit every stage not done yet, wait for all, return their timings (seconds by stage name)."""
    todo = [s for s in stages if not s.evaluated]
    for s in stages:
        if s.evaluated:
            log(f"{s.label} seed {s.seed}: cached")
    if not todo:
        log("ray: nothing to submit")
        return {}
    root.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(8)
    atomic_write_text(root / _TOKEN, token)
    started = _connect(address)
    import ray

    try:
        return _submit_and_wait(ray, spec, root, todo, token, log)
    finally:
        if started:
            ray.shutdown()


def _submit_and_wait(ray, spec: Spec, root: Path, todo: list[Stage], token: str, log) -> dict[str, float]:
    data = spec.model_dump(mode="json")
    train = ray.remote(_train).options(**_options(spec, "train"))
    evaluate = ray.remote(_evaluate).options(**_options(spec, "eval"))
    names, trainings = {}, {}
    for s in todo:
        src = s.source()  # a budget curve's shorter budget may be a longer training's checkpoint
        if not s.trained and src.train_dir not in trainings:
            trainings[src.train_dir] = ref = train.remote(data, src, root, token)
            names[ref] = f"train {src.aligner} seed {src.seed}" + (f" at {src.steps} steps" if src.steps else "")
        ref = evaluate.remote(data, s, root, token, trainings.get(src.train_dir) if not s.trained else None)
        names[ref] = f"evaluate {s.label} seed {s.seed}"
    log(f"ray: submitted {len(trainings)} training and {len(todo)} evaluation stage(s) "
        f"(cluster CPUs {ray.cluster_resources().get('CPU', 0):g}, GPUs {ray.cluster_resources().get('GPU', 0):g})")
    timings, pending, start = {}, list(names), time.time()
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        try:
            timings[names[done[0]]] = ray.get(done[0])
        except ray.exceptions.RayTaskError as e:
            cause = getattr(e, "cause", None)
            raise AlignboardError(str(cause) if isinstance(cause, AlignboardError) else
                                  f"{names[done[0]]} failed: {str(cause or e).splitlines()[0]}; see {root / 'logs'}") \
                from None
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError) as e:
            raise AlignboardError(f"{names[done[0]]}: its worker died {spec.resources.max_retries + 1} time(s) "
                                  f"({type(e).__name__}); raise [resources] max_retries or memory, and run again "
                                  "(finished stages are kept)") from None
        log(f"[{len(names) - len(pending)}/{len(names)}] {names[done[0]]}: done "
            f"({time.time() - start:.0f} s after submission)")
    return timings
