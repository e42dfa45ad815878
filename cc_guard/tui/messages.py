"""Typed messages between the dashboard's workers, widgets and screens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from cc_guard.transcripts.model import SessionModel

if TYPE_CHECKING:  # the first paint does not wait for git or the restore code
    from cc_guard.checkpoints.history import Checkpoint
    from cc_guard.checkpoints.restore import RestoreResult
    from cc_guard.tui.alerts import Alert


@dataclass
class SessionsLoaded(Message):
    """The first index build delivered sessions (``done``: all of them)."""

    sessions: list[SessionModel]
    done: bool
    read: int = 0  # transcripts read so far
    total: int = 0  # transcripts found


@dataclass
class SessionsChanged(Message):
    """The watcher refreshed the session list; a newer one replaces one still queued."""

    sessions: list[SessionModel]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SessionsChanged)


@dataclass
class LoadFailed(Message):
    """Reading the sessions failed (an unusable state dir, ...): one sentence."""

    error: str


@dataclass
class OpenSession(Message):
    """The user asked for a session's screen."""

    session_id: str


@dataclass
class SessionDetail(Message):
    """A session's full model, loaded by a worker."""

    session: SessionModel


@dataclass
class AlertRaised(Message):
    """A session got an API failure; what cc-guard saved for it."""

    alert: Alert


@dataclass
class DoctorVerdict(Message):
    """The doctor's verdict for the outage banner."""

    verdict: str


@dataclass
class FilterChanged(Message):
    """The sessions filter text changed."""

    text: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FilterChanged)


@dataclass
class ActionDone(Message):
    """An action finished: a line to show, and whether it failed."""

    text: str
    error: bool = False


@dataclass
class CheckpointsLoaded(Message):
    """A session's checkpoint chain (newest first), or a note why there is none."""

    session_id: str
    checkpoints: list[Checkpoint]
    note: str


@dataclass
class DiffLoaded(Message):
    """A diff to show (``title`` says between what)."""

    title: str
    text: str


@dataclass
class HandoffLoaded(Message):
    """The session's handoff, as Markdown."""

    session_id: str
    markdown: str


@dataclass
class RestorePlanned(Message):
    """What a restore (or an undo) would change; the user confirms before it runs."""

    plan: RestoreResult
    undo_record: dict[str, object] | None = None  # set for an undo
