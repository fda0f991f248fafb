"""Print every built-in aligner's training cost on the quick budget (a benchmark, not a test).

    python bench/aligners.py [--max-steps 4 --batch-size 4 --n-harmful 16 --n-benign 8] [--only sft,dpo]

All aligners share one generation cache, so the self-written y+/y- are generated
once (by the first aligner that needs them); ``tokens_generated`` counts what each
aligner's data needed regardless, while ``wall s`` shows what it actually cost here.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from aligners.api import ALIGNERS, QUICK_BUDGET, Budget, Context, get_aligner, run_aligner  # noqa: E402
from harness.data.pools import build_pools  # noqa: E402
from harness.generation import GenerationCache  # noqa: E402
from leaderboards.render import checks_text  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = QUICK_BUDGET
    for field in ("max_steps", "batch_size", "n_harmful", "n_benign", "gen_max_new_tokens"):
        ap.add_argument("--" + field.replace("_", "-"), type=int, default=getattr(defaults, field))
    ap.add_argument("--only", default=",".join(ALIGNERS.names()), help="comma-separated aligner names")
    ap.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    ap.add_argument("--verify-judge", default="probe", help="judge of the self-made y-/y+ ('none': unchecked)")
    args = ap.parse_args()
    budget = Budget(max_steps=args.max_steps, batch_size=args.batch_size, n_harmful=args.n_harmful,
                    n_benign=args.n_benign, gen_max_new_tokens=args.gen_max_new_tokens)
    out = Path(args.out or tempfile.mkdtemp(prefix="alignboard-bench-"))
    cache = GenerationCache(out / "generations.sqlite")  # fresh: the first aligner pays for y-/y+
    pools = build_pools()
    console = Console(width=200)
    console.print(f"budget: {budget.model_dump()}")
    t = Table("aligner", "examples", "tokens trained", "optimizer steps (per stage)", "tokens generated",
              "self-made kept", "wall s", "trained tok/s", "metrics")
    from harness.judges import get_judge

    verifier = None if args.verify_judge == "none" else get_judge(args.verify_judge)
    start = time.time()
    for name in args.only.split(","):
        ctx = Context(pools=pools, out_dir=out / name, budget=budget, cache=cache, verifier=verifier)
        art = run_aligner(get_aligner(name), ctx)
        c = art.cost
        rate = f"{c.tokens_trained / c.wall_seconds:.0f}" if c.wall_seconds and c.tokens_trained else "-"
        metrics = ", ".join(f"{k}={v:.3g}" for k, v in art.metrics.items())
        per_stage = " + ".join(f"{k} {v.optimizer_steps}" for k, v in c.stages.items())
        kept = checks_text(art.response_checks)
        t.add_row(name, str(c.examples), str(c.tokens_trained), f"{c.optimizer_steps} ({per_stage or '-'})",
                  str(c.tokens_generated), kept, f"{c.wall_seconds:.1f}", rate, metrics)
        console.print(f"{name}: done in {c.wall_seconds:.1f} s")
    console.print(t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    console.print(f"total {time.time() - start:.0f} s, peak RSS {peak:.1f} GB, artifacts under {out}")


if __name__ == "__main__":
    main()
