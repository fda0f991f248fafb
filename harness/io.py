"""Hashing and atomic writes: the one place for each."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

_CHUNK = 1 << 20
# sha256 by (path, size, mtime_ns): an unchanged file is hashed once per process;
# any write changes its mtime, so it is hashed again.
_memo: dict[tuple[str, int, int], str] = {}


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes (memoised per process while the file is unchanged)."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    if key not in _memo:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        _memo[key] = h.hexdigest()
    return _memo[key]


def forget_hashes() -> None:
    """Drop the memo so the next :func:`sha256_file` calls read every byte again."""
    _memo.clear()


def stable_hash(obj: Any) -> str:
    """Hex sha256 of a JSON-serialisable value, independent of dict order."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it onto ``dest`` only on success.

    Works for files and folders. On error the temporary is removed and ``dest``
    is left exactly as it was, so a killed or failed write never leaves a
    half-written artifact under the final name; an OSError names ``dest``.
    """
    dest = Path(dest)
    tmp = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
        target = tmp / dest.name
        yield target
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        os.replace(target, dest)
    except OSError as e:  # named by what was being written, not by a hidden temporary
        raise OSError(e.errno, e.strerror, str(dest)) from e
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def atomic_write_text(dest: str | os.PathLike, text: str) -> None:
    """Write text to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_json(dest: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``dest`` atomically."""
    atomic_write_text(dest, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def git_revision(folder: str | os.PathLike | None = None) -> str | None:
    """``git describe --always --dirty`` of ``folder`` (default: the working folder), or None outside a
    checkout, without git's complaints on the terminal."""
    import subprocess

    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10,
                             cwd=folder)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
