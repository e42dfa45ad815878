"""Outage alerts: which sessions just got an API failure, and what cc-guard saved for them.

Pure bookkeeping over the session lists the watcher delivers (no Textual);
:func:`details` does the blocking part (full model, git, handoff file) for a worker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from cc_guard.transcripts.model import SessionModel, SessionState


@dataclass(frozen=True)
class Alert:
    """An API failure in one session, and what was kept for the user."""

    session_id: str
    project_dir: str | None
    kind: str | None = None  # the newest incident's kind (overloaded, server_error, ...)
    status: int | None = None
    final: bool | None = None  # True: the turn failed; None: still retrying
    checkpoint: str | None = None  # the session's newest checkpoint
    checkpoint_time: str | None = None
    handoff: str | None = None  # path of the handoff written by the hooks, if any
    doctor: str | None = None  # the doctor's verdict, once it ran

    def with_doctor(self, verdict: str | None) -> Alert:
        return replace(self, doctor=verdict)


class AlertTracker:
    """Remembers each session's incident count and state between refreshes.

    The first list only sets the baseline: failures from before the dashboard
    opened are history, not news.
    """

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, str]] | None = None

    def update(self, sessions: list[SessionModel]) -> list[SessionModel]:
        """The sessions that got a new incident (or just failed) since the last list."""
        current = {s.session_id: (s.incident_count, s.state.value) for s in sessions}
        previous, self._seen = self._seen, current
        if previous is None:
            return []
        fresh: list[SessionModel] = []
        for session in sessions:
            before = previous.get(session.session_id)
            count, state = current[session.session_id]
            if before is None:
                if count:  # a session that appears already failing
                    fresh.append(session)
                continue
            grew = count > before[0]
            failed = state == SessionState.INTERRUPTED.value and before[1] != state
            if grew or (failed and _api_failure(session)):
                fresh.append(session)
        return fresh


def _api_failure(session: SessionModel) -> bool:
    reason = session.state_reason or ""
    return reason.startswith(("the last turn failed", "StopFailure"))


def details(full: SessionModel, state_dir: Path) -> Alert:
    """The alert for a session's full model: its newest incident and what was saved."""
    from cc_guard.checkpoints.history import checkpoint_summary

    newest = full.incidents[-1] if full.incidents else None
    checkpoint = checkpoint_time = None
    if full.project_dir and Path(full.project_dir).is_dir():
        summary = checkpoint_summary(Path(full.project_dir), full.session_id)
        latest = summary.get("latest")
        checkpoint = latest if isinstance(latest, str) else None
        when = summary.get("latest_time")
        checkpoint_time = when if isinstance(when, str) else None
    handoff = state_dir / "handoff" / f"{full.session_id}.md"
    kind = newest.kind.value if newest is not None else None
    if kind is None and full.state == SessionState.INTERRUPTED and full.state_reason:
        kind = full.state_reason
    return Alert(
        session_id=full.session_id,
        project_dir=full.project_dir,
        kind=kind,
        status=newest.status if newest is not None else None,
        final=newest.final if newest is not None else True,
        checkpoint=checkpoint,
        checkpoint_time=checkpoint_time,
        handoff=str(handoff) if os.path.exists(handoff) else None,
    )
