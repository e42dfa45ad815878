"""Rebuild one session's handoff in a background process, off Claude Code's hook path.

The Stop/StopFailure/PreCompact/SessionEnd hooks only check that the handoff is stale
and start ``python -m cc_guard.handoff.worker TRANSCRIPT SESSION_ID [--force]``, detached;
this process does the parsing and writing. A per-session lock serialises workers, and
each one rebuilds until the handoff matches the transcript, so a slow older worker can
never leave an older handoff behind a newer one.

Workers cannot pile up behind a slow build (a burst of Stop or StopFailure hooks): a
second lock is the one waiting slot. A worker holds it from before it waits for the
build lock until it has that lock, and only then reads the transcript and the saved
StopFailure; so while the slot is taken, the worker in it will see everything written
so far, and a new one (or a hook about to start one) has nothing to add and does not
start, forced or not. At most two per session: one building, one waiting.

``CC_GUARD_HANDOFF_SYNC=1`` makes the hooks build in-process instead (tests, debugging).
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cc_guard.base import paths
from cc_guard.base.claude import require_session_id
from cc_guard.handoff.freshness import hidden_file, is_current

SYNC_ENV = "CC_GUARD_HANDOFF_SYNC"


def spawn(transcript: Path, session_id: str, force: bool = False) -> None:
    """Start a detached worker (or build right here when ``CC_GUARD_HANDOFF_SYNC=1``)."""
    require_session_id(session_id)
    if os.environ.get(SYNC_ENV) == "1":
        run(transcript, session_id, force)
        return
    if _slot_taken(session_id):
        return  # the waiting worker reads the transcript (and any saved failure) after this
    argv = [sys.executable, "-m", "cc_guard.handoff.worker", str(transcript), session_id]
    if force:
        argv.append("--force")
    # posix_spawn (no fork of this process) in a new session, so the worker outlives
    # Claude Code exiting right after SessionEnd; stdio to /dev/null.
    devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    os.posix_spawn(sys.executable, argv, dict(os.environ), file_actions=devnull, setsid=True)


def _slot_path(session_id: str, state: Path | None = None) -> Path:
    return hidden_file(session_id, ".wait", state)


def _slot_taken(session_id: str) -> bool:
    """True when a worker already waits to build this session's handoff."""
    fd = os.open(_slot_path(session_id), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases the lock when we got it
    return False


@contextmanager
def build_lock(session_id: str, state: Path | None = None) -> Iterator[None]:
    """Hold the session's build lock: no worker writes its handoff meanwhile.

    The commands build under it, so a worker that started before them cannot
    overwrite their fresh handoff with one built from an older transcript.
    """
    fd = os.open(hidden_file(session_id, ".lock", state), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def run(transcript: Path, session_id: str, force: bool = False) -> None:
    from cc_guard.handoff.store import write_handoff

    state = paths.state_dir()
    slot = os.open(_slot_path(session_id, state), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        # Taken: a worker already waits and has read nothing yet; it will see what this
        # one was started for (a StopFailure is saved before its worker starts).
        fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(slot)
        return
    lock_path = hidden_file(session_id, ".lock", state)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        os.close(slot)
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.close(slot)  # free the waiting slot before reading the transcript
        slot = -1
        for _ in range(3):  # the transcript may grow while we build; catch up a little
            if not force and is_current(transcript, state, session_id):
                return
            write_handoff(transcript, state, force=True, session_id=session_id, use_engine=False)
            force = False
    finally:
        os.close(fd)
        if slot >= 0:
            os.close(slot)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        return 2
    try:
        run(Path(argv[0]), argv[1], "--force" in argv[2:])
    except Exception as exc:  # nobody sees our stderr: leave a line where hook errors go
        from cc_guard.state import errors

        errors.log("handoff-worker", f"{type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
