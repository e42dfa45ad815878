"""Hook handlers (registered in ``cc_guard.runtime.hook.HANDLERS``).

- Stop, StopFailure, PreCompact, SessionEnd: rebuild the session's handoff, but only
  when the transcript changed since the last one, in a detached worker process
  (``worker.py``) so Claude Code's loop does not wait for it.
  StopFailure first keeps what the hook payload says (the error and the last,
  possibly partial, assistant text), which the transcript may not hold.
- SessionStart: when this Claude Code process was launched by ``cc-guard resume
  --mode fresh``, its environment carries ``CC_GUARD_SEED=<nonce>``; the seed stored
  under that nonce is injected once as ``additionalContext`` and deleted. Any other
  session has no nonce (or a used one) and gets nothing.

Runs on the hook's hot path: standard library and cc_guard.handoff only.
"""

from __future__ import annotations

import os
from pathlib import Path

from cc_guard.base.claude import valid_session_id
from cc_guard.base.hookio import HookEvent, HookOutput


def _transcript(event: HookEvent) -> Path | None:
    """The payload's transcript when it is a regular file (a FIFO or a device is not one)."""
    if not event.transcript_path:
        return None
    path = Path(event.transcript_path)
    try:
        return path if path.is_file() else None
    except OSError:  # a looping symlink, a name too long
        return None


def _session_id(event: HookEvent, transcript: Path) -> str | None:
    """The payload's session id (checked when it was parsed), else the transcript's name
    when that is a valid id; None: nothing may be named after this session."""
    if event.session_id:
        return event.session_id
    return transcript.stem if valid_session_id(transcript.stem) else None


def on_snapshot_event(event: HookEvent) -> HookOutput | None:
    """Stop, PreCompact, SessionEnd: refresh the handoff (in the background) if the transcript grew."""
    from cc_guard.base import paths
    from cc_guard.handoff.freshness import is_current

    transcript = _transcript(event)
    if transcript is None:
        return None
    session_id = _session_id(event, transcript)
    if session_id is None:
        return None
    if is_current(transcript, paths.state_dir(), session_id):
        return None  # nothing new since the last handoff
    from cc_guard.handoff.worker import spawn

    spawn(transcript, session_id)
    return None


def on_stop_failure(event: HookEvent) -> HookOutput | None:
    """The turn failed: keep the hook's error and partial text now, rebuild the handoff.

    The checkpoint of this moment is taken by the checkpoints handler that runs
    before this one in the same hook call.
    """
    from datetime import UTC, datetime

    from cc_guard.handoff.freshness import save_failure
    from cc_guard.handoff.worker import spawn

    transcript = _transcript(event)
    if event.payload.get("agent_id"):
        # A forked agent failed (Claude Code's compaction request, typically): the
        # turn itself goes on, so it is no failure of the session to hand off.
        return on_snapshot_event(event)
    if event.session_id:
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        save_failure(event.session_id, event.payload, stamp)
    if transcript is None:
        return None
    session_id = _session_id(event, transcript)
    if session_id is not None:
        spawn(transcript, session_id, force=True)
    return None


def on_session_start(event: HookEvent) -> HookOutput | None:
    """Inject the one-time seed of a session cc-guard launched; nothing otherwise."""
    nonce = os.environ.get("CC_GUARD_SEED")
    if not nonce:
        return None
    if event.payload.get("source") not in (None, "startup"):
        return None  # a resume/clear/compact of that session must not get it again
    from cc_guard.handoff.store import consume_seed

    text = consume_seed(nonce)
    if not text:
        return None
    return HookOutput(additional_context=text)
