"""A folder that accumulates leaderboard entries across runs, one JSON file per entry."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from harness.errors import AlignboardError
from harness.io import atomic_write_json, stable_hash
from leaderboards.entry import MIGRATES, SCHEMA_VERSION, Entry, migrate

_MARKER = "alignboard-store.json"


class Store:
    """``<dir>/alignboard-store.json`` (schema version) and ``<dir>/entries/<id>.json``.

    Entries are written atomically. A store from an older schema this one can read is
    migrated in place (each entry rewritten atomically, then the marker; ``migrated`` counts
    them); one from another schema version or with a corrupt entry is refused with a clear
    error, and nothing in it is overwritten.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.replaced: list[str] = []  # what add() replaced in this session, said out loud by the callers
        self.migrated = 0  # entries upgraded from an older schema when the store was opened
        marker = self.path / _MARKER
        if marker.is_file():
            try:
                version = json.loads(marker.read_text())["schema_version"]
            except (ValueError, KeyError):
                raise AlignboardError(f"{marker} is corrupt; point --store at another folder") from None
            if version in MIGRATES:
                self._migrate(marker)
            elif version != SCHEMA_VERSION:
                raise AlignboardError(f"results store {self.path} has schema version {version}, this alignboard "
                                      f"reads {SCHEMA_VERSION}; use another --store folder")
        elif self.path.exists() and any(self.path.iterdir()):
            raise AlignboardError(f"{self.path} is not an alignboard results store (no {_MARKER}); "
                                  "use an empty or new folder")

    def _migrate(self, marker: Path) -> None:
        files = sorted((self.path / "entries").glob("*.json"))
        entries = [self._read(f) for f in files]  # all of them readable, or nothing is touched
        for f, e in zip(files, entries):
            atomic_write_json(f, e.model_dump())
        atomic_write_json(marker, {"schema_version": SCHEMA_VERSION})
        self.migrated = len(files)

    @staticmethod
    def entry_id(entry: Entry) -> str:
        """One id per (row, aligner config, seed, evaluation setup): a re-run replaces, never duplicates."""
        return stable_hash([entry.aligner, entry.aligner_config, entry.seed, entry.template_id,
                            entry.comparability_key()] + ([entry.label] if entry.label else []))[:16]

    def add(self, entry: Entry) -> str:
        """Store an entry and return its id; an entry it replaces with other weights is noted in ``replaced``."""
        if not (self.path / _MARKER).is_file():
            atomic_write_json(self.path / _MARKER, {"schema_version": SCHEMA_VERSION})
        eid = self.entry_id(entry)
        path = self.path / "entries" / f"{eid}.json"
        old = self._read(path) if path.is_file() else None
        if old is not None and old.adapter_identity != entry.adapter_identity:
            self.replaced.append(f"{eid}: {entry.label or entry.aligner} seed {entry.seed} "
                                 f"(adapter {old.adapter_identity} replaced by {entry.adapter_identity})")
        atomic_write_json(path, entry.model_dump())
        return eid

    @staticmethod
    def _read(f: Path) -> Entry:
        try:
            data = json.loads(f.read_text())
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return Entry(**migrate(data))
        except (ValueError, ValidationError):
            raise AlignboardError(f"results store entry {f} is corrupt or from another version; "
                                  "remove it or use another --store") from None

    def entries(self) -> list[Entry]:
        """Every stored entry (sorted by aligner, then seed)."""
        out = [self._read(f) for f in sorted((self.path / "entries").glob("*.json"))]
        return sorted(out, key=lambda e: (e.aligner, e.label or "", e.seed))
