"""Harness benchmarks, measured in one run and printed as ratios (a benchmark, not a test).

    python bench/harness.py [--prompts 64] [--skip-demo]

1. evaluation throughput in generated tokens/s: alignboard's lm-eval path (AlignboardLM -> the
   shared generation function, cold cache; includes model load, lm-eval and judging) vs a bare
   batched ``model.generate`` loop on the same prompts and settings (greedy, 128 new tokens,
   batch 32; includes its model load); target >= 1.0;
2. training throughput in trained tokens/s: alignboard's SFT stage (``aligners.training.sft``,
   the demo's data and budget) vs a bare TRL ``SFTTrainer`` with the same model, LoRA and
   optimiser settings; both include model load; target >= 0.9;
3. the demo cold (empty generation/judgment caches, fresh run folder) and warm (same
   command again); target warm/cold <= 0.05;
4. the cold demo's wall time by stage.
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


def bare_loop(prompts: list[str], max_new_tokens: int, batch_size: int) -> tuple[float, int]:
    """Seconds and generated tokens (up to eos) of a plain batched generate loop (chat template, left padding,
    input order), including its model load, as alignboard's path includes its own."""
    import torch

    from harness.models import load_model

    start, tokens = time.time(), 0
    lm = load_model()
    tok = lm.tokenizer
    for i in range(0, len(prompts), batch_size):
        texts = [tok.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False)
                 for p in prompts[i : i + batch_size]]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            out = lm.model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                    pad_token_id=tok.pad_token_id)
        tokens += _answer_tokens(tok, out[:, enc["input_ids"].shape[1] :].tolist())
    return time.time() - start, tokens


def _answer_tokens(tok, rows: list[list[int]]) -> int:
    """Tokens generated per row before its first eos."""
    return sum(row.index(tok.eos_token_id) if tok.eos_token_id in row else len(row) for row in rows)


def harness_eval(n: int, batch_size: int) -> tuple[float, int]:
    """Seconds and generated tokens for the same prompts through alignboard's lm-eval path (keyword judge:
    negligible). Tokens are counted from the answers the path returned (re-tokenised)."""
    from harness.evaluation import evaluate
    from harness.models import load_model

    start = time.time()
    res = evaluate(["alignboard_harmbench"], judge="keyword", limit=n, batch_size=batch_size, log_samples=True)
    seconds = time.time() - start
    tok = load_model().tokenizer
    answers = [s.response for s in res.tasks["alignboard_harmbench"].samples]
    return seconds, sum(len(tok(a, add_special_tokens=False)["input_ids"]) for a in answers)


def training_throughput(steps: int, tmp: Path) -> tuple[tuple[float, int], tuple[float, int]]:
    """(seconds, tokens trained) of alignboard's SFT stage and of a bare TRL SFTTrainer, on the demo's sft data."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from aligners import training
    from aligners.api import Context, get_aligner
    from harness.data.pools import build_pools
    from harness.models import resolve
    from harness.spec import load_spec

    spec = load_spec("demo")
    budget = spec.budget.model_copy(update={"max_steps": steps})
    ctx = Context(pools=build_pools(spec.data.pool_spec()), out_dir=tmp / "sft", base_model=spec.model.base,
                  budget=budget, progress=False)
    rows = get_aligner("sft").build_data(ctx)["sft"]  # the base model writes y+ here: not timed
    start = time.time()
    _, result = training.sft(ctx, rows)
    ours = (time.time() - start, result.tokens_trained)

    start = time.time()
    folder = resolve(spec.model.base)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, use_safetensors=True)
    args = SFTConfig(output_dir=str(tmp / "bare"), max_steps=steps, per_device_train_batch_size=budget.batch_size,
                     learning_rate=budget.learning_rate, lr_scheduler_type="constant", logging_steps=1,
                     save_strategy="no", report_to="none", seed=0, use_cpu=True, disable_tqdm=True,
                     include_num_input_tokens_seen="non_padding", max_length=budget.max_length,
                     completion_only_loss=True)
    lora = LoraConfig(r=budget.lora_r, lora_alpha=budget.lora_alpha, lora_dropout=budget.lora_dropout,
                      target_modules="all-linear", task_type="CAUSAL_LM")
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows),
                         processing_class=AutoTokenizer.from_pretrained(folder), peft_config=lora)
    trainer.train()
    bare = (time.time() - start, int(trainer.state.num_input_tokens_seen))
    return ours, bare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--train-steps", type=int, default=16)
    ap.add_argument("--skip-demo", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="alignboard-bench-"))
    os.environ["ALIGNBOARD_CACHE"] = str(tmp / "cache-eval")  # cold caches for the throughput comparison

    from harness.data import load

    # the first n HarmBench prompts are what `evaluate(limit=n)` runs; the task generates up to 128 tokens
    prompts = [r.prompt for r in load("harmbench")][: args.prompts]
    (bs, bt), (os_, ot) = bare_loop(prompts, 128, 32), harness_eval(args.prompts, 32)
    print(f"evaluation on {len(prompts)} HarmBench prompts, up to 128 new tokens, batch 32: bare generate loop "
          f"{bt} tokens in {bs:.1f} s = {bt / bs:.1f} tokens/s; alignboard lm-eval path {ot} tokens in {os_:.1f} s "
          f"= {ot / os_:.1f} tokens/s (incl. model load and judging); ratio {(ot / os_) / (bt / bs):.2f} "
          "(target >= 1.0)")
    (os_, ot), (bs, bt) = training_throughput(args.train_steps, tmp)
    print(f"training (sft, demo data and budget, {args.train_steps} steps): bare TRL SFTTrainer {bt} tokens in "
          f"{bs:.1f} s = {bt / bs:.1f} tokens/s; alignboard's sft stage {ot} tokens in {os_:.1f} s = "
          f"{ot / os_:.1f} tokens/s; ratio {(ot / os_) / (bt / bs):.2f} (target >= 0.9)")
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
