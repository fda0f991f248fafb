#!/usr/bin/env bash
# The device check rehearsed here on the CPU, in a fresh environment that holds only the device image's packages
# (the versions its KINDS.md states: transformers 5.17.0, accelerate 1.15.0, huggingface-hub 1.33.0, tokenizers
# 0.23.2, numpy 2.5.2, safetensors 0.8.0; the others at this checkout's versions) plus the carry bundle installed the
# way the device installs it (--no-index --no-deps --target), so a missing wheel or file shows here, not there.
# Differences from the device, which cannot be closed here: Python 3.11 and torch 2.13.0 CPU (the device: 3.12 and
# torch 2.11.0 CUDA 13; no CPU torch for 3.12 is reachable from this machine), so the bundle is rebuilt for 3.11 (the
# same packages and versions; two of its 25 wheels are version-specific builds).
#   bash bench/device_rehearsal.sh        # about 5 minutes; prints the check's table
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
work=${REHEARSAL_DIR:-$(mktemp -d /tmp/device-rehearsal-XXXX)}
. .venv/bin/activate
python bench/device_bundle.py --out "$work/bundle" --python-version 3.11
read -r -d '' lists <<'PY' || true
import sys
sys.path.insert(0, "bench")
import device_bundle as d
carry, present = d.closure()
stated = {n: d.DEVICE_VERSIONS[n] for n in present if n in d.DEVICE_VERSIONS and n != "torch"}
print(" ".join(f"{n}=={v}" for n, v in sorted(present.items()) if n not in stated and n != "torch"))
print(" ".join(f"{n}=={v}:{present[n]}" for n, v in sorted(stated.items())))
PY
others=$(python -c "$lists" | sed -n 1p)
stated=$(python -c "$lists" | sed -n 2p)
deactivate
python3 -m venv "$work/venv"
. "$work/venv/bin/activate"
pip install -q torch==2.13.0
chosen=""
for pin in $stated; do  # the versions the device states, each where it exists for this Python
    want=${pin%%:*}; mine=${pin##*:}; name=${want%%==*}
    if pip download -q --no-deps -d "$work/probe" "$want" >/dev/null 2>&1; then chosen="$chosen $want"
    else chosen="$chosen $name==$mine"; echo "$want does not install on this Python: $name==$mine instead"; fi
done
echo "the device's packages:$chosen $others"
pip install -q $chosen $others
# what pip added as their dependencies that the device's list lacks goes again, so that only the bundle can supply
# it (the egg-info of this checkout is not an installed package)
extra=$(cd / && python -c "
import importlib.metadata as md, re, sys
names = {re.sub(r'[-_.]+', '-', x.metadata['Name']).lower() for x in md.distributions()}
sys.path.insert(0, '$here/bench')
import device_bundle as d
print(' '.join(sorted(n for n in names - d.DEVICE_PACKAGES if not n.startswith('nvidia-'))))")
if [ -n "$extra" ]; then echo "removed again (not on the device's list): $extra"; pip uninstall -q -y $extra; fi
pip check || echo "(pip check's complaints above: requirements the device image meets its own way)"
pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$work/site" "$work"/bundle/wheels/*.whl
export PYTHONPATH="$work/site:$here" PYTHONUNBUFFERED=1
python bench/device_check.py --cpu --bundle "$work/bundle" --out "$work/out" "$@"
