"""Hook handlers that take checkpoints (registered in ``cc_guard.runtime.hook.HANDLERS``).

Cheap checks come first so a hook for a tool that changes nothing returns before
anything heavier than this module is imported.
"""

from __future__ import annotations

from cc_guard.base.claude import CHANGING_TOOLS, READ_ONLY_TOOLS
from cc_guard.base.hookio import HookEvent, HookOutput

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

def on_post_tool_use(event: HookEvent) -> HookOutput | None:
    tool = str(event.payload.get("tool_name") or "")
    if tool in READ_ONLY_TOOLS:
        return None
    if tool not in CHANGING_TOOLS:
        from cc_guard.config import checkpoints_config

        if tool not in checkpoints_config(event.cwd).tools:
            return None
    _checkpoint(event, tool, _tool_files(event.payload.get("tool_input")))
    return None


def on_pre_tool_use(event: HookEvent) -> HookOutput | None:
    if event.payload.get("tool_name") != "Bash":
        return None
    tool_input = event.payload.get("tool_input")
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if not isinstance(command, str):
        return None
    from pathlib import Path

    from cc_guard.checkpoints.destructive import is_destructive

    if is_destructive(command, Path(event.cwd)):
        _checkpoint(event, "Bash", [])
    return None


def on_user_prompt_submit(event: HookEvent) -> HookOutput | None:
    prompt = event.payload.get("prompt")
    _checkpoint(event, None, [], prompt if isinstance(prompt, str) else None)
    return None


def on_lifecycle(event: HookEvent) -> HookOutput | None:
    """Stop, StopFailure, PreCompact, SessionEnd: keep the state at that moment."""
    _checkpoint(event, None, [])
    return None


def _checkpoint(
    event: HookEvent, tool: str | None, files: list[str], prompt: str | None = None
) -> str | None:
    from cc_guard.checkpoints.snapshot import take_checkpoint

    if not event.session_id or not event.cwd:  # the id was checked when the payload was parsed
        return None
    rel = [_relative(f, event.cwd) for f in files]
    return take_checkpoint(event.cwd, event.session_id, event.name, tool, rel, prompt)


def _tool_files(tool_input: Any) -> list[str]:
    if not isinstance(tool_input, dict):
        return []
    found = []
    for key in ("file_path", "notebook_path", "path"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            found.append(value)
    return found


def _relative(path: str, cwd: str) -> str:
    import os.path

    rel = os.path.relpath(path, cwd) if os.path.isabs(path) else path
    return path if rel.startswith("..") else rel
