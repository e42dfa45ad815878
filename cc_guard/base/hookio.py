"""What a hook handler receives and may return.

:func:`parse_event` is where a hook payload becomes a :class:`HookEvent`, the one
place its untrusted fields are checked: a ``session_id`` that is not a valid id
(see :func:`cc_guard.base.claude.valid_session_id`) becomes ``""``, so no handler
can turn it into a path. Plain classes rather than dataclasses: the hook path
does not import ``dataclasses``.
"""

from __future__ import annotations

from cc_guard.base.claude import valid_session_id
from cc_guard.base.fs import STDIN_LIMIT, STDIN_SECONDS, read_stdin

__all__ = [
    "MAX_STDIN_BYTES",
    "STDIN_SECONDS",
    "HookEvent",
    "HookOutput",
    "parse_event",
    "read_stdin",
]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class HookEvent:
    """One hook call: the event name and Claude Code's JSON payload."""

    __slots__ = ("cwd", "name", "payload", "session_id", "transcript_path")

    def __init__(
        self,
        name: str,
        payload: dict[str, Any] | None = None,
        session_id: str = "",
        cwd: str = "",
        transcript_path: str = "",
    ) -> None:
        self.name = name
        self.payload: dict[str, Any] = payload if payload is not None else {}
        self.session_id = session_id
        self.cwd = cwd
        self.transcript_path = transcript_path

    def __repr__(self) -> str:
        return (
            f"HookEvent(name={self.name!r}, session_id={self.session_id!r}, cwd={self.cwd!r}, "
            f"transcript_path={self.transcript_path!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HookEvent):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    __hash__ = None  # type: ignore[assignment]


class HookOutput:
    """What a handler wants Claude Code to see.

    ``additional_context`` is injected into the model's context (SessionStart,
    UserPromptSubmit, PostToolUse); ``system_message`` is shown to the user.
    ``plain_text`` is printed as is, not as JSON: PreCompact's only useful output
    (Claude Code appends it to the summary instructions; JSON there is an error).
    """

    __slots__ = ("additional_context", "plain_text", "system_message")

    def __init__(
        self,
        additional_context: str | None = None,
        system_message: str | None = None,
        plain_text: str | None = None,
    ) -> None:
        self.additional_context = additional_context
        self.system_message = system_message
        self.plain_text = plain_text

    def __repr__(self) -> str:
        return (
            f"HookOutput(additional_context={self.additional_context!r}, "
            f"system_message={self.system_message!r}, plain_text={self.plain_text!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HookOutput):
            return NotImplemented
        return (self.additional_context, self.system_message, self.plain_text) == (
            other.additional_context,
            other.system_message,
            other.plain_text,
        )

    __hash__ = None  # type: ignore[assignment]


#: What a hook or the statusline reads of its stdin at most (see :func:`read_stdin`).
MAX_STDIN_BYTES = STDIN_LIMIT


def _text(value: object) -> str:
    return value if isinstance(value, str) and "\0" not in value else ""


def parse_event(name: str, payload: dict[str, Any], default_cwd: str = "") -> HookEvent:
    """The event for a decoded payload; untrusted fields checked, wrong types dropped."""
    session_id = payload.get("session_id")
    return HookEvent(
        name=name,
        payload=payload,
        session_id=session_id if valid_session_id(session_id) else "",
        cwd=_text(payload.get("cwd")) or default_cwd,
        transcript_path=_text(payload.get("transcript_path")),
    )
