"""``<state dir>/events.jsonl``: one line per hook call, the facts Claude Code told cc-guard.

Written by the hook (``cc-guard hook <Event>``), read by the transcript engine (a
session ended, a turn failed, Claude Code's pid and tmux pane), the statusline, the
git hooks, the handoff and the dashboard. This module is the only one that knows
the record's shape:

``{"time", "event", "session_id", "cwd", "transcript_path", "claude_pid",
"tmux_pane", ...}`` plus the small payload fields of :data:`EXTRAS` when present,
``tmux_socket`` (the first field of ``$TMUX``) and ``compact_env`` (the session's
auto-compaction settings) when set, and ``too_long: true`` on a StopFailure whose
error says the prompt is too long for the window.
and for StopFailure the failure ``kind`` as the transcript names it
(:mod:`cc_guard.incidents`). Never a prompt, a tool's input or output, or anything long.
"""

from __future__ import annotations

import os

from cc_guard.base import fastjson
from cc_guard.base.fs import append_line

TYPE_CHECKING = False  # typing's costs the hook path; mypy reads the names below
if TYPE_CHECKING:
    from typing import Any

FILE = "events.jsonl"
#: Small payload fields copied into the log (scalars only).
EXTRAS = ("tool_name", "error", "reason", "trigger", "source", "agent_id")
#: A value made only of these is a code (``server_error``, ``prompt_input_exit``, an
#: agent id): kept as it is. Anything else is free text, redacted before it is cut.
_CODE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
#: Longest value kept.
EXTRA_MAX = 200
#: What an API error says when the prompt no longer fits the window.
TOO_LONG = "prompt is too long"
#: How much of the end of the log :func:`tail` reads by default.
TAIL_BYTES = 512 * 1024


def path_in(state: str) -> str:
    return os.path.join(state, FILE)


def make_record(
    time: str,
    event: str,
    session_id: str,
    cwd: str,
    transcript_path: str,
    payload: dict[str, Any],
    claude_pid: int | None,
    tmux_pane: str | None,
    tmux_socket: str | None = None,
    compact_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "time": time,
        "event": event,
        "session_id": session_id,
        "cwd": cwd,
        "transcript_path": transcript_path,
        "claude_pid": claude_pid,
        "tmux_pane": tmux_pane,
    }
    for key in EXTRAS:
        value = payload.get(key)
        if isinstance(value, str):
            record[key] = _extra_text(key, value)
        elif isinstance(value, int | float | bool):
            record[key] = value
    if tmux_socket:
        record["tmux_socket"] = tmux_socket
    if compact_env:
        record["compact_env"] = compact_env
    if event == "StopFailure" and _says_too_long(payload):
        record["too_long"] = True
    return record


def _extra_text(key: str, value: str) -> str:
    """A payload field as logged: a tool's name (every tool call logs one: no ``re``
    there) or a code as it is, other text redacted whole and then cut."""
    if key != "tool_name" and not (len(value) <= EXTRA_MAX and set(value) <= _CODE_CHARS):
        from cc_guard.base.redact import redact

        value = redact(value)
    return value[:EXTRA_MAX]


def _says_too_long(payload: dict[str, Any]) -> bool:
    for key in ("error_details", "last_assistant_message"):
        value = payload.get(key)
        if isinstance(value, str) and TOO_LONG in value[:4000].lower():
            return True
    return False


def append(state: str, record: dict[str, Any]) -> None:
    append_line(path_in(state), fastjson.dumps(record))


def parse(line: bytes | str) -> dict[str, Any] | None:
    """One log line as a record, or None when it is not one (damaged, foreign)."""
    try:
        record = fastjson.loads(line)
    except (ValueError, RecursionError):
        return None
    if (
        not isinstance(record, dict)
        or not isinstance(record.get("event"), str)
        or not isinstance(record.get("time"), str)
    ):
        return None
    return record


def parse_chunk(data: bytes) -> tuple[list[dict[str, Any]], int]:
    """The records of the complete lines in ``data``, and how many bytes they took.

    A last line without its newline is being written: it is left for the next read.
    """
    end = data.rfind(b"\n") + 1
    records = []
    for line in data[:end].split(b"\n"):
        if line.strip():
            record = parse(line)
            if record is not None:
                records.append(record)
    return records, end


