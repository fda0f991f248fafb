#!/usr/bin/env bash
# The GPU acceptance check of the scale-out path, for a machine with one CUDA GPU (target: under
# 8 minutes on one H200, install included). NOT run yet: no GPU was available to the sessions
# that wrote it; the README and docs/how-to/gpus.md say so until its figures are recorded there.
#
#   bash bench/gpu.sh [BASE]      # BASE: a local folder, a hub id, or the embedded model (default)
#
# It installs alignboard with the gpu (vLLM, CUDA torch) and ray extras into .venv-gpu, runs a
# reduced `paper` spec (base, sft, dpo, mistake_analysis+hint; one seed; 32 steps; the offline
# mini tasks; probe judge) through Ray (one GPU per stage) with TRL training in bf16 and vLLM
# evaluation, then evaluates the sft adapter with the hf and vllm backends side by side, and
# prints train tokens/s, eval tokens/s of both backends, and peak GPU memory (vLLM reserves
# --gpu-memory-utilization of the card for its KV cache, so the peak shows that reservation).
# Last, a HarmBench DirectRequest run of BASE on the official test split, scored by HarmBench's own
# classifier served by vLLM (needs the hub: cais/HarmBench-Llama-2-13b-cls, about 26 GB), printing
# its ASR and unparseable share: the first number of alignboard's that sits next to published ones.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-smollm2-135m-instruct}
command -v nvidia-smi >/dev/null || { echo "bench/gpu.sh needs a CUDA GPU (nvidia-smi not found)" >&2; exit 2; }
start=$(date +%s)
python3 -m venv .venv-gpu
. .venv-gpu/bin/activate
pip install -q ".[gpu,ray]"
alignboard assets fetch
export TOKENIZERS_PARALLELISM=false
work=$(mktemp -d)
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 > "$work/memory.csv" &
sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT
cat > "$work/gpu.toml" <<EOF
name = "paper-reduced-gpu"
seeds = [0]
[model]
base = "$BASE"
[budget]
max_steps = 32
batch_size = 8
n_harmful = 64
n_benign = 32
[[aligners]]
name = "base"
[[aligners]]
name = "sft"
[[aligners]]
name = "dpo"
[[aligners]]
name = "mistake_analysis"
[eval]
tasks = ["alignboard_safety_mini", "alignboard_helpfulness_mini"]
judge = "probe"
backend = "vllm"
[resources]
gpus_per_train = 1
gpus_per_eval = 1
EOF
t0=$(date +%s)
alignboard run "$work/gpu.toml" --root "$work/run" --executor ray
echo "run (Ray + TRL bf16 + vLLM): $(( $(date +%s) - t0 )) s"
python - "$work/run" <<'PY'
import json, sys
from pathlib import Path
for art in sorted(Path(sys.argv[1], "train").glob("*/artifact.json")):
    c = json.loads(art.read_text())["cost"]
    if c["tokens_trained"]:
        print(f"train {art.parent.name}: {c['tokens_trained'] / c['wall_seconds']:.0f} tokens/s "
              f"({c['tokens_trained']} tokens, {c['wall_seconds']:.0f} s incl. data building)")
PY
adapter=$(ls -d "$work"/run/train/sft-*/adapter | head -1)
python bench/vllm_check.py --adapter "$adapter" --backends hf,vllm
t0=$(date +%s)
vllm serve cais/HarmBench-Llama-2-13b-cls --port 8011 --gpu-memory-utilization 0.45 > "$work/cls.log" 2>&1 &
cls=$!
trap 'kill $sampler $cls 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do curl -sf http://127.0.0.1:8011/v1/models >/dev/null && break; sleep 5; done
HARMBENCH_CLS_BASE_URL=http://127.0.0.1:8011/v1 HARMBENCH_CLS_API_KEY=local \
    alignboard eval --tasks harmbench --model "$BASE" --backend hf --output "$work/harmbench.json"
kill $cls 2>/dev/null || true
echo "HarmBench DirectRequest with harmbench_cls: $(( $(date +%s) - t0 )) s (results: $work/harmbench.json)"
kill $sampler 2>/dev/null || true
echo "peak GPU memory: $(sort -n "$work/memory.csv" | tail -1) MiB"
echo "total: $(( $(date +%s) - start )) s (target: 480 s)"
