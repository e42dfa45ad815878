"""``<state dir>/hook-errors.log``: problems cc-guard had where nobody was watching.

One line per problem: ``<ISO time> <source> <message>``. Never a hook payload, a
prompt or a file's content: the message names what failed and why. Written by the
hook, the handoff worker and the config loader; read by ``status`` and the statusline
(:func:`failing`: one short marker) and ``doctor`` (:func:`recent`: the list) so a
failing cc-guard does not stay silent.
"""

from __future__ import annotations

import os
import sys
import time

from cc_guard.base.fs import append_line
from cc_guard.base.paths import state_root

FILE = "hook-errors.log"
#: At most this much of a message is kept (a line, not a dump).
MAX_LINE = 500
#: How much of the end of the log :func:`recent` reads.
TAIL_BYTES = 64 * 1024


def now_iso() -> str:
    """ISO 8601 UTC with milliseconds (``2026-01-01T10:00:00.123+00:00``), without datetime."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    return f"{stamp}.{int(now % 1 * 1000):03d}+00:00"


def log(source: str, message: str, state: str | None = None) -> None:
    """Append one problem; never raises (stderr is the last resort: a hook's stderr
    is not acted on by Claude Code when the hook exits 0)."""
    try:
        # Exception texts can carry what a payload or a URL held: redacted before the cut.
        from cc_guard.base.redact import redact

        message = redact(message)
    except Exception:
        message = f"(a message that could not be redacted: {len(message)} characters)"
    line = f"{now_iso()} {source or '?'} {message}".replace("\n", " ").replace("\r", " ")
    try:
        append_line(os.path.join(state if state is not None else state_root(), FILE), line[:MAX_LINE])
    except Exception:
        try:  # noqa: SIM105 - contextlib is not imported on the hook path
            sys.stderr.write(f"cc-guard: {message[:200]} (log not writable)\n")
        except Exception:
            pass


class Problem:
    """One line of the log."""

    __slots__ = ("message", "source", "time")

    def __init__(self, time: str, source: str, message: str) -> None:
        self.time = time
        self.source = source
        self.message = message

    def __repr__(self) -> str:
        return f"Problem({self.time!r}, {self.source!r}, {self.message!r})"


def recent(state: str, since_epoch: float | None = None, limit: int = 50) -> list[Problem]:
    """The newest problems (oldest first), those logged after ``since_epoch`` when given."""
    try:
        with open(os.path.join(state, FILE), "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - TAIL_BYTES))
            data = fh.read()
            whole = size <= TAIL_BYTES
    except OSError:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    if not whole and lines:
        lines = lines[1:]  # cut by the tail window
    out: list[Problem] = []
    for line in lines:
        stamp, _, rest = line.partition(" ")
        source, _, message = rest.partition(" ")
        if not stamp or not source:
            continue
        if since_epoch is not None:
            when = epoch_of(stamp)
            if when is None or when < since_epoch:
                continue
        out.append(Problem(stamp, source, message))
    return out[-limit:]


#: Problems logged this recently make ``status`` and the statusline say that cc-guard
#: itself is failing (older ones stay in the log, for ``doctor``).
RECENT_SECONDS = 3600.0


class Failing:
    """Recent problems: how many, and the newest."""

    __slots__ = ("count", "newest", "path")

    def __init__(self, count: int, newest: Problem, path: str) -> None:
        self.count = count
        self.newest = newest
        self.path = path

    def marker(self) -> str:
        """The statusline's one short marker."""
        return f"{self.count} cc-guard error{'' if self.count == 1 else 's'}"


def failing(
    state: str, now: float | None = None, window: float = RECENT_SECONDS
) -> Failing | None:
    """The problems logged in the last ``window`` seconds, or None (the usual case).

    Cheap when there are none: one ``stat`` of the log, which is read only when it
    changed within the window.
    """
    path = os.path.join(state, FILE)
    now = time.time() if now is None else now
    try:
        if os.stat(path).st_mtime < now - window:
            return None
    except OSError:
        return None
    found = recent(state, since_epoch=now - window, limit=1000)
    if not found:
        return None
    return Failing(len(found), found[-1], path)


def epoch_of(stamp: str) -> float | None:
    """Seconds since the epoch of an ISO 8601 time with a zone (``Z`` or offset)."""
    from datetime import datetime

    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo is not None else None
