"""Reading checkpoints back: sessions (refs), chains (commits) and id resolution."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cc_guard.base.claude import valid_session_id
from cc_guard.checkpoints.snapshot import REF_PREFIX
from cc_guard.git import Git, Repo, clean_env, find_repo

_NO_DEADLINE = 3600.0  # commands a user runs are not on the hook's clock
#: Checkpoints a restore (PreRestore) or an undo (PreUndo) takes of whatever the work
#: tree held when it went ahead: not the session's work, so ``<session>~N`` skips them.
SAFETY_EVENTS = frozenset({"PreRestore", "PreUndo"})


@dataclass(frozen=True)
class Checkpoint:
    sha: str
    time: datetime
    event: str
    tool: str | None
    files: list[str] = field(default_factory=list)
    session_id: str = ""
    subject: str = ""
    parent: str | None = None
    #: Changed files the time budget ran out for (a partial checkpoint), and files
    #: left out as too slow to hash: both 0 for a complete checkpoint.
    pending: int = 0
    too_slow: int = 0

    @property
    def partial(self) -> bool:
        return bool(self.pending or self.too_slow)

    @property
    def short(self) -> str:
        return self.sha[:10]


@dataclass(frozen=True)
class SessionRef:
    session_id: str
    sha: str
    time: datetime


def user_git(cwd: Path) -> tuple[Repo, Git]:
    """The repository at ``cwd`` for a command, or LookupError with a clear message."""
    deadline = time.monotonic() + _NO_DEADLINE
    repo = find_repo(Path(cwd), deadline)
    if repo is None:
        raise LookupError(f"{cwd} is not inside a git work tree, so it has no checkpoints")
    return repo, Git(repo.toplevel, deadline, clean_env())


def list_sessions(cwd: Path) -> list[SessionRef]:
    """Sessions with checkpoints in the repository at ``cwd``, newest first."""
    _, git = user_git(cwd)
    out = git.out(
        "for-each-ref",
        "--sort=-committerdate",
        "--format=%(refname)%00%(objectname)%00%(committerdate:unix)",
        REF_PREFIX,
    )
    sessions = []
    for line in out.splitlines():
        ref, sha, stamp = line.split("\0")
        if not valid_session_id(ref[len(REF_PREFIX) :]):
            continue  # refs/cc-guard/a/b, fetched or made by hand: no session of ours
        sessions.append(
            SessionRef(ref[len(REF_PREFIX) :], sha, datetime.fromtimestamp(int(stamp), UTC))
        )
    return sessions


def resolve_session(cwd: Path, session: str | None) -> SessionRef:
    """A session id or unique prefix; without one, the session checkpointed last."""
    sessions = list_sessions(cwd)
    if not sessions:
        raise LookupError("no cc-guard checkpoints in this repository")
    if not session:
        return sessions[0]
    exact = [s for s in sessions if s.session_id == session]
    if exact:
        return exact[0]
    matches = [s for s in sessions if s.session_id.startswith(session)]
    if not matches:
        raise LookupError(f"no session with checkpoints matches {session!r}")
    if len(matches) > 1:
        raise LookupError(f"{session!r} matches {len(matches)} sessions; give more characters")
    return matches[0]


def list_checkpoints(cwd: Path, session_id: str) -> list[Checkpoint]:
    """The session's chain, newest first (its own commits only, not the user's history).

    Empty when ``cwd`` is not in a git work tree, the session has no checkpoints or
    ``session_id`` is not one cc-guard could have written.
    """
    if not valid_session_id(session_id):
        return []
    try:
        _, git = user_git(cwd)
    except LookupError:
        return []
    ref = REF_PREFIX + session_id
    proc = git.run("rev-parse", "-q", "--verify", ref + "^{commit}", check=False)
    if proc.returncode != 0:
        return []
    return _walk(git, ref)


def _walk(git: Git, rev: str) -> list[Checkpoint]:
    # One process for the whole chain, with the files each checkpoint changed.
    out = git.run(
        "-c",
        "core.quotePath=false",
        "log",
        "--first-parent",
        "--name-only",
        "--no-renames",
        "--format=%x1e%H%x00%P%x00%ct%x00%B%x1f",
        rev,
    ).stdout.decode("utf-8", "surrogateescape")
    chain = []
    for record in out.split("\x1e"):
        if not record.strip():
            continue
        meta, _, names = record.partition("\x1f")
        cp = parse_commit(meta.strip("\n"), [n for n in names.splitlines() if n])
        if cp is None:
            break  # reached the user's history: the first checkpoint's parent
        chain.append(cp)
    return chain


def parse_commit(record: str, files: list[str] | None = None) -> Checkpoint | None:
    sha, parents, stamp, body = record.split("\0", 3)
    trailers: dict[str, str] = {}
    for line in body.splitlines():
        if line.startswith("CC-Guard-") and ": " in line:
            key, value = line.split(": ", 1)
            trailers[key] = value.strip()
    # Both trailers: the user's own commits can carry CC-Guard-Session (the
    # prepare-commit-msg hook adds it), and one of them is a first checkpoint's parent.
    if "CC-Guard-Session" not in trailers or "CC-Guard-Event" not in trailers:
        return None
    # Any commit can carry the trailers (a crafted one, fetched from anywhere): the id
    # names the ref, lock and index files a restore writes, so it must be a real id.
    if not valid_session_id(trailers["CC-Guard-Session"]):
        return None
    return Checkpoint(
        sha=sha,
        time=datetime.fromtimestamp(int(stamp), UTC),
        event=trailers["CC-Guard-Event"],
        tool=trailers.get("CC-Guard-Tool"),
        files=files or [],
        session_id=trailers["CC-Guard-Session"],
        subject=body.splitlines()[0] if body else "",
        parent=parents.split()[0] if parents.split() else None,
        pending=_count(trailers.get("CC-Guard-Pending")),
        too_slow=_count(trailers.get("CC-Guard-Too-Slow")),
    )


def _count(value: str | None) -> int:
    return int(value) if value is not None and value.isdigit() else 0


def resolve_checkpoint(cwd: Path, spec: str) -> Checkpoint:
    """A checkpoint by (short) sha, or by session: ``<session-prefix>`` is its newest
    checkpoint of work, ``<session-prefix>~N`` the one N steps of work before (the
    safety checkpoints of restores and undos are not counted)."""
    _, git = user_git(cwd)
    if "~" in spec:
        session, _, steps = spec.partition("~")
        if not steps.isdigit():
            raise LookupError(f"{spec!r}: expected <session>~<number>")
        return _nth_of_work(cwd, resolve_session(cwd, session).session_id, int(steps), spec)
    proc = git.run("rev-parse", "-q", "--verify", spec + "^{commit}", check=False)
    sha = proc.stdout.decode().strip()
    if proc.returncode != 0 or not sha:
        # Maybe a session id or prefix: its newest checkpoint of work.
        try:
            session_id = resolve_session(cwd, spec).session_id
        except LookupError:
            raise LookupError(f"no checkpoint {spec!r} in this repository") from None
        return _nth_of_work(cwd, session_id, 0, spec)
    record = git.run("log", "-1", "--format=%H%x00%P%x00%ct%x00%B", sha).stdout.decode(
        "utf-8", "surrogateescape"
    )
    cp = parse_commit(record.strip("\n"))
    if cp is None:
        raise LookupError(f"{spec!r} is not a cc-guard checkpoint")
    return cp


def work_chain(cwd: Path, session_id: str) -> list[Checkpoint]:
    """The session's checkpoints of its own work, newest first (no safety checkpoints)."""
    return [cp for cp in list_checkpoints(cwd, session_id) if cp.event not in SAFETY_EVENTS]


