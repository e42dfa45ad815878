"""Is a session healthy or interrupted, and why: the model's verdict plus hook and process signals.

The transcript engine judges state from the transcript (and the hook event log) alone.
What only cc-guard's hooks and the process table know is added here: a StopFailure the
hook saw, and a Claude Code process that died mid-turn, leaving a transcript that
stopped growing with a prompt, a tool call or a half-streamed answer at its end.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cc_guard.base.procs import claude_process
from cc_guard.base.redact import redact
from cc_guard.handoff.extract import Facts
from cc_guard.incidents import classify_failure, kind_for_name
from cc_guard.state import events as event_log

if TYPE_CHECKING:
    from cc_guard.transcripts.model import SessionModel

#: With no known Claude Code pid, a mid-turn transcript idle this long means the process is gone.
IDLE_SECONDS = 120.0

@dataclass
class Health:
    status: str  # healthy | interrupted
    state: str  # the session state: running | idle | interrupted | compacted | ended
    kind: str | None = None  # incident kind when interrupted
    reason: str | None = None
    time: str | None = None  # record time of the failure (never the wall clock)
    process: str | None = None  # "pid 123 (claude ...)" while the session runs

    @property
    def interrupted(self) -> bool:
        return self.status == "interrupted"


def kind_from_status(status: Any, error_type: Any = None) -> str:
    """The incident kind of a recorded API error (its HTTP status and error ``type``)."""
    return classify_failure(
        status if isinstance(status, int) else None,
        names=(error_type if isinstance(error_type, str) else None,),
    ).value


def session_events(state_dir: Path, session_id: str) -> list[dict[str, Any]]:
    """This session's recent hook events (the end of the event log)."""
    return event_log.tail(str(state_dir), session_id)


def live_process(events: list[dict[str, Any]]) -> tuple[bool | None, str | None]:
    """(alive, description) of the session's Claude Code process; alive None when unknown."""
    ended = False
    pid: int | None = None
    for event in events:
        if isinstance(event.get("claude_pid"), int):
            pid = event["claude_pid"]
        ended = event.get("event") == "SessionEnd"
    if ended:
        return False, None
    if pid is None:
        return None, None
    info = claude_process(pid)
    return info is not None, info


def assess(
    facts: Facts,
    model: SessionModel | None = None,
    events: list[dict[str, Any]] | None = None,
    failure: dict[str, Any] | None = None,
    transcript_mtime: float | None = None,
    now: float | None = None,
) -> Health:
    """Judge the session: the model's state first, then the signals only hooks and /proc give.

    The engine's ``load_session`` does not read the hook log, so for a turn left open
    it judges by the transcript's age alone; a known Claude Code pid settles it here:
    alive means running, dead means interrupted.
    """
    events = events or []
    state = model.state.value if model is not None else "idle"
    alive, process = live_process(events)
    mid_turn = facts.last_main_kind in ("prompt", "tool_result", "assistant_tool") or (
        facts.last_main_kind == "assistant" and facts.last_stop_reason is None
    )
    if mid_turn and alive:
        return Health("healthy", "running", process=process)
    if model is not None and state == "interrupted":
        finals = [i for i in model.incidents if i.final] or list(model.incidents)
        if finals and not mid_turn:
            kind = finals[-1].kind.value
            if facts.cut_in_turn and kind in ("unknown", "connection"):
                kind = "stream_truncated"  # Claude Code said so in the transcript
            return Health("interrupted", state, kind, model.state_reason, finals[-1].time)
        if not mid_turn or alive is not None or transcript_mtime is None:
            return Health(
                "interrupted", state, _mid_turn_kind(facts)[0], model.state_reason, facts.last_time
            )
    stop_failures = [e for e in events if e.get("event") == "StopFailure"]
    if failure is None and stop_failures:
        failure = stop_failures[-1]
    if failure is not None and _after(failure.get("time"), facts.last_time):
        named = kind_for_name(str(failure.get("error")))
        kind = named.value if named is not None else "unknown"
        if kind == "unknown":  # interactive 2.1.328 says "unknown" for a cut stream
            kind = _recorded_kind(facts)
        return Health(
            "interrupted",
            "interrupted",
            kind,
            f"StopFailure hook: {failure.get('error') or 'unknown error'}",
            facts.last_time,
        )
    if facts.last_main_kind == "api_error" and facts.final_error is not None:
        err = facts.final_error
        kind = kind_from_status(err.get("status"), err.get("type"))
        if kind == "unknown":
            kind = _transport_kind(facts)
        first_line = redact(str(err.get("text") or "API error")).strip().splitlines()[:1]
        return Health(
            "interrupted",
            "interrupted",
            kind,
            first_line[0] if first_line else "API error",
            err.get("time"),
        )
    if facts.last_main_kind == "assistant" and facts.last_stop_reason == "max_tokens":
        return Health(
            "interrupted",
            "interrupted",
            "max_output_tokens",
            "the last response hit max_tokens",
            facts.last_time,
        )
    if mid_turn and state != "ended":
        if alive is None and transcript_mtime is not None:
            now = time.time() if now is None else now
            alive = (now - transcript_mtime) < IDLE_SECONDS
        if alive is False:
            kind, reason = _mid_turn_kind(facts)
            return Health("interrupted", "interrupted", kind, reason, facts.last_time)
        return Health("healthy", "running", process=process)
    return Health("healthy", state)


def _mid_turn_kind(facts: Facts) -> tuple[str, str]:
    pending = [u for u in facts.tools if not u.has_result and not u.sidechain]
    if facts.last_main_kind == "assistant":
        return (
            "stream_truncated",
            "the last response ended without a stop reason and Claude Code is gone",
        )
    if pending:
        return "unknown", f"tool call {pending[-1].name} never got a result and Claude Code is gone"
    return "unknown", "Claude Code stopped mid-turn (process gone)"


def _recorded_kind(facts: Facts) -> str:
    """Kind of the failure from what the transcript recorded about it."""
    err = facts.final_error
    if err is not None:
        kind = kind_from_status(err.get("status"), err.get("type"))
        if kind != "unknown":
            return kind
    return _transport_kind(facts)


def _transport_kind(facts: Facts) -> str:
    """Kind of a failure with no HTTP status, from the retries' connection errors."""
    if facts.cut_in_turn:
        return "stream_truncated"
    for record in reversed(facts.api_errors[-3:]):
        if _truncated(record):
            return "stream_truncated"
        blob = json.dumps(record.get("error")) if record.get("error") is not None else ""
        if "ETIMEDOUT" in blob or "timeout" in blob.lower():
            return "timeout"
        if "connection" in blob.lower() or "ECONN" in blob:
            return "connection"
    return "unknown"


def _truncated(record: dict[str, Any]) -> bool:
    err = record.get("error")
    blob = json.dumps(err) if err is not None else ""
    return "StreamTruncated" in blob or "truncat" in blob.lower()


def _after(event_time: Any, record_time: str | None) -> bool:
    """True when a hook event is not older than the transcript's last record (ISO strings)."""
    if not isinstance(event_time, str):
        return True
    if record_time is None:
        return True
    # Both are ISO 8601 UTC; compare on the common second-precision prefix.
    return event_time[:19] >= record_time[:19]
