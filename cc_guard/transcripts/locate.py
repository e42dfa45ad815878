"""Finding a session's transcript by id, id prefix or project directory."""

from __future__ import annotations

from pathlib import Path

from cc_guard.base import paths
from cc_guard.base.claude import valid_session_id


class SessionNotFound(LookupError):
    """No transcript answers to the request (the message says why, for a user)."""


def find_transcript(session: str | None, cwd: Path | None = None) -> Path:
    """The transcript of ``session`` (an id or unique prefix), or the newest one of
    ``cwd``'s project; :class:`SessionNotFound` otherwise."""
    projects = paths.projects_dir()
    if not projects.is_dir():
        raise SessionNotFound(f"no Claude Code projects directory at {projects}.")
    if session:
        if not valid_session_id(session):
            raise SessionNotFound(f"{session!r} is not a session id.")
        matches = sorted(p for p in projects.glob(f"*/{session}*.jsonl") if _is_session(p))
        exact = [p for p in matches if p.stem == session]
        if exact:
            return exact[0]
        ids = sorted({p.stem for p in matches})
        if not ids:
            raise SessionNotFound(f"no session matches {session!r}.")
        if len(ids) > 1:
            shown = ", ".join(i[:12] for i in ids[:5]) + (" …" if len(ids) > 5 else "")
            raise SessionNotFound(f"{session!r} is ambiguous: {shown}.")
        return matches[0]
    here = (cwd or Path.cwd()).resolve()
    folder = projects / paths.project_key(here)
    candidates = [p for p in folder.glob("*.jsonl") if _is_session(p)] if folder.is_dir() else []
    if not candidates:
        raise SessionNotFound(
            f"no Claude Code session for {here}; name one (cc-guard sessions lists them)."
        )
    return max(candidates, key=lambda p: (p.stat().st_mtime_ns, p.name))


def _is_session(path: Path) -> bool:
    """A transcript file whose name is a session id (the id names cc-guard's files)."""
    if not valid_session_id(path.stem):
        return False
    try:
        return path.is_file()
    except OSError:  # a looping symlink: not a transcript
        return False
