"""The persistent index: per transcript file, the read offset and the fold so far.

SQLite rather than JSON files, because:
- a refresh after a one-line append rewrites one small row, not a whole index
  file, and unchanged rows are never rewritten;
- updates are atomic and several cc-guard processes (CLI, dashboard, hooks) can
  read and write it at once without torn files;
- it is in the standard library.
The file lives in ``<state_dir>/index/`` and is created 0600. A schema version
mismatch (or a corrupt file) simply rebuilds the index from the transcripts. An index
that cannot be used (locked by another process past the busy timeout, a read-only or
full state dir) is never deleted: opening it raises :class:`IndexUnavailable`, and a
write that fails is dropped (the engine's answer does not depend on it) and noted in
:attr:`Index.problem`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from typing import TYPE_CHECKING, Any

from cc_guard.base.fs import ensure_private_dir

if TYPE_CHECKING:
    from collections.abc import Callable

    from _typeshed import StrPath


#: Bump when Fold/Cursor serialisation changes: old indexes are then rebuilt.
SCHEMA_VERSION = 13
INDEX_NAME = "transcripts.sqlite"
#: How long to wait for another process's lock on the index (seconds).
TIMEOUT_ENV = "CC_GUARD_INDEX_TIMEOUT"
DEFAULT_TIMEOUT = 10.0


class IndexUnavailable(OSError):
    """The index cannot be opened or read now (locked, read-only, full); it is left as is."""


def _timeout() -> float:
    try:
        return max(0.0, float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT


class Index:
    def __init__(self, directory: StrPath | None) -> None:
        """The index in ``directory``; None: an in-memory one (when the file cannot be used)."""
        #: Why the last write was dropped, if one was (for a one-line note to the user).
        self.problem: str | None = None
        if directory is None:
            self.path = ":memory:"
            self.conn = self._connect()
            return
        try:
            ensure_private_dir(directory)
        except OSError as exc:
            raise IndexUnavailable(
                f"the session index directory {directory} is unavailable ({exc.strerror})"
            ) from None
        self.path = os.path.join(directory, INDEX_NAME)
        self.conn = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            if not os.path.exists(self.path):
                # Create it 0600 before sqlite does (sqlite would use the umask).
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            try:
                return self._connect()
            except sqlite3.OperationalError:
                raise  # locked, unreadable, read-only, full: not a reason to delete it
            except sqlite3.DatabaseError:  # not a database (corrupt): rebuild from scratch
                self._remove()
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
                return self._connect()
        except sqlite3.OperationalError as exc:
            raise IndexUnavailable(f"the session index {self.path} is unavailable ({exc})") from None
        except OSError as exc:
            raise IndexUnavailable(
                f"the session index {self.path} is unavailable ({exc.strerror})"
            ) from None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=_timeout(), isolation_level=None)
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
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
        if self.path != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.chmod(f"{self.path}{suffix}", 0o600)

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
        with self._reading():
            return self._load_files(with_folds, paths)

    def _load_files(
        self, with_folds: bool, paths: list[str] | None
    ) -> dict[str, tuple[str, str, str | None]]:
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
        with self._reading():
            row = self.conn.execute("SELECT fold FROM files WHERE path = ?", (path,)).fetchone()
        return None if row is None else str(row[0])

    def save_files(self, rows: list[tuple[str, str, str, str]], removed: list[str]) -> None:
        """Write (path, cursor, brief, fold) rows (JSON text) and drop ``removed`` paths, atomically."""
        if not rows and not removed:
            return

        def statements() -> None:
            self.conn.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", rows)
            self.conn.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in removed])

        self._write(statements)

    def get_meta(self, key: str) -> Any:
        with self._reading():
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except ValueError:
            return None

    def set_meta(self, key: str, value: Any) -> None:
        self._write(
            lambda: self.conn.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value))
            )
        )

    @contextlib.contextmanager
    def _reading(self) -> Any:
        try:
            yield
        except sqlite3.OperationalError as exc:
            raise IndexUnavailable(f"the session index {self.path} is unavailable ({exc})") from None

    def _write(self, statements: Callable[[], object]) -> None:
        """Run ``statements`` in one transaction. One that cannot run (locked past the
        timeout, read-only, full) is dropped and noted in :attr:`problem`; later writes
        of this connection are then skipped rather than wait for the lock again."""
        if self.problem is not None:
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            self.problem = f"the session index {self.path} was not updated ({exc})"
            return
        try:
            statements()
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            self.problem = f"the session index {self.path} was not updated ({exc})"
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.conn.close()
