"""Dropping old checkpoint refs and the private indexes that went with them."""

from __future__ import annotations

import glob
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cc_guard.checkpoints.history import list_checkpoints, list_sessions, user_git
from cc_guard.checkpoints.snapshot import (
    REF_PREFIX,
    CheckpointBusy,
    lock_session,
    repo_state_dir,
    unlock_session,
)

_ORPHAN_INDEX_AGE = 24 * 3600  # an index without a ref this old belongs to no session
_LOCK_WAIT = 10.0  # a checkpoint holds the session lock for its time budget at most


@dataclass
class PruneResult:
    sessions: list[str] = field(default_factory=list)
    checkpoints: int = 0
    index_bytes: int = 0
    index_files: int = 0
    kept_sessions: int = 0
    #: Temp files killed processes left (git's temp objects, cc-guard's temp files).
    temp_files: list[str] = field(default_factory=list)


def prune(
    cwd: Path,
    older_than_days: float | None = None,
    keep_last: int | None = None,
    session: str | None = None,
    dry_run: bool = False,
) -> PruneResult:
    """Delete ``refs/cc-guard/*`` refs matching the criteria and their private indexes.

    ``session``: exactly that session (id or unique prefix). Otherwise sessions whose
    newest checkpoint is older than ``older_than_days``, and those beyond the
    ``keep_last`` newest. The objects become unreachable and go with git's own gc.
    """
    repo, git = user_git(cwd)
    sessions = list_sessions(cwd)
    if session is not None:
        from cc_guard.checkpoints.history import resolve_session

        drop = [resolve_session(cwd, session)]
    else:
        cutoff = (
            datetime.now(UTC) - timedelta(days=older_than_days)
            if older_than_days is not None
            else None
        )
        drop = []
        for position, ref in enumerate(sessions):  # newest first
            beyond_keep = keep_last is not None and position >= keep_last
            too_old = cutoff is not None and ref.time < cutoff
            if beyond_keep or too_old:
                drop.append(ref)
    result = PruneResult(kept_sessions=len(sessions) - len(drop))
    state = repo_state_dir(repo)
    for ref in drop:
        count = len(list_checkpoints(cwd, ref.session_id))
        if dry_run:
            result.sessions.append(ref.session_id)
            result.checkpoints += count
            for extra in state.glob(f"{ref.session_id}.*"):
                if extra.suffix != ".lock":
                    _drop_file(extra, result, dry_run)
            continue
        # Under the session's lock, so a hook of a session still running never has its
        # index deleted mid-snapshot. The lock file itself stays: a hook waiting on it
        # must not end up locking a different file than the next one.
        try:
            fd = lock_session(repo, ref.session_id, time.monotonic() + _LOCK_WAIT)
        except CheckpointBusy:
            result.kept_sessions += 1  # busy right now: the next prune
            continue
        result.sessions.append(ref.session_id)
        result.checkpoints += count
        try:
            # Checked delete: a hook that just moved the ref keeps its checkpoint.
            git.run("update-ref", "-d", REF_PREFIX + ref.session_id, ref.sha, check=False)
            for extra in state.glob(f"{ref.session_id}.*"):
                if extra.suffix != ".lock":
                    _drop_file(extra, result, dry_run)
        finally:
            unlock_session(fd)
    live = {s.session_id for s in sessions} - set(result.sessions)
    now = time.time()
    for index in state.glob("*.index"):
        owner = index.name.split(".", 1)[0]
        if owner not in live and now - index.stat().st_mtime > _ORPHAN_INDEX_AGE:
            _drop_file(index, result, dry_run)
            for beside in state.glob(glob.escape(index.name) + ".*"):  # .tip, .progress
                _drop_file(beside, result, dry_run)
    from cc_guard.checkpoints.checkup import health, sweep

    if dry_run:
        report = health(cwd)
        result.temp_files = report.stale_temp_objects + report.leftover_temp_files
    else:
        result.temp_files = sweep(cwd)
    return result


def _drop_file(path: Path, result: PruneResult, dry_run: bool) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if path.suffix == ".index":
        result.index_files += 1
        result.index_bytes += size
    if not dry_run:
        path.unlink(missing_ok=True)
