"""The hook entry: read Claude Code's JSON, log the event, run handlers, exit 0.

This runs inside Claude Code's loop many times a minute, so it imports only the
standard library and cc_guard.base.paths at module level; handlers are imported lazily
from the table below. It never blocks the agent: whatever goes wrong (garbage on
stdin, an unknown event, a crashing handler, a deadline) is logged to
``<state_dir>/hook-errors.log`` and the exit code is still 0.
"""

from __future__ import annotations

import os
import select
import sys
import time

from cc_guard.base import fastjson
from cc_guard.base.fastpaths import append_line, state_dir
from cc_guard.base.hookio import HookEvent, HookOutput

# Imports are kept to the few modules above (measured with ``python -X importtime``):
# typing, datetime, contextlib, dataclasses, pathlib, tempfile and even json (its
# regexes; fastjson calls the same C code) would each add milliseconds to every
# hook call, so they are avoided or deferred.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any

# signal.py wraps the C module's numbers in enums (it imports enum: ~1-3 ms when the
# console script has not loaded re, which imports it too); the numbers are all we use.
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
    ],
    "StopFailure": [
        "cc_guard.runtime.handlers.checkpoint:on_lifecycle",
        "cc_guard.runtime.handlers.handoff:on_stop_failure",
    ],
    "PreCompact": [
        "cc_guard.runtime.handlers.checkpoint:on_lifecycle",
        "cc_guard.runtime.handlers.handoff:on_snapshot_event",
    ],
    "SessionEnd": [
        "cc_guard.runtime.handlers.checkpoint:on_lifecycle",
        "cc_guard.runtime.handlers.handoff:on_snapshot_event",
    ],
    "SessionStart": ["cc_guard.runtime.handlers.handoff:on_session_start"],
    "PostCompact": [],
    "SubagentStop": [],
    "Notification": [],
}

#: Events whose hookSpecificOutput.additionalContext Claude Code injects.
_CONTEXT_EVENTS = frozenset({"SessionStart", "UserPromptSubmit", "PostToolUse"})
#: Small payload fields copied into the event log (never prompts or tool output).
_EXTRAS = ("tool_name", "error", "reason", "trigger", "source")

MAX_STDIN_BYTES = 32 * 1024 * 1024
STDIN_SECONDS = 2.0
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
    event = HookEvent(
        name=name,
        payload=payload,
        session_id=_str(payload.get("session_id")),
        cwd=_str(payload.get("cwd")) or os.getcwd(),
        transcript_path=_str(payload.get("transcript_path")),
    )
    try:
        log_event(event)
    except OSError as exc:  # a full or read-only state dir: the handlers may still work
        log_error(name, f"event log not written: {type(exc).__name__}: {exc}")
    if name not in HANDLERS:
        log_error(name, "unknown hook event")
        return
    outputs: list[HookOutput] = []
    for spec in HANDLERS[name]:
        try:
            result = _load(spec)(event)
        except Exception as exc:
            log_error(name, f"{spec}: {type(exc).__name__}: {exc}")
            continue
        if isinstance(result, HookOutput):
            outputs.append(result)
    _print_output(name, outputs)


def _load(spec: str) -> Any:
    import importlib

    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def _print_output(name: str, outputs: list[HookOutput]) -> None:
    context = "\n\n".join(o.additional_context for o in outputs if o.additional_context)
    message = "\n".join(o.system_message for o in outputs if o.system_message)
    doc: dict[str, Any] = {}
    if context and name in _CONTEXT_EVENTS:
        doc["hookSpecificOutput"] = {"hookEventName": name, "additionalContext": context}
    if message:
        doc["systemMessage"] = message
    if doc:
        sys.stdout.write(fastjson.dumps(doc) + "\n")
        sys.stdout.flush()


def read_stdin(fd: int, limit: int = MAX_STDIN_BYTES, seconds: float = STDIN_SECONDS) -> bytes:
    """Read until EOF, at most ``limit`` bytes and ``seconds`` of waiting.

    Claude Code closes stdin after writing the payload; a terminal or a writer that
    never closes must not hang the hook.
    """
    if os.isatty(fd):
        return b""
    chunks: list[bytes] = []
    size = 0
    end = time.monotonic() + seconds
    while size < limit:
        remaining = end - time.monotonic()
        if remaining <= 0:
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            break
        chunk = os.read(fd, min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def log_event(event: HookEvent) -> None:
    record: dict[str, Any] = {
        "time": _now(),
        "event": event.name,
        "session_id": event.session_id,
        "cwd": event.cwd,
        "transcript_path": event.transcript_path,
        "claude_pid": find_claude_pid(),
    }
    for key in _EXTRAS:
        value = event.payload.get(key)
        if isinstance(value, str | int | float | bool):
            record[key] = value
    append_line(os.path.join(state_dir(), "events.jsonl"), fastjson.dumps(record))


def log_error(event_name: str, message: str) -> None:
    """One line per problem. Never the payload: it can hold prompts, files, secrets."""
    try:
        line = f"{_now()} {event_name or '?'} {message}".replace("\n", " ")[:500]
        append_line(os.path.join(state_dir(), "hook-errors.log"), line)
    except Exception:
        # The state dir is not writable (read-only, full): stderr is all that is left.
        # Claude Code does not act on a hook's stderr when it exits 0.
        try:  # noqa: SIM105 - contextlib is not imported on the hook path
            sys.stderr.write(f"cc-guard hook: {message[:200]} (log not writable)\n")
        except Exception:
            pass  # the hook still exits 0


def find_claude_pid(start: int | None = None, max_depth: int = 10) -> int | None:
    """The Claude Code process above us: hooks run as ``sh -c`` children of it."""
    pid = os.getppid() if start is None else start
    for _ in range(max_depth):
        if pid <= 1:
            return None
        if _looks_like_claude(pid):
            return pid
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            return None
        # Fields after the ")" that closes the command name: state, ppid, ...
        after = stat[stat.rfind(b")") + 2 :].split()
        if len(after) < 2:
            return None
        pid = int(after[1])
    return None


def _looks_like_claude(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/comm", "rb") as fh:
            if b"claude" in fh.read().lower():
                return True
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\0")[:2]
    except OSError:
        return False
    return any(b"claude" in os.path.basename(a).lower() for a in argv if a)


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise HookDeadline()


def _deadline_seconds() -> float:
    try:
        return max(0.1, float(os.environ.get(DEADLINE_ENV, DEFAULT_DEADLINE)))
    except ValueError:
        return DEFAULT_DEADLINE


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _now() -> str:
    """ISO 8601 UTC with milliseconds, like datetime's isoformat (without importing it)."""
    now = time.time()
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}+00:00"
    )
