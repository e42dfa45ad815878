"""The hook entry: read Claude Code's JSON, log the event, run handlers, exit 0.

This runs inside Claude Code's loop many times a minute, so it imports only the
standard library and cc_guard.base.paths at module level; handlers are imported lazily
from the table below. It never blocks the agent: whatever goes wrong (garbage on
stdin, an unknown event, a crashing handler, a deadline) is logged to
``<state_dir>/hook-errors.log`` and the exit code is still 0.
"""

from __future__ import annotations

import os
import sys
import time

from cc_guard.base import fastjson
from cc_guard.base.hookio import HookEvent, HookOutput, parse_event, read_stdin
from cc_guard.base.paths import state_root
from cc_guard.base.procs import find_claude_pid, option_value, process_argv
from cc_guard.state import errors, events

# Imports are kept to the few modules above (tests/test_architecture.py holds the hook
# to an allowlist): typing, datetime, contextlib, dataclasses, pathlib, tempfile and
# even json (its regexes; fastjson calls the same C code) would each add to every hook
# call, so they are avoided or deferred.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any

# signal.py wraps the C module's numbers in enums (it imports enum, which the console
# script may not have loaded yet); the numbers are all we use.
if TYPE_CHECKING:
    import signal
else:
    try:
        import _signal as signal
    except ImportError:  # pragma: no cover - other Python implementations
        import signal


# event name -> handlers as "module:function", run in order. Each is
# ``handler(event: HookEvent) -> HookOutput | None``.
HANDLERS: dict[str, list[str]] = {
    "PreToolUse": ["cc_guard.runtime.handlers.checkpoint:on_pre_tool_use"],
    "PostToolUse": ["cc_guard.runtime.handlers.checkpoint:on_post_tool_use"],
    "UserPromptSubmit": ["cc_guard.runtime.handlers.checkpoint:on_user_prompt_submit"],
    "Stop": [
        "cc_guard.runtime.handlers.checkpoint:on_lifecycle",
        "cc_guard.runtime.handlers.handoff:on_snapshot_event",
        "cc_guard.runtime.handlers.compact:on_stop",
    ],
    "StopFailure": [
        "cc_guard.runtime.handlers.checkpoint:on_lifecycle",
        "cc_guard.runtime.handlers.handoff:on_stop_failure",
        "cc_guard.runtime.handlers.compact:on_stop_failure",
    ],
    # The handoff is written (synchronously) by the compact handler, which needs it for
    # the focus; the handoff handler then finds it current.
    "PreCompact": [
        "cc_guard.runtime.handlers.checkpoint:on_lifecycle",
        "cc_guard.runtime.handlers.compact:on_pre_compact",
        "cc_guard.runtime.handlers.handoff:on_snapshot_event",
    ],
    "SubagentStop": ["cc_guard.runtime.handlers.compact:on_subagent_stop"],
    "PostCompact": ["cc_guard.runtime.handlers.compact:on_post_compact"],
    "SessionEnd": [
        "cc_guard.runtime.handlers.checkpoint:on_lifecycle",
        "cc_guard.runtime.handlers.handoff:on_snapshot_event",
    ],
    "SessionStart": [
        "cc_guard.runtime.handlers.handoff:on_session_start",
        "cc_guard.runtime.handlers.compact:on_session_start",
    ],
}
# Every other event (events newer than cc-guard, ...) is only logged.

#: Events whose hookSpecificOutput.additionalContext Claude Code injects.
_CONTEXT_EVENTS = frozenset({"SessionStart", "UserPromptSubmit", "PostToolUse"})

#: Whole-run bound; each checkpoint has its own, smaller budget inside it.
DEADLINE_ENV = "CC_GUARD_HOOK_DEADLINE"
DEFAULT_DEADLINE = 8.0


class HookDeadline(BaseException):
    """Raised by the alarm: a BaseException so handlers' ``except Exception`` can't eat it."""


def main(argv: list[str]) -> int:
    started = time.monotonic()
    event_name = argv[0] if argv else ""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, _deadline_seconds())
    try:
        try:
            _run(event_name)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    except HookDeadline:
        log_error(event_name, f"hook gave up after {time.monotonic() - started:.1f}s")
    except BaseException as exc:  # the hook must never fail Claude Code
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            log_error(event_name, f"interrupted: {type(exc).__name__}")
        else:
            log_error(event_name, f"{type(exc).__name__}: {exc}")
    return 0


