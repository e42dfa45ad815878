"""What a hook handler receives and may return (interface 3 of the team brief)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HookEvent:
    """One hook call: the event name and Claude Code's JSON payload."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    session_id: str = ""
    cwd: str = ""
    transcript_path: str = ""


@dataclass(frozen=True)
class HookOutput:
    """What a handler wants Claude Code to see.

    ``additional_context`` is injected into the model's context (SessionStart,
    UserPromptSubmit, PostToolUse); ``system_message`` is shown to the user.
    """

    additional_context: str | None = None
    system_message: str | None = None
