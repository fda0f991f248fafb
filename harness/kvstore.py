"""A string-to-string table in one SQLite file: the storage behind every on-disk cache."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Sequence

from harness.errors import warn


class KVStore:
    """Keys to texts; each ``put_many`` is one transaction, so a kill never leaves a partial row.

    A cache that cannot be written (read-only or full disk) says so once on stderr and the
    work goes on uncached: what was computed is still returned.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            with self._db:
                self._db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except (OSError, sqlite3.Error) as e:
            self._give_up(e)

    def _give_up(self, e: Exception) -> None:
        self._db = None
        warn(f"results are not cached: cannot write {self.path} ({e}); make it writable or set ALIGNBOARD_CACHE")

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """Stored values for whichever of ``keys`` are present."""
        out: dict[str, str] = {}
        if self._db is None:
            return out
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = f"SELECT key, value FROM kv WHERE key IN ({','.join('?' * len(chunk))})"
            out.update(self._db.execute(q, chunk).fetchall())
        return out

    def put_many(self, items: dict[str, str]) -> None:
        """Store values, replacing old ones (nothing, once the cache could not be written)."""
        if self._db is None:
            return
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", list(items.items()))
        except (OSError, sqlite3.Error) as e:
            self._give_up(e)