def _run(event_name: str) -> None:
    raw = read_stdin(sys.stdin.fileno()) if sys.stdin is not None else b""
    if not raw.strip():
        log_error(event_name, "empty stdin")
        return
    try:
        payload = fastjson.loads(raw)
    except ValueError as exc:  # JSONDecodeError or undecodable bytes
        log_error(event_name, f"stdin is not JSON ({str(exc)[:80]})")
        return
    if not isinstance(payload, dict):
        log_error(event_name, "stdin JSON is not an object")
        return
    name = event_name or str(payload.get("hook_event_name") or "")
    event = parse_event(name, payload, os.getcwd())
    if payload.get("session_id") not in (None, "") and not event.session_id:
        # Untrusted input: a session id that could name a path outside the state dir.
        log_error(name, "unusable session_id in the payload; handled as a session without id")
    try:
        log_event(event)
    except OSError as exc:  # a full or read-only state dir: the handlers may still work
        log_error(name, f"event log not written: {type(exc).__name__}: {exc}")
    outputs: list[HookOutput] = []
    for spec in HANDLERS.get(name, ()):
        try:
            result = _load(spec)(event)
        except Exception as exc:
            log_error(name, f"{spec}: {type(exc).__name__}: {exc}")
            continue
        if isinstance(result, HookOutput):
            outputs.append(result)
    _print_output(name, outputs)


def _load(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    # __import__ rather than importlib: importlib's package costs the hook path more.
    module = __import__(module_name, fromlist=[attr])
    return getattr(module, attr)


#: Events whose stdout Claude Code reads as plain text, where JSON is an error.
_PLAIN_EVENTS = frozenset({"PreCompact"})


def _print_output(name: str, outputs: list[HookOutput]) -> None:
    if name in _PLAIN_EVENTS:
        plain = "\n\n".join(o.plain_text for o in outputs if o.plain_text)
        if plain:
            sys.stdout.write(plain.rstrip("\n") + "\n")
            sys.stdout.flush()
        return
    context = "\n\n".join(o.additional_context for o in outputs if o.additional_context)
    message = "\n".join(o.system_message for o in outputs if o.system_message)
    doc: dict[str, Any] = {}
    if context and name in _CONTEXT_EVENTS:
        doc["hookSpecificOutput"] = {"hookEventName": name, "additionalContext": context}
    if message:
        doc["systemMessage"] = message
    if doc:
        if sys.stdout is None:  # started with stdout closed: nobody to tell
            log_error(name, "stdout is closed: the hook's output was dropped")
            return
        sys.stdout.write(fastjson.dumps(doc) + "\n")
        sys.stdout.flush()


def log_event(event: HookEvent) -> None:
    pid = find_claude_pid()
    record = events.make_record(
        errors.now_iso(),
        event.name,
        event.session_id,
        event.cwd,
        event.transcript_path,
        event.payload,
        pid,
        os.environ.get("TMUX_PANE") or None,
        tmux_socket=os.environ.get("TMUX", "").split(",")[0] or None,
        compact_env=None if event.name in _TOOL_EVENTS else compact_env(event.name, pid, event.cwd),
    )
    if event.name == "StopFailure":
        # The kind the transcript gives the failure (the engine's reading of it), so
        # every view names it alike: StopFailure says "unknown" for a cut stream.
        from cc_guard.transcripts.tail import stop_failure_kind

        try:
            record["kind"] = stop_failure_kind(
                event.transcript_path,
                event.payload.get("error"),
                event.payload.get("last_assistant_message"),
            )
        except Exception as exc:  # the event itself must still be logged
            log_error(event.name, f"failure kind not read: {type(exc).__name__}: {exc}")
    events.append(state_root(), record)


#: Called for every tool call: they log no more than the session's other events do.
_TOOL_EVENTS = frozenset({"PreToolUse", "PostToolUse"})


#: The events that read the ``autoCompactEnabled`` setting again (``/config`` changes it
#: mid-session): a session's start, and each turn's start and end.
SETTING_EVENTS = frozenset({"SessionStart", "UserPromptSubmit", "Stop"})


def compact_env(event_name: str, pid: int | None, cwd: str = "") -> dict[str, str]:
    """The session's auto-compaction settings: its environment (this hook inherits
    Claude Code's), ``--autocompact`` (read once per process, at SessionStart) and the
    ``autoCompactEnabled`` setting (on :data:`SETTING_EVENTS`). Not logged on tool
    calls (the turn's other events carry it)."""
    from cc_guard.context import threshold

    env = threshold.session_env(os.environ)
    if event_name == "SessionStart":
        flag = option_value(process_argv(pid), threshold.FLAG_KEY)
        if flag:
            env[threshold.FLAG_KEY] = flag
    if event_name in SETTING_EVENTS:
        from cc_guard.base.claude import session_auto_compact_setting

        setting = session_auto_compact_setting(cwd)
        if setting is not None:
            env[threshold.SETTING_KEY] = "true" if setting else "false"
    return env


def log_error(event_name: str, message: str) -> None:
    """One line per problem. Never the payload: it can hold prompts, files, secrets."""
    errors.log(event_name, message)


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise HookDeadline()


def _deadline_seconds() -> float:
    try:
        return max(0.1, float(os.environ.get(DEADLINE_ENV, DEFAULT_DEADLINE)))
    except ValueError:
        return DEFAULT_DEADLINE
