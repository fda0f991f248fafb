"""A folder that accumulates leaderboard entries across runs, one JSON file per entry."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from harness.errors import AlignboardError
from harness.io import atomic_write_json, stable_hash
from leaderboards.entry import SCHEMA_VERSION, Entry

_MARKER = "alignboard-store.json"


class Store:
    """``<dir>/alignboard-store.json`` (schema version) and ``<dir>/entries/<id>.json``.

    Entries are written atomically; a store from another schema version or with a
    corrupt entry is refused with a clear error, and nothing in it is overwritten.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        marker = self.path / _MARKER
        if marker.is_file():
            try:
                version = json.loads(marker.read_text())["schema_version"]
            except (ValueError, KeyError):
                raise AlignboardError(f"{marker} is corrupt; point --store at another folder") from None
            if version != SCHEMA_VERSION:
                raise AlignboardError(f"results store {self.path} has schema version {version}, this alignboard "
                                      f"reads {SCHEMA_VERSION}; use another --store folder")
        elif self.path.exists() and any(self.path.iterdir()):
            raise AlignboardError(f"{self.path} is not an alignboard results store (no {_MARKER}); "
                                  "use an empty or new folder")

    @staticmethod
    def entry_id(entry: Entry) -> str:
        """Entries of the same aligner config, seed, adapter and evaluation setup share an id (re-runs replace)."""
        return stable_hash([entry.aligner, entry.aligner_config, entry.seed, entry.adapter_identity,
                            entry.template_id, entry.comparability_key()] + ([entry.label] if entry.label else []))[:16]

    def add(self, entry: Entry) -> str:
        """Store an entry; return its id."""
        if not (self.path / _MARKER).is_file():
            atomic_write_json(self.path / _MARKER, {"schema_version": SCHEMA_VERSION})
        eid = self.entry_id(entry)
        atomic_write_json(self.path / "entries" / f"{eid}.json", entry.model_dump())
        return eid

    def entries(self) -> list[Entry]:
        """Every stored entry (sorted by aligner, then seed)."""
        out = []
        for f in sorted((self.path / "entries").glob("*.json")):
            try:
                out.append(Entry(**json.loads(f.read_text())))
            except (ValueError, ValidationError):
                raise AlignboardError(f"results store entry {f} is corrupt or from another version; "
                                      "remove it or use another --store") from None
        return sorted(out, key=lambda e: (e.aligner, e.label or "", e.seed))
