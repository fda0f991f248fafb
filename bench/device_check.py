"""The GPU check that fits the lent device (no network, 64 MiB carried, minutes of device time): alignboard's real
runner, TRL training and both generation backends on CUDA, on randomly initialised Llama models at realistic shapes
(their weights are made there, never carried; quality is meaningless, speed, memory and the CUDA code paths are real).

    bash bench/device_check.sh                   # on the device, after python bench/device_bundle.py here
    python bench/device_check.py --cpu           # the rehearsal here: tiny shapes on the CPU
    python bench/device_check.py [--shapes 1b,7b] [--steps 4] [--limit 8] [--out DIR]

For each shape: the model is initialised on the device and saved as safetensors with the carried tokenizer; the first
shape runs the full runner (`alignboard run` on a spec of base, sft, dpo, mistake_analysis and rlhf, a few optimizer
steps, the keyword judge); every later shape trains sft alone. Per training stage it reports trained tokens/s (the
training loop's wall time) and peak GPU memory (torch.cuda.max_memory_allocated). Then the same prompts are
generated through alignboard's backend and lm-eval's hf backend (greedy, batched, float32) and compared answer for
answer. One table, each figure labelled with its shape, dtype and device; what is skipped is named with its reason.
Writes device-check.json (and the run's log) under --out ($OUT on the device).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the checkout, before bench/ (bench/harness.py)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")  # the libraries' bars; the table is the output (as the CLI does)

# Llama-architecture bodies; the vocabulary is the carried tokenizer's (49,152 tokens).
SHAPES = {
    # wider initial weights than transformers' 0.02, so that its greedy answers are words, not empty (the two
    # realistic shapes answer with varied tokens at 0.02: seen on the CPU for 1b)
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, tie_word_embeddings=True, initializer_range=0.2),
    "1b": dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
               num_key_value_heads=8, tie_word_embeddings=True),  # Llama-3.2-1B's body
    "7b": dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
               num_key_value_heads=32, tie_word_embeddings=False),  # Llama-2-7B's body
}
ROWS = ('[[aligners]]\nname = "base"\n[[aligners]]\nname = "sft"\n[[aligners]]\nname = "dpo"\n'
        '[[aligners]]\nname = "mistake_analysis"\n[[aligners]]\nname = "rlhf"\n'
        'config = { num_generations = 2, max_completion_length = 16 }\n')
SPEC = """name = "device-check-{shape}"
seeds = [0]
[model]
base = "{model}"
[data]
verify_judge = "none"  # a random model's own answers are the pairs: unchecked, so every aligner has data
[budget]
max_steps = {steps}
batch_size = 4
n_harmful = 8
n_benign = 4
gen_max_new_tokens = 32
{rows}
[eval]
tasks = ["alignboard_safety_mini", "alignboard_helpfulness_mini"]
judge = "keyword"
limit = {limit}
batch_size = 32
[logging]
report_to = []
"""
SKIPPED = [
    ("vLLM generation", "vLLM's wheel (hundreds of MB) does not fit the 64 MiB a device call carries; bench/gpu.sh "
                        "runs it on a GPU machine with a network"),
    ("Ray executor", "Ray's wheel (about 70 MB) does not fit the carry limit; the local executor runs here"),
    ("multi-GPU accelerate", "the lent machine has one GPU"),
    ("embedded model, offline jury, protocol judges", "their weights (90 MB to 26 GB) do not travel: random models "
                                                      "and the keyword judge stand in, so no score is meaningful"),
]


def home(bundle: Path) -> Path:
    """A fresh ALIGNBOARD_HOME holding the bundle's data assets (or this machine's, when there is no bundle)."""
    from harness.assets import home as real_home

    h = Path(tempfile.mkdtemp(prefix="device-check-home-"))
    src = bundle / "home" / "assets" if (bundle / "home" / "assets").is_dir() else real_home() / "assets"
    (h / "assets").symlink_to(src.resolve(), target_is_directory=True)
    os.environ["ALIGNBOARD_HOME"] = str(h)
    return h


def tokenizer_dir(bundle: Path) -> Path:
    if (bundle / "tokenizer" / "tokenizer.json").is_file():
        return bundle / "tokenizer"
    from harness.assets import embedded_model_dir

    return embedded_model_dir()


def make_model(shape: str, folder: Path, tok_dir: Path, device: str) -> dict:
    """A random Llama of ``shape`` initialised on ``device`` and saved (bf16 on a GPU, float32 on the CPU) with the
    tokenizer; returns its parameter count and the seconds it took."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    t = time.time()
    tok = AutoTokenizer.from_pretrained(tok_dir)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    cfg = LlamaConfig(vocab_size=len(tok), max_position_embeddings=8192, bos_token_id=tok.bos_token_id,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, **SHAPES[shape])
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM(cfg).to(dtype)
    n = sum(p.numel() for p in model.parameters())
    model.save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    for f in ("chat_template.jinja", "generation_config.json"):
        if (tok_dir / f).is_file():
            shutil.copy2(tok_dir / f, folder / f)
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    return {"parameters": n, "seconds": time.time() - t}


