"""Publish a leaderboard as a static folder: HTML, JSON, Markdown, the entries' configs and a manifest."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import Any, Optional

from harness.io import atomic_path, git_revision, sha256_file
from leaderboards.board import Leaderboard
from leaderboards.chart import curve_svg
from leaderboards.render import curve_csv, to_csv, to_json, to_markdown
from leaderboards.report import to_html

_PACKAGES = ("alignboard", "torch", "transformers", "trl", "peft", "lm_eval", "datasets")


def versions() -> dict[str, str]:
    """Installed versions of the packages that produce results."""
    out = {}
    for p in _PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def _revision() -> Optional[str]:
    """alignboard's git revision when it runs from its checkout (not from an installed wheel)."""
    root = Path(__file__).resolve().parents[1]
    return git_revision(root) if (root / ".git").exists() else None


def publish(lb: Leaderboard, dest: str | Path, push_to: str | None = None,
            files: Optional[dict[str, Any]] = None) -> Path:
    """Write ``dest`` atomically: index.html, leaderboard.json/.md/.csv (with a budget curve: curve.csv and
    curve.svg), setup.json, ``files`` (name -> JSON
    data: a run adds its spec.json and resolved.json) and manifest.json (package versions, alignboard's git
    revision when it runs from a checkout, the sha256 of every other file)."""
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        tmp.mkdir()
        (tmp / "index.html").write_text(to_html(lb), encoding="utf-8")
        (tmp / "leaderboard.json").write_text(to_json(lb), encoding="utf-8")
        (tmp / "leaderboard.md").write_text(to_markdown(lb), encoding="utf-8")
        (tmp / "leaderboard.csv").write_text(to_csv(lb), encoding="utf-8")
        if lb.curve:
            (tmp / "curve.csv").write_text(curve_csv(lb.curve), encoding="utf-8")
            (tmp / "curve.svg").write_text(curve_svg(lb.curve, lb.baseline), encoding="utf-8")
        setup = [{"aligner": e.aligner, "label": e.label, "hint": e.hint, "config": e.aligner_config, "seed": e.seed,
                  "template_id": e.template_id, "adapter_identity": e.adapter_identity, "cost": e.cost}
                 for r in lb.rows for e in r.entries]
        (tmp / "setup.json").write_text(json.dumps({"comparability": lb.key, "entries": setup}, indent=2, default=str))
        for name, data in (files or {}).items():
            (tmp / name).write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")
        manifest = {"versions": versions(), "git_revision": _revision(),
                    "judge_identity": lb.judge_identity,
                    "files": {p.name: sha256_file(p) for p in sorted(tmp.iterdir())}}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    if push_to:
        from huggingface_hub import HfApi

        HfApi().upload_folder(folder_path=str(dest), repo_id=push_to, repo_type="dataset")
    return dest
