"""``<state dir>/statusline/<session id>.json``: the last statusline payload per session.

Claude Code gives the statusLine command the one thing no hook input carries:
the context window and its fill. ``cc-guard statusline`` writes the record here
(:func:`make_record`, :func:`write`); the transcript engine and the context policy
read it (:func:`read`, :func:`read_all`).
"""

from __future__ import annotations

import os
import time

from cc_guard.base import fastjson
from cc_guard.base.claude import valid_session_id
from cc_guard.base.fs import ensure_private_dir, write_atomic

TYPE_CHECKING = False  # typing's costs the statusline; mypy reads the names below
if TYPE_CHECKING:
    from typing import Any

DIR = "statusline"


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def make_record(payload: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The feed record for one statusline payload."""
    window = payload.get("context_window")
    window = window if isinstance(window, dict) else {}
    model = payload.get("model")
    model_id = model.get("id") if isinstance(model, dict) else None
    usage = window.get("current_usage")
    stamp = time.gmtime(time.time() if now is None else now)
    return {
        "session_id": payload.get("session_id"),
        "transcript_path": payload.get("transcript_path"),
        "cwd": payload.get("cwd"),
        "model_id": model_id if isinstance(model_id, str) else None,
        "context_window_size": _number(window.get("context_window_size")),
        "used_percentage": _number(window.get("used_percentage")),
        "current_usage": usage if isinstance(usage, dict) else {},
        "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", stamp),
    }


def write(state: str, record: dict[str, Any]) -> bool:
    """Store the record (0600, atomic, no fsync: rewritten every few seconds).

    False when its session id cannot name a file.
    """
    session_id = record.get("session_id")
    if not isinstance(session_id, str) or not valid_session_id(session_id):
        return False
    directory = os.path.join(state, DIR)
    ensure_private_dir(directory)
    write_atomic(os.path.join(directory, f"{session_id}.json"), fastjson.dumps(record), durable=False)
    return True


def _load(path: str) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as fh:
            data = fastjson.loads(fh.read(1 << 20))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def read(state: str, session_id: str) -> dict[str, Any] | None:
    if not valid_session_id(session_id):
        return None
    return _load(os.path.join(state, DIR, f"{session_id}.json"))


def read_all(state: str) -> dict[str, dict[str, Any]]:
    """session id -> its last record."""
    directory = os.path.join(state, DIR)
    feeds: dict[str, dict[str, Any]] = {}
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return feeds
    for entry in entries:
        if not entry.name.endswith(".json") or entry.name.startswith("."):
            continue
        data = _load(entry.path)
        if data is not None:
            feeds[entry.name[: -len(".json")]] = data
    return feeds
