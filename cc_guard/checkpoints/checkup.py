"""Are checkpoints keeping up? Data for ``doctor``, ``status`` and the dashboard.

:func:`health` returns what it found, never text: sessions whose checkpoints are
behind the work tree (the ``<session>.behind`` markers), recent checkpoint
incidents, temp objects a killed git left in the repository's object store, and
temp files of dead processes in cc-guard's state dir. :meth:`CheckpointHealth.findings`
turns that into (level, message, fix) rows, the shape ``doctor`` renders.
:func:`sweep` removes what is safe to remove.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from cc_guard.base import fs
from cc_guard.base.claude import valid_session_id
from cc_guard.base.paths import state_dir
from cc_guard.base.procs import pid_alive
from cc_guard.checkpoints.progress import BEHIND_SUFFIX, read_behind
from cc_guard.git import Repo, find_repo

#: A git temp object untouched this long belongs to no running git (git writes an
#: object in one go); younger ones may be a live git's and are never touched.
STALE_TEMP_OBJECT_SECONDS = 3600.0
#: Incidents older than this are history, not a finding.
RECENT_INCIDENT_SECONDS = 24 * 3600.0
_TEMP_OBJECT_PREFIXES = ("tmp_obj_", "tmp_pack_", "tmp_idx_")


@dataclass(frozen=True)
class Behind:
    """A session whose newest checkpoint does not hold all of its work tree."""

    session_id: str
    since: float  # unix time the marker was last written
    files: int | None  # changed files not in the checkpoint (None: not counted)
    bytes: int
    reason: str


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warning" or "error"
    message: str
    fix: str | None = None


@dataclass
class CheckpointHealth:
    repo: str | None  # the work tree's top, None when cwd is no repository
    behind: list[Behind] = field(default_factory=list)
    incidents: list[dict[str, object]] = field(default_factory=list)  # newest last
    stale_temp_objects: list[str] = field(default_factory=list)
    stale_temp_bytes: int = 0
    leftover_temp_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.behind or self.stale_temp_objects or self.leftover_temp_files)

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        for b in self.behind:
            count = f"{b.files} changed files" if b.files else "changes"
            out.append(
                Finding(
                    "warning",
                    f"checkpoints of session {b.session_id} are behind its work tree: "
                    f"{count} not in a checkpoint ({b.reason})",
                    "raise [checkpoints] time_budget_seconds, or exclude big generated "
                    "files in [checkpoints] exclude",
                )
            )
        if self.stale_temp_objects:
            out.append(
                Finding(
                    "warning",
                    f"{len(self.stale_temp_objects)} temp objects a killed git left in "
                    f"the object store ({self.stale_temp_bytes / (1024 * 1024):.1f} MB)",
                    "cc-guard prune removes them (git gc would, after two weeks)",
                )
            )
        if self.leftover_temp_files:
            out.append(
                Finding(
                    "warning",
                    f"{len(self.leftover_temp_files)} temp files of dead cc-guard "
                    "processes in the state dir",
                    "cc-guard prune removes them",
                )
            )
        kinds = [str(i.get("kind") or "timeout") for i in self.incidents]
        if kinds:
            counted = ", ".join(f"{kinds.count(k)} {k}" for k in sorted(set(kinds)))
            out.append(
                Finding(
                    "warning" if not self.behind else "ok",
                    f"checkpoint incidents in the last day: {counted}",
                    None,
                )
            )
        if not out:
            out.append(Finding("ok", "checkpoints are up to date", None))
        return out


def health(
    cwd: Path | None = None, session_id: str | None = None, *, now: float | None = None
) -> CheckpointHealth:
    """What is wrong with checkpoints in the repository at ``cwd`` (every repository
    cc-guard has checkpointed when None); only ``session_id``'s when given."""
    now = time.time() if now is None else now
    state = state_dir(create=False)
    repos = _repos(state, cwd)
    report = CheckpointHealth(repo=str(repos[0][1].toplevel) if cwd and repos else None)
    for directory, repo in repos:
        report.behind += _behind(directory, session_id)
        objects, size = stale_temp_objects(repo, now)
        report.stale_temp_objects += objects
        report.stale_temp_bytes += size
    report.incidents = _incidents(state, [r for _, r in repos], session_id, now)
    report.leftover_temp_files = _dead_temp_files(state, now)
    return report


def sweep(cwd: Path | None = None, *, now: float | None = None) -> list[str]:
    """Remove stale temp objects (repository at ``cwd``, or every checkpointed one)
    and temp files of dead processes in the state dir; the paths removed."""
    now = time.time() if now is None else now
    state = state_dir(create=False)
    removed: list[str] = []
    for _, repo in _repos(state, cwd):
        for path in stale_temp_objects(repo, now)[0]:
            try:
                os.unlink(path)
            except OSError:
                continue
            removed.append(path)
    removed += fs.sweep_temp_tree(state, now=now) if state.is_dir() else []
    return removed


