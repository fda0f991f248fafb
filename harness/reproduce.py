"""``alignboard reproduce PUBLISHED_DIR``: run a published leaderboard's spec again and check every cell.

The published folder's files are first checked against its manifest (a folder that was
edited is refused). Its ``spec.json`` then runs into a new root like any spec, and each
published cell is compared with the reproduced one: inside the published 95% CI, outside
it, or not measured in either (n/a).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from harness.errors import AlignboardError
from harness.io import sha256_file


@dataclass
class CellCheck:
    row: str
    column: str
    published: Optional[float]
    ci: tuple[Optional[float], Optional[float]]
    reproduced: Optional[float]

    @property
    def status(self) -> str:
        """"inside", "outside", "n/a" (neither measured) or "missing" (one side has no value)."""
        if self.published is None and self.reproduced is None:
            return "n/a"
        if self.published is None or self.reproduced is None or None in self.ci:
            return "missing"
        return "inside" if self.ci[0] <= self.reproduced <= self.ci[1] else "outside"


def check_manifest(folder: Path) -> dict:
    """The published folder's manifest, after checking every file it lists against its sha256."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        raise AlignboardError(f"{folder} is not a published leaderboard (no readable manifest.json); give the "
                              "folder `alignboard run` or `leaderboard publish` wrote") from None
    if "spec.json" not in manifest.get("files", {}):
        raise AlignboardError(f"{folder} records no spec.json (published by `leaderboard publish`, not by a run); "
                              "only a run's published folder can be reproduced")
    for name, digest in manifest["files"].items():
        if not (folder / name).is_file() or sha256_file(folder / name) != digest:
            raise AlignboardError(f"{folder / name} does not match its sha256 in manifest.json; the published "
                                  "folder was changed after publishing")
    return manifest


def _value(v) -> Optional[float]:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def compare(published: dict, board) -> list[CellCheck]:
    """Every published cell (leaderboard.json) next to the same cell of ``board``."""
    rows = {r.label: r for r in board.rows}
    checks = []
    for row in published["rows"]:
        for col, cell in row["cells"].items():
            mine = rows.get(row["label"])
            value = None if mine is None or col not in mine.cells or board.unmeasured(mine, col) \
                else _value(mine.cells[col].mean)
            checks.append(CellCheck(row["label"], col, _value(cell.get("mean")),
                                    (_value(cell.get("ci_low")), _value(cell.get("ci_high"))), value))
    return checks


def reproduce(folder: Path, root: Path, log: Callable[[str], None] = print, verbose: bool = False) -> list[CellCheck]:
    """Run the published spec into ``root`` and compare every cell with the published one."""
    from harness.runner import run
    from harness.spec import load_spec

    check_manifest(folder)
    if root.resolve() == folder.resolve() or folder.resolve().is_relative_to(root.resolve()):
        raise AlignboardError(f"reproduce into a new root, not into {root} (it holds the published folder)")
    spec = load_spec(str(folder / "spec.json"))
    board = run(spec, root, log, verbose=verbose)
    return compare(json.loads((folder / "leaderboard.json").read_text()), board)
