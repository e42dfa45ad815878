"""Is a session healthy or interrupted, and why: the transcript engine's judgement.

The engine (:func:`cc_guard.transcripts.build.judge_state`) decides a session's state
and the kind of its failure from the transcript and the hook facts (Stop, StopFailure,
SessionEnd, Claude Code's pid); ``sessions``, ``status``, the statusline and the
handoff all show that one answer. This adds only what a handoff and ``resume`` need
beyond it: which live Claude Code process still holds the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cc_guard.base.procs import claude_process

if TYPE_CHECKING:
    from cc_guard.transcripts.model import SessionModel


@dataclass
class Health:
    status: str  # healthy | interrupted
    state: str  # the session state: running | idle | interrupted | stuck | compacted | ended
    kind: str | None = None  # incident kind when interrupted
    reason: str | None = None
    time: str | None = None  # record time of the failure (never the wall clock)
    #: "pid 123 (claude ...)" while a live Claude Code process holds the session
    #: (running, or waiting at its prompt); None once it ended or is gone.
    process: str | None = None

    @property
    def interrupted(self) -> bool:
        return self.status == "interrupted"


def assess(model: SessionModel | None) -> Health:
    """The engine's verdict on the session, plus the process that still holds it."""
    if model is None:  # no readable record at all: nothing to judge
        return Health("healthy", "idle")
    state = model.state.value
    process = None
    if state != "ended" and model.claude_pid is not None:
        process = claude_process(model.claude_pid)
    if state in ("interrupted", "stuck"):
        turn_start = model.prompts[-1].time if model.prompts else None
        finals = [i for i in model.incidents if i.final and (i.time or "") >= (turn_start or "")]
        return Health(
            "interrupted",
            state,
            model.failure_kind or "unknown",
            model.state_reason,
            finals[-1].time if finals else model.last_activity,
            process,
        )
    return Health("healthy", state, reason=model.state_reason, process=process)
