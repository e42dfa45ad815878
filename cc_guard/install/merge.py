"""Adding cc-guard's hooks and statusLine to a settings object, and taking them out.

Pure functions on the parsed settings dict (``settings.json`` format, which is
also the plugin ``hooks/hooks.json`` format for the ``hooks`` part). cc-guard
only ever appends its own matcher groups; it never edits a group of the user's,
so taking them out again leaves the user's groups exactly as they were.
"""

from __future__ import annotations

from typing import Any

from cc_guard.base.claude import CHANGING_TOOLS
from cc_guard.install.command import (
    hook_command,
    is_own_hook,
    own_statusline,
    statusline_command,
    wrapped_command,
)

# (event, matcher or None for "every", timeout in seconds). The hook bounds its own
# work (checkpoints.time_budget_seconds); the timeout is the backstop Claude Code
# enforces. Events that write a handoff or a checkpoint get more room.
EVENTS: tuple[tuple[str, str | None, int], ...] = (
    ("SessionStart", None, 10),
    ("UserPromptSubmit", None, 10),
    ("PreToolUse", "Bash", 10),
    ("PostToolUse", "|".join(CHANGING_TOOLS), 15),
    ("Stop", None, 30),
    ("StopFailure", None, 30),
    ("PreCompact", None, 30),
    ("PostCompact", None, 10),
    ("SessionEnd", None, 30),
)


class MergeError(ValueError):
    """The settings have a shape cc-guard cannot merge into without guessing."""


def post_tool_matcher(extra_tools: tuple[str, ...] | list[str] = ()) -> str:
    tools = list(CHANGING_TOOLS)
    tools += [tool for tool in extra_tools if tool and tool not in tools]
    return "|".join(tools)


def hook_groups(
    prefix: list[str], extra_tools: tuple[str, ...] | list[str] = (), command: str | None = None
) -> dict[str, dict[str, Any]]:
    """event -> the matcher group cc-guard installs for it.

    ``command`` replaces the per-event command (``{event}`` is filled in): the plugin
    layout uses it to call its launcher script instead of an absolute path.
    """
    groups: dict[str, dict[str, Any]] = {}
    for event, matcher, timeout in EVENTS:
        group: dict[str, Any] = {}
        if matcher is not None:
            group["matcher"] = post_tool_matcher(extra_tools) if event == "PostToolUse" else matcher
        text = command.replace("{event}", event) if command else hook_command(prefix, event)
        group["hooks"] = [{"type": "command", "command": text, "timeout": timeout}]
        groups[event] = group
    return groups


def _is_own_group(group: Any) -> bool:
    hooks = group.get("hooks") if isinstance(group, dict) else None
    return (
        isinstance(hooks, list)
        and bool(hooks)
        and all(isinstance(h, dict) and is_own_hook(h.get("command")) for h in hooks)
    )


def _contains_own(group: Any) -> bool:
    hooks = group.get("hooks") if isinstance(group, dict) else None
    return isinstance(hooks, list) and any(
        isinstance(h, dict) and is_own_hook(h.get("command")) for h in hooks
    )


def _strip_own(groups: list[Any]) -> bool:
    """Remove cc-guard's hooks from ``groups`` (in place); True if anything went."""
    changed = False
    for group in list(groups):
        hooks = group.get("hooks") if isinstance(group, dict) else None
        if not isinstance(hooks, list):
            continue
        kept = [h for h in hooks if not (isinstance(h, dict) and is_own_hook(h.get("command")))]
        if len(kept) == len(hooks):
            continue
        changed = True
        if kept:
            hooks[:] = kept
        else:
            groups.remove(group)
    return changed