def stale_temp_objects(repo: Repo, now: float) -> tuple[list[str], int]:
    """``objects/??/tmp_obj_*`` (and pack temp files) untouched for an hour: what a
    git killed mid-write leaves. A live git's are younger and never listed."""
    objects = repo.common_dir / "objects"
    found: list[str] = []
    size = 0
    try:
        dirs = [d for d in os.scandir(objects) if d.is_dir(follow_symlinks=False)]
    except OSError:
        return found, size
    for directory in dirs:
        try:
            entries = list(os.scandir(directory.path))
        except OSError:
            continue
        for entry in entries:
            if not entry.name.startswith(_TEMP_OBJECT_PREFIXES):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if now - st.st_mtime >= STALE_TEMP_OBJECT_SECONDS:
                found.append(entry.path)
                size += st.st_size
    return found, size


def _repos(state: Path, cwd: Path | None) -> list[tuple[Path, Repo]]:
    """(cc-guard's dir for the repository, the repository) for ``cwd`` or for all."""
    from cc_guard.checkpoints.snapshot import repo_key

    deadline = time.monotonic() + 60
    if cwd is not None:
        repo = find_repo(cwd, deadline)
        if repo is None:
            return []
        return [(state / "checkpoints" / repo_key(repo), repo)]
    out = []
    for directory in sorted((state / "checkpoints").glob("*/repo.txt")):
        common = directory.read_text("utf-8", "replace").strip()
        top = Path(common).parent if Path(common).name == ".git" else Path(common)
        if Path(common).is_dir():
            out.append((directory.parent, Repo(top, common, common)))
    return out


def behind_for(cwd: Path, session_id: str) -> Behind | None:
    """Whether ``session_id``'s checkpoints in the repository at ``cwd`` are behind
    its work tree (reads one marker file; for ``status``)."""
    repos = _repos(state_dir(create=False), cwd) if valid_session_id(session_id) else []
    found = _behind(repos[0][0], session_id) if repos else []
    return found[0] if found else None


def _behind(directory: Path, session_id: str | None) -> list[Behind]:
    out = []
    for marker in sorted(directory.glob(f"*{BEHIND_SUFFIX}")):
        sid = marker.name[: -len(BEHIND_SUFFIX)]
        if not valid_session_id(sid) or (session_id is not None and sid != session_id):
            continue
        record = read_behind(str(directory), sid) or {}
        files = record.get("files")
        size = record.get("bytes")
        since = record.get("time")
        out.append(
            Behind(
                session_id=sid,
                since=float(since) if isinstance(since, int | float) else marker.stat().st_mtime,
                files=files if isinstance(files, int) and not isinstance(files, bool) else None,
                bytes=size if isinstance(size, int) and not isinstance(size, bool) else 0,
                reason=str(record.get("reason") or "the last checkpoint did not finish"),
            )
        )
    return out


def _incidents(
    state: Path, repos: list[Repo], session_id: str | None, now: float
) -> list[dict[str, object]]:
    from datetime import datetime

    tops = {str(r.toplevel) for r in repos}
    try:
        lines = (state / "checkpoint-incidents.jsonl").read_text("utf-8", "replace").splitlines()
    except OSError:
        return []
    out = []
    for line in lines[-2000:]:
        try:
            record = json.loads(line)
            when = datetime.fromisoformat(str(record["time"])).timestamp()
        except (ValueError, KeyError, TypeError):
            continue
        if not isinstance(record, dict) or now - when > RECENT_INCIDENT_SECONDS:
            continue
        if session_id is not None and record.get("session_id") != session_id:
            continue
        cwd = str(record.get("cwd") or "")
        if any(cwd == t or cwd.startswith(t.rstrip("/") + "/") for t in tops):
            out.append(record)
    return out


def _dead_temp_files(state: Path, now: float) -> list[str]:
    """Temp files :func:`fs.sweep_temp_tree` would remove (listed, not removed)."""
    found = []
    for directory, _dirs, names in _walk(state, 2):
        for name in names:
            pid = fs.temp_owner(name)
            if pid is None:
                continue
            path = os.path.join(directory, name)
            try:
                old = now - os.lstat(path).st_mtime >= fs.STALE_TEMP_SECONDS
            except OSError:
                continue
            if old or not pid_alive(pid):
                found.append(path)
    return found


def _walk(root: Path, depth: int) -> list[tuple[str, list[str], list[str]]]:
    out = []
    base = str(root).rstrip(os.sep).count(os.sep)
    for directory, dirs, names in os.walk(root):
        out.append((directory, dirs, names))
        if directory.count(os.sep) - base >= depth:
            dirs[:] = []
    return out
