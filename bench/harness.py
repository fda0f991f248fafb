"""Harness benchmarks, measured in one run and printed as ratios (a benchmark, not a test).

    python bench/harness.py [--prompts 64] [--skip-demo]

1. evaluation throughput: alignboard's lm-eval path (AlignboardLM -> the shared generation
   function, cache off) vs a bare batched ``model.generate`` loop on the same prompts and
   settings (greedy, 64 new tokens, batch 32); target >= 0.9;
2. the demo cold (empty generation/judgment caches, fresh run folder) and warm (same
   command again); target warm/cold <= 0.05;
3. the cold demo's wall time by stage.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def bare_loop(prompts: list[str], max_new_tokens: int, batch_size: int) -> float:
    """Seconds for a plain batched generate loop (chat template, left padding, input order)."""
    import torch

    from harness.models import load_model

    lm = load_model()
    tok = lm.tokenizer
    start = time.time()
    for i in range(0, len(prompts), batch_size):
        texts = [tok.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False)
                 for p in prompts[i : i + batch_size]]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            lm.model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
    return time.time() - start


def harness_eval(n: int, max_new_tokens: int, batch_size: int) -> float:
    """Seconds for the same prompts through alignboard's lm-eval path (keyword judge: negligible)."""
    from harness.evaluation import evaluate

    start = time.time()
    evaluate(["alignboard_harmbench"], judge="keyword", limit=n, batch_size=batch_size)
    return time.time() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--skip-demo", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="alignboard-bench-"))
    os.environ["ALIGNBOARD_CACHE"] = str(tmp / "cache-eval")  # cold caches for the throughput comparison

    from harness.data import load

    # the first n HarmBench prompts are what `evaluate(limit=n)` runs; the task generates up to 128 tokens
    prompts = [r.prompt for r in load("harmbench")][: args.prompts]
    bare = bare_loop(prompts, 128, 32)
    ours = harness_eval(args.prompts, 128, 32)
    print(f"evaluation throughput on {len(prompts)} prompts, 128 new tokens, batch 32: bare generate loop "
          f"{bare:.1f} s, alignboard lm-eval path {ours:.1f} s (incl. model load and judging); "
          f"ratio {bare / ours:.2f} (target >= 0.9)")
    if args.skip_demo:
        return
    env = dict(os.environ, ALIGNBOARD_CACHE=str(tmp / "cache-demo"))
    cmd = [sys.executable, "-m", "harness.cli", "demo", "--root", str(tmp / "demo")]
    t = time.time()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    cold = time.time() - t
    stages = json.loads((tmp / "demo" / "timings.json").read_text())
    t = time.time()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    warm = time.time() - t
    print(f"demo: cold {cold:.0f} s, warm {warm:.1f} s; ratio warm/cold {warm / cold:.3f} (target <= 0.05)")
    print("cold demo by stage (s): " + ", ".join(f"{k} {v:.0f}" for k, v in stages.items()))
    print(f"outputs under {tmp}")


if __name__ == "__main__":
    main()
