"""``<state dir>/compaction/``: what cc-guard knows and did about each session's compactions.

The only reader and writer of these files (all 0600, in a 0700 directory):

- ``<session id>.json``: the session's compaction state, one JSON object, changed
  under a lock by :func:`update`:

  - ``warned`` (bool): the context warning was given since the fill last crossed
    ``[compact] warn_percent``;
  - ``typed_at`` (epoch): when cc-guard last typed ``/compact`` into its pane or ran
    a headless compaction (``min_interval_minutes`` counts from here);
  - ``starting``: a compaction cc-guard decided on and has not typed yet (``at``,
    ``via``, ``reason``);
  - ``pending``: a compaction under way, from PreCompact until it ends: ``at``,
    ``trigger`` (auto | manual), ``by`` (cc-guard | claude-code | user), ``via``
    (tmux | headless | null), ``facts`` (the key facts before it), ``summary`` (its
    summary, once SubagentStop carried it);
  - ``outcome``: how the last compaction ended: ``at``, ``ok``, ``error``, ``trigger``;
  - ``notice``: what the statusline and the dashboard show: ``at``, ``action``
    (warn | notify | compacting | failed | waiting), ``text``;
  - ``recover``: the auto-resume of a session a transient failure interrupted
    (``for``: the failure it continued after, ``at``);
  - ``flag``: the ``--autocompact`` value of its Claude Code process, if any;
  - ``turns``: the totals at its newest turn ends (the statusline's "~N turns").

- ``<session id>.reports.jsonl``: one compaction report per line (kept, dropped and
  re-injected facts), newest last;
- ``decisions.jsonl``: every policy decision with its reason, all sessions.

Standard library only: the Stop hook and the statusline read these.
"""

from __future__ import annotations

import os

from cc_guard.base import fastjson
from cc_guard.base.claude import valid_session_id
from cc_guard.base.fs import append_line, ensure_private_dir, write_atomic

TYPE_CHECKING = False  # typing's costs the hook path; mypy reads the names below
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

DIR = "compaction"
DECISIONS = "decisions.jsonl"
#: The decisions log is cut to its newest half past this size.
MAX_LOG_BYTES = 2 * 1024 * 1024
#: Reports kept per session (the oldest are dropped past this).
MAX_REPORTS = 50


def directory(state: str) -> str:
    return os.path.join(state, DIR)


def _path(state: str, session_id: str, suffix: str) -> str:
    if not valid_session_id(session_id):
        raise ValueError("invalid session id")
    return os.path.join(directory(state), session_id + suffix)


def _load(path: str) -> Any:
    try:
        with open(path, "rb") as fh:
            return fastjson.loads(fh.read(4 << 20))
    except (OSError, ValueError, RecursionError):
        return None


def read(state: str, session_id: str) -> dict[str, Any]:
    """The session's compaction state ({} when there is none)."""
    if not valid_session_id(session_id):
        return {}
    data = _load(_path(state, session_id, ".json"))
    return data if isinstance(data, dict) else {}


def update(state: str, session_id: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Read, ``change`` in place, write back: under the session's lock, so hooks and
    workers changing it at the same time lose nothing. The new state."""
    import fcntl

    ensure_private_dir(directory(state))
    lock = os.open(_path(state, session_id, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = read(state, session_id)
        change(data)
        write_atomic(_path(state, session_id, ".json"), fastjson.dumps(data), durable=False)
        return data
    finally:
        os.close(lock)


def log_decision(state: str, record: dict[str, Any]) -> None:
    """Append one decision (``time``, ``session_id``, ``event``, ``action``, ``reason``, ...)."""
    ensure_private_dir(directory(state))
    path = os.path.join(directory(state), DECISIONS)
    append_line(path, fastjson.dumps(record))
    try:
        size = os.stat(path).st_size
    except OSError:
        return
    if size > MAX_LOG_BYTES:
        _keep_newest_half(path)


def _keep_newest_half(path: str) -> None:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return
    half = data[len(data) // 2 :]
    half = half[half.find(b"\n") + 1 :]
    write_atomic(path, half, durable=False)


def decisions(state: str, session_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest decisions (oldest first), only ``session_id``'s when given."""
    try:
        with open(os.path.join(directory(state), DECISIONS), "rb") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    out: list[dict[str, Any]] = []
    for line in reversed(lines):
        try:
            record = fastjson.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        if session_id is not None and record.get("session_id") != session_id:
            continue
        out.append(record)
        if len(out) >= limit:
            break
    return out[::-1]


def add_report(state: str, session_id: str, report: dict[str, Any]) -> None:
    """Append one compaction report; keep the newest :data:`MAX_REPORTS`."""
    ensure_private_dir(directory(state))
    path = _path(state, session_id, ".reports.jsonl")
    append_line(path, fastjson.dumps(report))
    kept = reports(state, session_id, limit=MAX_REPORTS + 1)
    if len(kept) > MAX_REPORTS:
        write_atomic(path, "".join(fastjson.dumps(r) + "\n" for r in kept[-MAX_REPORTS:]))


def reports(state: str, session_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """The session's newest compaction reports, oldest first."""
    if not valid_session_id(session_id):
        return []
    try:
        with open(_path(state, session_id, ".reports.jsonl"), "rb") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    out = []
    for line in lines[-limit:]:
        try:
            record = fastjson.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            out.append(record)
    return out
