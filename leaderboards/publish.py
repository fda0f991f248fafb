"""Publish a leaderboard as a static folder: HTML, JSON, Markdown, the entries' configs and a manifest."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

from harness.io import atomic_path, sha256_file
from leaderboards.board import Leaderboard
from leaderboards.render import to_csv, to_html, to_json, to_markdown

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


def publish(lb: Leaderboard, dest: str | Path, push_to: str | None = None) -> Path:
    """Write ``dest`` atomically: index.html, leaderboard.json/.md/.csv, setup.json, manifest.json."""
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        tmp.mkdir()
        (tmp / "index.html").write_text(to_html(lb), encoding="utf-8")
        (tmp / "leaderboard.json").write_text(to_json(lb), encoding="utf-8")
        (tmp / "leaderboard.md").write_text(to_markdown(lb), encoding="utf-8")
        (tmp / "leaderboard.csv").write_text(to_csv(lb), encoding="utf-8")
        setup = [{"aligner": e.aligner, "label": e.label, "hint": e.hint, "config": e.aligner_config, "seed": e.seed,
                  "template_id": e.template_id, "adapter_identity": e.adapter_identity, "cost": e.cost}
                 for r in lb.rows for e in r.entries]
        (tmp / "setup.json").write_text(json.dumps({"comparability": lb.key, "entries": setup}, indent=2, default=str))
        manifest = {"versions": versions(), "judge_identity": lb.judge_identity,
                    "files": {p.name: sha256_file(p) for p in sorted(tmp.iterdir())}}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    if push_to:
        from huggingface_hub import HfApi

        HfApi().upload_folder(folder_path=str(dest), repo_id=push_to, repo_type="dataset")
    return dest
