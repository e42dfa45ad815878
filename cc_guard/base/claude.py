"""Facts about Claude Code that cc-guard relies on, in one place.

Hook event names, which tools change files, what a session id may look like, the
context window of each model family, and where the ``claude`` executable is. See
``docs/claude-code.md`` for where each fact comes from. Standard library only.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing's costs the hook path; mypy reads the names below
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, TypeGuard

#: Hook events cc-guard knows (Claude Code 2.1.328 and 2.1.332). Newer versions add
#: events; an unknown one is logged and otherwise ignored, never an error.
HOOK_EVENTS = frozenset(
    {
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "PostToolUse",
        "Stop",
        "StopFailure",
        "SubagentStop",
        "PreCompact",
        "PostCompact",
        "SessionEnd",
        "Notification",
        "MessageDisplay",
        "PreModelSwitch",
        "PostModelSwitch",
        "PreSkillShellCommand",
    }
)

#: Tools that write one file named in their input, and the input key naming it.
FILE_TOOL_PATH_KEYS: dict[str, str] = {
    "Write": "file_path",
    "Edit": "file_path",
    "MultiEdit": "file_path",
    "NotebookEdit": "notebook_path",
}
FILE_TOOLS = tuple(FILE_TOOL_PATH_KEYS)
#: Tools after which the work tree may have changed: the file tools and the shell.
CHANGING_TOOLS = (*FILE_TOOLS, "Bash")
#: Tools known to change nothing on disk.
READ_ONLY_TOOLS = frozenset(
    {
        "Read",
        "Glob",
        "Grep",
        "LS",
        "WebFetch",
        "WebSearch",
        "TodoWrite",
        "TodoRead",
        "Task",
        "Agent",
        "ExitPlanMode",
        "BashOutput",
        "KillShell",
        "ListMcpResourcesTool",
        "ReadMcpResourceTool",
        "Skill",
        "SlashCommand",
        "AskUserQuestion",
        "TaskCreate",
        "TaskUpdate",
        "TaskList",
        "TaskGet",
    }
)

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def valid_session_id(session_id: object) -> TypeGuard[str]:
    """Whether ``session_id`` may name files and refs: ``[A-Za-z0-9][A-Za-z0-9_-]{0,127}``.

    Claude Code's ids are UUIDs. Anything else in a hook payload, a checkpoint
    trailer or a file name is untrusted input and never becomes a path.
    """
    return (
        isinstance(session_id, str)
        and 0 < len(session_id) <= 128
        and session_id.isascii()
        and session_id[0] in _ALNUM
        and not session_id.strip(_ALNUM + "_-")
    )


def require_session_id(session_id: object) -> str:
    """``session_id`` if it may name files and refs (:func:`valid_session_id`), else ValueError.

    Every function that turns a session id into a path or a ref name calls this (or
    checks :func:`valid_session_id`), so no caller can forget the check.
    """
    if not valid_session_id(session_id):
        raise ValueError(f"not a session id: {str(session_id)[:60]!r}")
    return session_id


DEFAULT_WINDOW = 200_000
ONE_MILLION = 1_000_000
#: Model id prefix -> context window (``context_window_size`` as the statusline reports it).
MODEL_WINDOWS: tuple[tuple[str, int], ...] = (
    ("claude-opus-5", ONE_MILLION),
    ("claude-sonnet-5", ONE_MILLION),
    ("claude-fable-5", ONE_MILLION),
    ("claude-opus-4", DEFAULT_WINDOW),
    ("claude-sonnet-4", DEFAULT_WINDOW),
    ("claude-haiku-4", DEFAULT_WINDOW),
    ("claude-3", DEFAULT_WINDOW),
)


def table_window(model: str | None, context_tokens: int | None = None) -> int:
    """The window for ``model`` from the built-in table (200k when unknown).

    A context fill above the table's window proves a bigger one (a 1M variant the
    model id does not show), so the answer is raised to 1M then. Claude Code marks
    the 1M variant of a 200k family with a ``[1m]`` suffix.
    """
    window = DEFAULT_WINDOW
    if model:
        lowered = model.lower()
        if "[1m]" in lowered or lowered.endswith("-1m"):
            window = ONE_MILLION
        else:
            for prefix, size in MODEL_WINDOWS:
                if lowered.startswith(prefix):
                    window = size
                    break
    if context_tokens is not None and context_tokens > window:
        window = max(ONE_MILLION, context_tokens)
    return window


def feed_window(feed: Mapping[str, Any] | None, model: str | None) -> int | None:
    """The window a statusline feed reports (``context_window_size``), if it is ``model``'s.

    A feed written before a ``/model`` switch names another model and would size the
    wrong window: then, and when the feed says nothing usable, None.
    """
    if not feed:
        return None
    size = feed.get("context_window_size")
    feed_model = feed.get("model_id")
    if (
        isinstance(size, int | float)
        and not isinstance(size, bool)
        and size > 0
        and (not feed_model or not model or feed_model == model)
    ):
        return int(size)
    return None


#: The ``autoCompactEnabled`` setting (``/config``'s "Auto-compact"; default true).
AUTO_COMPACT_SETTING = "autoCompactEnabled"
#: Managed (policy) settings, which win over every other settings file.
MANAGED_SETTINGS = (
    "/etc/claude-code/managed-settings.json",
    "/Library/Application Support/ClaudeCode/managed-settings.json",
)
#: Settings files bigger than this are not read for one boolean (the global config,
#: which holds every project's history, can be large).
SETTINGS_MAX_BYTES = 16 * 1024 * 1024


def global_config_path(claude_dir: str) -> str:
    """Claude Code's global config, ``.claude.json``: in ``$CLAUDE_CONFIG_DIR`` when it is
    set, else in the home directory."""
    if os.environ.get("CLAUDE_CONFIG_DIR"):
        return os.path.join(claude_dir, ".claude.json")
    return os.path.join(os.path.expanduser("~"), ".claude.json")


def auto_compact_setting(claude_dir: str, project_dir: str | None) -> bool | None:
    """``autoCompactEnabled`` as Claude Code resolves it, None when no file sets it.

    The first boolean in: managed settings, the project's ``.claude/settings.local.json``
    and ``.claude/settings.json``, the user's ``settings.json``; then the global config,
    where older versions kept it (there only ``false`` counts: true is the default).
    Settings passed with ``claude --settings`` are not seen.
    """
    files = list(MANAGED_SETTINGS)
    if project_dir:
        files.append(os.path.join(project_dir, ".claude", "settings.local.json"))
        files.append(os.path.join(project_dir, ".claude", "settings.json"))
    files.append(os.path.join(claude_dir, "settings.json"))
    for path in files:
        value = _setting_in(path, AUTO_COMPACT_SETTING)
        if isinstance(value, bool):
            return value
    legacy = _setting_in(global_config_path(claude_dir), AUTO_COMPACT_SETTING)
    return False if legacy is False else None


_read_once: dict[tuple[str, str | None], bool | None] = {}


def session_auto_compact_setting(cwd: str) -> bool | None:
    """:func:`auto_compact_setting` for the session a hook runs for, read once per
    process (the hook logs it and its handler uses it): the project is
    ``$CLAUDE_PROJECT_DIR`` (Claude Code sets it for hooks), else ``cwd``."""
    from cc_guard.base.paths import claude_root

    key = (claude_root(), os.environ.get("CLAUDE_PROJECT_DIR") or cwd or None)
    if key not in _read_once:
        _read_once[key] = auto_compact_setting(*key)
    return _read_once[key]


def _setting_in(path: str, key: str) -> object:
    """The top-level ``key`` of a JSON settings file; None when absent or unreadable."""
    from cc_guard.base import fastjson
    from cc_guard.base.fs import open_regular

    fh = open_regular(path)  # a FIFO in place of a settings file must not block
    if fh is None:
        return None
    try:
        with fh:
            if os.fstat(fh.fileno()).st_size > SETTINGS_MAX_BYTES:
                return None
            data = fh.read()
    except OSError:
        return None
    if key.encode() not in data:
        return None  # most files never name it: no parse
    try:
        parsed = fastjson.loads(data)
    except (ValueError, RecursionError):
        return None
    return parsed.get(key) if isinstance(parsed, dict) else None


#: Overrides which ``claude`` executable cc-guard runs (resume, launch, compact).
CLAUDE_BIN_ENV = "CC_GUARD_CLAUDE"


def claude_executable() -> str | None:
    """``$CC_GUARD_CLAUDE`` when set (ValueError if it is not an executable), else
    ``claude`` on PATH, else None."""
    import shutil

    env = os.environ.get(CLAUDE_BIN_ENV)
    if env:
        if shutil.which(env) is None:
            raise ValueError(f"${CLAUDE_BIN_ENV} is {env!r}, which is not an executable.")
        return env
    return shutil.which("claude")
