"""Is a session's handoff current? Cheap enough to run on every Stop hook.

A handoff records what it was built from (transcript and subagent sizes and mtimes,
the StopFailure it saw) in ``<id>.meta.json``; when nothing changed, hooks skip the
rebuild without importing the builder. Standard library, cc_guard.base.paths and the
(regex-only) redactor.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from cc_guard.base import fs, paths
from cc_guard.base.claude import require_session_id


def handoff_dir(state_dir: Path | None = None) -> Path:
    path = (state_dir or paths.state_dir()) / "handoff"
    fs.ensure_private_dir(path)
    return path


def session_file(session_id: str, suffix: str, state_dir: Path | None = None) -> Path:
    """``<state>/handoff/<session_id><suffix>`` (a leading-dot name for ``hidden``); the one
    place a session's handoff files get their names. ValueError for an id that is not one."""
    require_session_id(session_id)
    return handoff_dir(state_dir) / f"{session_id}{suffix}"


def hidden_file(session_id: str, suffix: str, state_dir: Path | None = None) -> Path:
    """``<state>/handoff/.<session_id><suffix>``: the workers' lock and waiting slot."""
    require_session_id(session_id)
    return handoff_dir(state_dir) / f".{session_id}{suffix}"


def subagent_files(transcript: Path) -> list[Path]:
    folder = transcript.with_suffix("") / "subagents"
    try:
        names = sorted(
            n for n in os.listdir(folder) if n.startswith("agent-") and n.endswith(".jsonl")
        )
    except OSError:
        return []
    return [folder / n for n in names]


def source_key(transcript: Path, state_dir: Path, session_id: str) -> dict[str, Any]:
    """What a handoff depends on that can change: the transcript (+subagents) and hook signals."""
    failure = session_file(session_id, ".failure.json", state_dir)
    key: dict[str, Any] = {}
    for path in [transcript, *subagent_files(transcript)]:
        with contextlib.suppress(OSError):
            st = path.stat()
            key[path.name] = [st.st_size, st.st_mtime_ns]
    with contextlib.suppress(OSError):
        key["failure"] = failure.stat().st_mtime_ns
    return key


def is_current(transcript: Path, state_dir: Path, session_id: str) -> bool:
    md, js, meta_path = (
        session_file(session_id, suffix, state_dir) for suffix in (".md", ".json", ".meta.json")
    )
    if not md.exists() or not js.exists():
        return False
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("source") == source_key(
        transcript, state_dir, session_id
    )


def read_failure(session_id: str, state_dir: Path | None = None) -> dict[str, Any] | None:
    path = session_file(session_id, ".failure.json", state_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def save_failure(
    session_id: str, payload: dict[str, Any], time: str, state_dir: Path | None = None
) -> None:
    """Keep what the StopFailure hook said: the error and the last (maybe partial) answer."""
    from cc_guard.base.redact import redact, redact_obj

    path = session_file(session_id, ".failure.json", state_dir)
    last = payload.get("last_assistant_message")
    data = {
        "time": time,
        "error": payload.get("error"),
        "error_details": redact_obj(payload.get("error_details")),
        # the answer may have printed a key; nothing cc-guard writes may keep one
        "last_assistant_message": redact(last) if isinstance(last, str) else None,
    }
    fs.write_private(path, json.dumps(data, sort_keys=True))
