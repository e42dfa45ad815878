"""Live sessions: watchdog events on Claude Code's transcripts drive engine refreshes.

Claude Code appends to its transcripts many times a second while it streams; the
hooks append to cc-guard's event log and the statusline rewrites its feed files.
A :class:`SessionWatcher` listens to all three with watchdog (inotify on Linux),
coalesces bursts of events (``debounce`` seconds), and hands the refreshed models
to a callback. The engine's incremental reader means each refresh reads only the
bytes that arrived since the last one.

Core module: no TUI imports. The dashboard and ``cc-guard sessions --watch`` use it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchdog.events import (
    EVENT_TYPE_CLOSED_NO_WRITE,
    EVENT_TYPE_OPENED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from cc_guard.transcripts.engine import Engine
from cc_guard.transcripts.model import SessionModel

OnChange = Callable[[list[SessionModel]], None]


#: Events that change nothing: the engine's own reads open and close these files, so
#: reacting to them would refresh forever on a session list that stands still.
_READS = frozenset({EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE})


class _Nudge(FileSystemEventHandler):
    """Marks the watcher dirty for any change to a file the engine reads."""

    def __init__(self, wake: threading.Event) -> None:
        self._wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _READS:
            return
        path = str(event.src_path)
        dest = str(getattr(event, "dest_path", "") or "")
        if any(_relevant(p) for p in (path, dest) if p):
            self._wake.set()


def _relevant(path: str) -> bool:
    # Transcripts and subagent transcripts, the hook event log, statusline feeds.
    return path.endswith((".jsonl", ".json")) or path.endswith("/projects")


class SessionWatcher:
    """Calls ``on_change(models)`` once at start and after every burst of changes.

    ``on_change`` runs on the watcher's own thread; exceptions it raises are passed
    to ``on_error`` (default: re-raised on :meth:`stop`), never lost silently.
    """

    def __init__(
        self,
        engine: Engine,
        on_change: OnChange,
        *,
        debounce: float = 0.15,
        rescan_seconds: float = 30.0,
        brief: bool = True,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._engine = engine
        self._on_change = on_change
        self._debounce = debounce
        # A periodic refresh even without events: clock-based states (running -> idle)
        # change with no file event, and a missed inotify event must not freeze the view.
        self._rescan = rescan_seconds
        self._brief = brief
        self._on_error = on_error
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._observer: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self) -> SessionWatcher:
        observer = Observer()
        handler = _Nudge(self._wake)
        for directory in self._watched_dirs():
            observer.schedule(handler, str(directory), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer
        self._thread = threading.Thread(target=self._loop, name="cc-guard-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._error is not None and self._on_error is None:
            error, self._error = self._error, None
            raise error

    def __enter__(self) -> SessionWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _watched_dirs(self) -> list[Path]:
        """The directories to watch; created (0700 for ours) so a first session is seen."""
        projects = self._engine.claude_dir / "projects"
        state = self._engine.state_dir
        dirs: list[Path] = []
        for directory in (projects, state):
            try:
                directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError:
                continue  # read-only or missing parent: the periodic rescan still runs
            dirs.append(directory)
        return dirs

    def _loop(self) -> None:
        self._emit()
        while not self._stopping.is_set():
            woke = self._wake.wait(timeout=self._rescan)
            if self._stopping.is_set():
                return
            if woke:
                # Coalesce a burst (Claude Code streams many appends a second).
                self._stopping.wait(self._debounce)
                self._wake.clear()
            self._emit()

    def _emit(self) -> None:
        try:
            self._on_change(self._engine.refresh(brief=self._brief))
        except BaseException as exc:  # handed over, never swallowed
            if self._on_error is not None:
                self._on_error(exc)
            else:
                self._error = exc
                self._stopping.set()