def add_hooks(settings: dict[str, Any], groups: dict[str, dict[str, Any]]) -> None:
    """Put cc-guard's groups into ``settings["hooks"]``, leaving every other entry alone.

    A group cc-guard installed before is replaced where it stands (so reinstalling
    changes nothing, and an upgrade keeps its place); otherwise the group is appended
    after the user's own.
    """
    hooks = settings.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise MergeError("'hooks' is not a JSON object")
    for event in list(hooks):
        stale = event not in groups and isinstance(hooks[event], list)
        if stale and _strip_own(hooks[event]) and not hooks[event]:
            del hooks[event]
    for event, group in groups.items():
        current = hooks.setdefault(event, [])
        if not isinstance(current, list):
            raise MergeError(f"'hooks.{event}' is not a JSON list")
        own = [i for i, g in enumerate(current) if _contains_own(g)]
        if len(own) == 1 and _is_own_group(current[own[0]]) and len(current[own[0]]["hooks"]) == 1:
            current[own[0]] = group
            continue
        _strip_own(current)
        current.append(group)


def remove_hooks(settings: dict[str, Any], keep: frozenset[str] | set[str] = frozenset()) -> bool:
    """Take every cc-guard hook out. True if anything changed.

    An event list (or the ``hooks`` object) left empty is dropped, since cc-guard
    created it, unless its name is in ``keep`` (``"hooks"`` for the object): the
    ones the user already had before install, empty or not.
    """
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return False
    changed = False
    for event in list(hooks):
        groups = hooks[event]
        if isinstance(groups, list) and _strip_own(groups):
            changed = True
            if not groups and event not in keep:
                del hooks[event]
    if changed and not hooks and "hooks" not in keep:
        del settings["hooks"]
    return changed


def existing_keys(settings: dict[str, Any]) -> list[str]:
    """What ``remove_hooks`` must keep: ``"hooks"`` and the event names already there."""
    hooks = settings.get("hooks")
    return ["hooks", *hooks] if isinstance(hooks, dict) else []


def add_statusline(
    settings: dict[str, Any], prefix: list[str], inherited: dict[str, Any] | None = None
) -> str:
    """Set cc-guard's statusLine, wrapping the user's own. Returns what was done.

    ``inherited`` is the user's statusLine from a settings file this one overrides
    (their user settings, for a project install): setting a plain one here would hide
    it, so a copy of it is wrapped instead.
    """
    current = settings.get("statusLine")
    if current is None and inherited is not None:
        settings["statusLine"] = dict(
            inherited, command=statusline_command(prefix, inherited["command"])
        )
        return "wrapped (your statusLine from a lower-precedence settings file)"
    if current is None:
        settings["statusLine"] = {"type": "command", "command": statusline_command(prefix)}
        return "set"
    if not isinstance(current, dict) or not isinstance(current.get("command"), str):
        return "kept (not a command statusLine)"
    parsed = own_statusline(current["command"])
    if parsed is not None:
        current["command"] = statusline_command(prefix, wrapped_command(parsed))
        return "kept"
    current["command"] = statusline_command(prefix, current["command"])
    return "wrapped"


def user_statusline(settings: dict[str, Any]) -> dict[str, Any] | None:
    """The user's own command statusLine in ``settings`` (unwrapped if cc-guard wraps it)."""
    current = settings.get("statusLine")
    if not isinstance(current, dict) or not isinstance(current.get("command"), str):
        return None
    parsed = own_statusline(current["command"])
    if parsed is None:
        return current
    wrapped = wrapped_command(parsed)
    return None if wrapped is None else dict(current, command=wrapped)


def remove_statusline(settings: dict[str, Any], restore: bool = True) -> bool:
    """Take cc-guard's statusLine out, giving back the user's wrapped command. True if changed.

    ``restore=False`` drops it whole: the file had no statusLine before install, so a
    wrapped command in it is a copy of one from another settings file.
    """
    current = settings.get("statusLine")
    if not isinstance(current, dict):
        return False
    parsed = own_statusline(current.get("command"))
    if parsed is None:
        return False
    wrapped = wrapped_command(parsed)
    if wrapped is None or not restore:
        del settings["statusLine"]
    else:
        current["command"] = wrapped
    return True
