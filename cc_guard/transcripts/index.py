"""The persistent index: per transcript file, the read offset and the fold so far.

SQLite rather than JSON files, because:
- a refresh after a one-line append rewrites one small row, not a whole index
  file, and unchanged rows are never rewritten;
- updates are atomic and several cc-guard processes (CLI, dashboard, hooks) can
  read and write it at once without torn files;
- it is in the standard library.
The file lives in ``<state_dir>/index/`` and is created 0600. A schema version
mismatch (or a corrupt file) simply rebuilds the index from the transcripts.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from typing import TYPE_CHECKING, Any

from cc_guard.base.fs import ensure_private_dir

if TYPE_CHECKING:
    from _typeshed import StrPath


#: Bump when Fold/Cursor serialisation changes: old indexes are then rebuilt.
SCHEMA_VERSION = 11
INDEX_NAME = "transcripts.sqlite"


class Index:
    def __init__(self, directory: StrPath) -> None:
        ensure_private_dir(directory)
        self.path = os.path.join(directory, INDEX_NAME)
        self.conn = self._open()

    def _open(self) -> sqlite3.Connection:
        fresh = not os.path.exists(self.path)
        if fresh:
            # Create it 0600 before sqlite does (sqlite would use the umask).
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(fd)
        try:
            conn = self._connect()
        except sqlite3.DatabaseError:
            self._remove()
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(fd)
            conn = self._connect()
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        # Losing the last update on power loss only means re-reading some bytes.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or row[0] != str(SCHEMA_VERSION):
            conn.execute("DROP TABLE IF EXISTS files")
            conn.execute("DELETE FROM meta")
            conn.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS files"
            " (path TEXT PRIMARY KEY, cursor TEXT NOT NULL, brief TEXT NOT NULL, fold TEXT NOT NULL)"
        )
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.chmod(f"{self.path}{suffix}", 0o600)
        return conn

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")

    def load_files(
        self, with_folds: bool, paths: list[str] | None = None
    ) -> dict[str, tuple[str, str, str | None]]:
        """path -> (cursor JSON, brief JSON, fold JSON or None); decoded by the caller.

        Folds are the bulk of the index; a session listing needs only briefs.
        ``paths`` limits the rows to those files (briefs only).
        """
        if paths is not None:
            out: dict[str, tuple[str, str, str | None]] = {}
            for path in paths:
                row = self.conn.execute(
                    "SELECT cursor, brief FROM files WHERE path = ?", (path,)
                ).fetchone()
                if row is not None:
                    out[path] = (row[0], row[1], None)
            return out
        if with_folds:
            query = "SELECT path, cursor, brief, fold FROM files"
            return {r[0]: (r[1], r[2], r[3]) for r in self.conn.execute(query)}
        return {
            r[0]: (r[1], r[2], None)
            for r in self.conn.execute("SELECT path, cursor, brief FROM files")
        }

    def load_fold(self, path: str) -> str | None:
        row = self.conn.execute("SELECT fold FROM files WHERE path = ?", (path,)).fetchone()
        return None if row is None else str(row[0])

    def save_files(self, rows: list[tuple[str, str, str, str]], removed: list[str]) -> None:
        """Write (path, cursor, brief, fold) rows (JSON text) and drop ``removed`` paths, atomically."""
        if not rows and not removed:
            return
        with self._transaction():
            self.conn.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", rows)
            self.conn.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in removed])

    def get_meta(self, key: str) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except ValueError:
            return None

    def set_meta(self, key: str, value: Any) -> None:
        with self._transaction():
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    @contextlib.contextmanager
    def _transaction(self) -> Any:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()