def _nth_of_work(cwd: Path, session_id: str, steps: int, spec: str) -> Checkpoint:
    chain = work_chain(cwd, session_id)
    if steps >= len(chain):
        raise LookupError(f"{spec!r}: the session has only {len(chain)} checkpoints of its work")
    return chain[steps]


def first_checkpoint(cwd: Path, session_id: str) -> Checkpoint | None:
    chain = list_checkpoints(cwd, session_id)
    return chain[-1] if chain else None


def checkpoint_summary(cwd: Path, session_id: str) -> dict[str, object]:
    """One session's checkpoint state, for ``status`` and the dashboard.

    ``{"repo": bool, "ref": str|None, "count": int, "latest": sha|None,
    "latest_time": ISO|None, "note": str}``; never raises for a non-repo cwd.
    """
    try:
        user_git(cwd)
    except LookupError:
        return {
            "repo": False,
            "ref": None,
            "count": 0,
            "latest": None,
            "latest_time": None,
            "note": "not a git repository: no checkpoints",
        }
    chain = list_checkpoints(cwd, session_id)
    latest = chain[0] if chain else None
    note = (
        f"{len(chain)} checkpoint(s) on {REF_PREFIX}{session_id}" if chain else "no checkpoints yet"
    )
    return {
        "repo": True,
        "ref": REF_PREFIX + session_id if chain else None,
        "count": len(chain),
        "latest": latest.sha if latest else None,
        "latest_time": latest.time.isoformat() if latest else None,
        "note": note + _behind_note(cwd, session_id),
    }


def _behind_note(cwd: Path, session_id: str) -> str:
    """``; BEHIND: ...`` while the session's checkpoints lack some of its work tree."""
    from cc_guard.checkpoints.checkup import behind_for

    found = behind_for(cwd, session_id)
    if found is None:
        return ""
    what = f"{found.files} changed file(s)" if found.files else "changes"
    return f"; BEHIND: {what} not in a checkpoint ({found.reason})"
