#!/usr/bin/env bash
# The helpfulness protocols on a GPU, beside bench/gpu.sh. NOT run yet: no GPU, hub or judge key was available
# to the sessions that wrote it; the README and docs/how-to/gpus.md say so until its figures are recorded there.
#
#   bash bench/gpu_helpfulness.sh [BASE]
#
# BASE (default: the embedded model) answers MT-Bench's 80 questions, both turns, at FastChat's category
# temperatures with 1024 new tokens through vLLM; each turn is graded by FastChat's judge prompts. The judge is
# the endpoint in OPENAI_BASE_URL / OPENAI_API_KEY (unset: api.openai.com, model gpt-4 as FastChat's default;
# set MTBENCH_JUDGE to grade with another model of that endpoint, e.g. a local `vllm serve` of an open judge,
# whose scores are then not GPT-4's). Prints the MT-Bench score, both turns' scores, their CIs and the
# unrated turns. Then AlpacaEval 2 on its 805 instructions (needs the hub), annotated by the same endpoint
# (gpt-4-1106-preview unless ALPACAEVAL_JUDGE names another model; it must return log-probabilities), printing
# the win rate and the length-controlled win rate with their standard errors' CIs.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-smollm2-135m-instruct}
command -v nvidia-smi >/dev/null || { echo "bench/gpu_helpfulness.sh needs a CUDA GPU (nvidia-smi not found)" >&2; exit 2; }
[ -n "${OPENAI_API_KEY:-}" ] || { echo "set OPENAI_API_KEY (and OPENAI_BASE_URL for a local judge endpoint)" >&2; exit 2; }
[ -d .venv-gpu ] || { python3 -m venv .venv-gpu && . .venv-gpu/bin/activate && pip install -q ".[gpu,alpacaeval]"; }
. .venv-gpu/bin/activate
alignboard assets fetch
t0=$(date +%s)
alignboard eval --tasks mtbench --model "$BASE" --backend vllm --output mtbench-gpu.json \
    ${MTBENCH_JUDGE:+--task-judge-set mtbench.model="$MTBENCH_JUDGE"}
echo "MT-Bench, both turns: $(( $(date +%s) - t0 )) s (results: mtbench-gpu.json)"
t0=$(date +%s)
alignboard eval --tasks alpaca_eval_2 --model "$BASE" --backend vllm --output alpacaeval-gpu.json \
    ${ALPACAEVAL_JUDGE:+--task-judge-set alpacaeval.model="$ALPACAEVAL_JUDGE"}
echo "AlpacaEval 2: $(( $(date +%s) - t0 )) s (results: alpacaeval-gpu.json)"
