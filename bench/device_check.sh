#!/usr/bin/env bash
# The device check on the lent GPU machine (no network): installs the carried wheels the way the device tool's README
# says (--no-index --no-deps into /tmp/site), then runs bench/device_check.py with the device's own torch,
# transformers, peft and accelerate. Build the bundle here first: python bench/device_bundle.py; then the device
# tool's run with carry [".device"] and the command `bash bench/device_check.sh` (arguments go to device_check.py).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .device/wheels ] || { echo "error: .device/wheels is missing; run python bench/device_bundle.py here and carry .device" >&2; exit 2; }
PY=${PYTHON:-python3}
SITE=${DEVICE_SITE:-/tmp/site}
"$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .device/wheels/*.whl
export PYTHONPATH="$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
exec "$PY" bench/device_check.py "$@"