def tail(state: str, session_id: str | None = None, max_bytes: int = TAIL_BYTES) -> list[dict[str, Any]]:
    """The newest records (oldest first), only ``session_id``'s when given."""
    try:
        with open(path_in(state), "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            start = max(0, size - max_bytes)
            fh.seek(start)
            data = fh.read(size - start)
    except OSError:
        return []
    if start:
        data = data[data.find(b"\n") + 1 :]  # the first line was cut by the window
    if session_id is not None:
        needle = session_id.encode("utf-8", "surrogateescape")
        lines = [line for line in data.split(b"\n") if needle in line]
        data = b"\n".join(lines) + b"\n"
    records, _ = parse_chunk(data if data.endswith(b"\n") else data + b"\n")
    if session_id is not None:
        records = [r for r in records if r.get("session_id") == session_id]
    return records


def moved_on(state: str, session_id: str, since: float) -> str | None:
    """``"prompt"`` if the session got a prompt after ``since`` (epoch seconds),
    ``"ended"`` if it ended after it, else None: what makes waiting to type into it moot."""
    from cc_guard.base.timefmt import epoch

    found = SessionEvents()
    for record in tail(state, session_id, 256 * 1024):
        found.add(record)
    prompt = epoch(found.prompt_at)
    if prompt is not None and prompt > since:
        return "prompt"
    ended = epoch(found.ended_at)
    if ended is not None and ended > since:
        return "ended"
    return None


class SessionEvents:
    """What the event log says about one session (folded record by record)."""

    __slots__ = (
        "claude_pid",
        "compact_at",
        "compact_env",
        "compact_failed_at",
        "compact_failure_error",
        "compact_trigger",
        "compacted_at",
        "end_reason",
        "ended_at",
        "last_event",
        "last_time",
        "prompt_at",
        "stop_at",
        "stop_failure_at",
        "stop_failure_error",
        "stop_failure_kind",
        "tmux_pane",
        "tmux_socket",
        "too_long_at",
    )

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    last_event: str | None
    last_time: str | None
    ended_at: str | None
    end_reason: str | None
    stop_failure_at: str | None
    stop_failure_error: str | None
    stop_failure_kind: str | None
    claude_pid: int | None
    compact_at: str | None  # the newest PreCompact
    compact_trigger: str | None  # its trigger (auto | manual)
    compacted_at: str | None  # the newest PostCompact
    #: A compaction's own request failed (a StopFailure carrying the forked agent's id).
    compact_failed_at: str | None
    compact_failure_error: str | None
    #: A StopFailure said the prompt is too long for the window.
    too_long_at: str | None
    stop_at: str | None
    prompt_at: str | None
    tmux_pane: str | None
    tmux_socket: str | None
    compact_env: dict[str, str] | None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SessionEvents):
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SessionEvents({self.to_json()!r})"

    def add(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        time = event.get("time")
        if not isinstance(name, str) or not isinstance(time, str):
            return
        self.last_event, self.last_time = name, time
        pid = event.get("claude_pid")
        if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0:
            self.claude_pid = pid
        pane = event.get("tmux_pane")
        if isinstance(pane, str) and pane:
            self.tmux_pane = pane
            socket = event.get("tmux_socket")
            self.tmux_socket = socket if isinstance(socket, str) and socket else None
        env = event.get("compact_env")
        env = {str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else None
        if name == "SessionStart":
            # A (new) process: its settings come with it; the --autocompact flag is
            # only read at SessionStart, so later events add to what it said.
            self.compact_env = env
        elif env:
            self.compact_env = {**(self.compact_env or {}), **env}
        if name == "SessionEnd":
            self.ended_at = time
            reason = event.get("reason")
            self.end_reason = reason if isinstance(reason, str) else None
        elif name == "StopFailure":
            error = event.get("error")
            if isinstance(event.get("agent_id"), str) and event.get("agent_id"):
                # Claude Code's forked compaction agent failed; the turn itself goes on
                # uncompacted, so this is no failed turn.
                self.compact_failed_at = time
                self.compact_failure_error = error if isinstance(error, str) else None
            else:
                self.stop_failure_at = time
                self.stop_failure_error = error if isinstance(error, str) else None
                kind = event.get("kind")
                self.stop_failure_kind = kind if isinstance(kind, str) else None
                if event.get("too_long") is True:
                    self.too_long_at = time
        elif name == "SessionStart":
            # A resumed session is alive again.
            self.ended_at = None
            self.end_reason = None
        elif name == "PreCompact":
            self.compact_at = time
            trigger = event.get("trigger")
            self.compact_trigger = trigger if isinstance(trigger, str) else None
        elif name == "PostCompact":
            self.compacted_at = time
        elif name == "Stop":
            self.stop_at = time
        elif name == "UserPromptSubmit":
            self.prompt_at = time

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_json(cls, data: Any) -> SessionEvents:
        values = data if isinstance(data, dict) else {}
        return cls(**{k: v for k, v in values.items() if k in cls.__slots__})


def summaries_to_json(events: dict[str, SessionEvents]) -> dict[str, Any]:
    return {sid: ev.to_json() for sid, ev in events.items()}


def summaries_from_json(data: Any) -> dict[str, SessionEvents]:
    if not isinstance(data, dict):
        return {}
    return {
        sid: SessionEvents.from_json(fields)
        for sid, fields in data.items()
        if isinstance(sid, str) and isinstance(fields, dict)
    }
