"""A string-to-string table in one SQLite file: the storage behind every on-disk cache."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Sequence


class KVStore:
    """Keys to texts; each ``put_many`` is one transaction, so a kill never leaves a partial row."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """Stored values for whichever of ``keys`` are present."""
        out: dict[str, str] = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = f"SELECT key, value FROM kv WHERE key IN ({','.join('?' * len(chunk))})"
            out.update(self._db.execute(q, chunk).fetchall())
        return out

    def put_many(self, items: dict[str, str]) -> None:
        """Store values, replacing old ones."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", list(items.items()))
