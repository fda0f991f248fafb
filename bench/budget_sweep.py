"""How far training moves the embedded model: sft at growing budgets (a benchmark, not a test).

    python bench/budget_sweep.py [--steps 0,4,8,16,32] [--batch-size 4] [--n-harmful 32] [--n-benign 16]

For each budget it trains sft on the default pools (self-written y+, judged by the probe
judge), evaluates the mini safety tasks and the over-refusal task with the probe judge,
and prints tokens trained, the harmless rate (mean over the three harmful-prompt tasks)
and the over-refusal rate, each with its bootstrap CI. The presets' budgets are read off
this curve.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from aligners.api import Budget, Context, get_aligner, run_aligner  # noqa: E402
from harness.data.pools import build_pools  # noqa: E402
from harness.evaluation import evaluate  # noqa: E402
from harness.judges import get_judge  # noqa: E402
from leaderboards.stats import mean_ci  # noqa: E402

SAFETY = ["alignboard_harmbench_mini", "alignboard_strongreject_mini", "alignboard_advbench_mini"]


def rate(samples: list, metric: str) -> tuple[float, float, float]:
    """Mean of a metric over judged samples, with its 95% bootstrap CI."""
    return mean_ci(np.array([[np.nan if s.metrics[metric] is None else s.metrics[metric] for s in samples]],
                            dtype=float), 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", default="0,4,8,16,32")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--n-harmful", type=int, default=32)
    ap.add_argument("--n-benign", type=int, default=16)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="alignboard-sweep-"))
    pools, judge = build_pools(), get_judge("probe")
    print("steps | examples | tokens trained | harmless rate (3 mini safety tasks) | over-refusal | wall s")
    for steps in [int(s) for s in args.steps.split(",")]:
        start = time.time()
        adapter, tokens, examples = None, 0, 0
        if steps:
            budget = Budget(max_steps=steps, batch_size=args.batch_size, n_harmful=args.n_harmful,
                            n_benign=args.n_benign, gen_max_new_tokens=64)
            ctx = Context(pools=pools, out_dir=out / f"sft-{steps}", budget=budget, verifier=judge, progress=False)
            art = run_aligner(get_aligner("sft"), ctx)
            adapter, tokens, examples = art.adapter, art.cost.tokens_trained, art.cost.examples
        res = evaluate([*SAFETY, "alignboard_overrefusal_mini"], adapter=adapter, judge="probe", batch_size=32,
                       log_samples=True)
        harm = [s for t in SAFETY for s in res.tasks[t].samples]
        h = rate(harm, "harmless")
        r = rate(res.tasks["alignboard_overrefusal_mini"].samples, "refusal")
        print(f"{steps} | {examples} | {tokens} | {h[0]:.3f} [{h[1]:.3f}, {h[2]:.3f}] | "
              f"{r[0]:.3f} [{r[1]:.3f}, {r[2]:.3f}] | {time.time() - start:.0f}", flush=True)


if __name__ == "__main__":
    main()