def run(folder: Path, shape: str, root: Path, steps: int, limit: int, full: bool, log: Path) -> dict:
    """`alignboard run` on the check's spec (its own process, as a user runs it); the run's timings and artifacts."""
    spec = root.with_suffix(".toml")
    rows = ROWS if full else '[[aligners]]\nname = "base"\n[[aligners]]\nname = "sft"\n'
    spec.write_text(SPEC.format(shape=shape, model=folder, steps=steps, limit=limit, rows=rows))
    t = time.time()
    with log.open("a") as f:
        p = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(spec), "--root", str(root)],
                           stdout=f, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                               [str(REPO), os.environ.get("PYTHONPATH", "")])})
    out = {"ok": p.returncode == 0, "seconds": time.time() - t, "stages": {}, "timings": {}}
    if not out["ok"]:  # the run's own one-line error, as the user would read it
        errors = [ln for ln in log.read_text(errors="replace").splitlines() if ln.startswith("error:")]
        out["error"] = errors[-1] if errors else f"exit status {p.returncode}"
    if (root / "timings.json").is_file():
        out["timings"] = json.loads((root / "timings.json").read_text())
    for art in sorted((root / "train").glob("*/artifact.json")):
        a = json.loads(art.read_text())
        for stage, c in a["cost"]["stages"].items():
            out["stages"][f"{a['aligner']}/{stage}"] = c
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu", action="store_true", help="the rehearsal: tiny shapes on the CPU")
    ap.add_argument("--shapes", help="comma-separated, from " + ", ".join(SHAPES) + " [default: 1b,7b; --cpu: tiny]")
    ap.add_argument("--steps", type=int, default=4, help="optimizer steps per aligner (at least 2: dpo and rlhf "
                                                             "train in two stages)")
    ap.add_argument("--limit", type=int, default=8, help="prompts per task")
    ap.add_argument("--bundle", type=Path, default=REPO / ".device")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or REPO / "runs" / "device-check"))
    a = ap.parse_args()
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    device = "cpu" if a.cpu else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        print("error: no CUDA device is visible; run with --cpu for the rehearsal", file=sys.stderr)
        return 2
    shapes = (a.shapes or ("tiny" if a.cpu else "1b,7b")).split(",")
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        print(f"error: unknown shape {unknown[0]}; use {', '.join(SHAPES)}", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    log = a.out / "device-check.log"
    tok_dir = tokenizer_dir(a.bundle)  # before the fresh home: without a bundle it is this machine's model folder
    home(a.bundle)
    work = Path(tempfile.mkdtemp(prefix="device-check-"))
    gpu = torch.cuda.get_device_name(0) if device == "cuda" else platform.processor() or "CPU"
    print(f"device check on {gpu} ({device}); torch {torch.__version__}; library output in {log}")
    table, report = [], {"device": gpu, "torch": torch.__version__, "shapes": {}}
    train_dtype = "fp32 weights, bf16 autocast" if device == "cuda" else "float32"
    for i, shape in enumerate(shapes):
        folder = work / f"random-{shape}"
        made = make_model(shape, folder, tok_dir, device)
        label = f"{shape} ({made['parameters'] / 1e9:.2f}B)" if made["parameters"] > 1e8 else \
            f"{shape} ({made['parameters'] / 1e6:.1f}M)"
        print(f"{label}: initialised and saved in {made['seconds']:.1f} s")
        table.append(("initialise + save", label, "bf16" if device == "cuda" else "float32", device,
                      f"{made['seconds']:.1f} s"))
        r = run(folder, shape, work / f"run-{shape}", a.steps, a.limit, full=i == 0, log=log)
        table.append(("alignboard run (" + ("5 rows" if i == 0 else "base, sft") + ")", label, train_dtype, device,
                      f"ok in {r['seconds']:.0f} s" if r["ok"] else f"FAILED in {r['seconds']:.0f} s: {r['error']}"))
        for name, c in r["stages"].items():
            rate = c["tokens_trained"] / c["train_seconds"] if c.get("train_seconds") else None
            mem = f", peak {c['peak_gpu_bytes'] / 2**30:.2f} GiB" if c.get("peak_gpu_bytes") else ""
            table.append((f"train {name}", label, train_dtype, device,
                          (f"{rate:,.0f} tokens/s" if rate else "not measured") + mem
                          + f" ({c['tokens_trained']} tokens, {c['optimizer_steps']} steps)"))
        shape_report = {"parameters": made["parameters"], "init_seconds": made["seconds"], "run": r}
        if r["ok"]:
            from vllm_check import side_by_side

            from harness.logs import to_file

            with to_file(log):
                rows = side_by_side(["alignboard", "hf"], ["alignboard_safety_mini"], None, a.limit, str(folder))
            for row in rows:
                agree = "" if row is rows[0] else f"; {row['same']} of {row['total']} answers equal alignboard's"
                table.append((f"generate ({row['backend']} backend)", label, "float32", device,
                              f"{row['tokens_per_s']:,.0f} tokens/s over the whole evaluation "
                              f"({row['tokens']} tokens, {row['seconds']:.0f} s){agree}"))
            shape_report["generation"] = rows
        report["shapes"][shape] = shape_report
        shutil.rmtree(folder, ignore_errors=True)
        # after every shape, so that a call stopped at its time limit still brings back what it measured
        (a.out / "device-check.json").write_text(json.dumps({**report, "table": table}, indent=1, default=str) + "\n")
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"alignboard device check: {gpu}, torch {torch.__version__}")
    for col in ("measure", "shape", "dtype", "device", "figure"):
        t.add_column(col)
    for row in table:
        t.add_row(*row)
    Console(width=160).print(t)
    print("skipped:")
    for what, why in SKIPPED:
        print(f"  {what}: {why}")
    report.update(table=table, skipped=SKIPPED)
    (a.out / "device-check.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    failed = [s for s, r in report["shapes"].items() if not r["run"]["ok"]]
    if failed:
        print(f"error: the run failed at shape {failed[0]}; its output is in {log}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    from harness.errors import AlignboardError

    try:
        sys.exit(main())
    except AlignboardError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
