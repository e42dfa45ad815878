"""The answer script: a JSON list of entries answered in order.

Each request takes the first entry that is not used up and whose ``when`` matches
it. An entry is used up after ``repeat`` answers (default 1); the last entry never
is, so it answers every request that reaches the end. An entry whose ``when`` does
not match stays in place for later requests, which is how one script can fail
the primary model and still serve a fallback or a side request.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cc_guard.incidents import ERROR_TYPES as _ERROR_TYPES

#: Status faults the server can answer, with the Anthropic error type of each.
ERROR_TYPES = _ERROR_TYPES

STOP_REASONS = (
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
)
USAGE_KEYS = (
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
)
ENTRY_KEYS = (
    "text",
    "thinking",
    "tool_use",
    "usage",
    "stop_reason",
    "fault",
    "when",
    "repeat",
    "model",
)
WHEN_KEYS = ("model", "contains", "last", "system")
FAULT_KEYS = (
    "status",
    "message",
    "retry_after",
    "cut_after_events",
    "cut_mid_text",
    "reset",
    "stall_seconds",
    "drip_ms",
    "malformed",
    "empty_200",
    "sse_error",
)
# The kinds that decide what the answer is; drip_ms slows one down, reset changes how a cut ends.
EXCLUSIVE_FAULTS = (
    "status",
    "cut_after_events",
    "cut_mid_text",
    "stall_seconds",
    "malformed",
    "empty_200",
    "sse_error",
)


class ScriptError(ValueError):
    """A script that cannot be used; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class ToolCall:
    name: str
    input: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True)
class Fault:
    status: int | None = None
    message: str | None = None
    retry_after: float | None = None
    cut_after_events: int | None = None
    cut_mid_text: bool = False
    reset: bool = False
    stall_seconds: float | None = None
    drip_ms: int | None = None
    malformed: bool = False
    sse_error: str | None = None
    empty_200: bool = False

    def describe(self) -> dict[str, Any]:
        """The fault as logged: only the keys that are set."""
        out: dict[str, Any] = {}
        for key in FAULT_KEYS:
            value = getattr(self, key)
            if value not in (None, False):
                out[key] = value
        return out


@dataclass(frozen=True)
class Entry:
    index: int
    text: str | None = None
    thinking: str | None = None
    tool_use: tuple[ToolCall, ...] = ()
    usage: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None
    fault: Fault | None = None
    when_model: str | None = None
    when_contains: str | None = None
    when_last: str | None = None
    when_system: str | None = None
    repeat: int = 1
    model: str | None = None

    def matches(self, request: RequestView) -> bool:
        checks = (
            (self.when_model, request.model),
            (self.when_contains, request.messages_text),
            (self.when_last, request.last_text),
            (self.when_system, request.system_text),
        )
        return all(want is None or want in have for want, have in checks)


@dataclass(frozen=True)
class RequestView:
    """The parts of a request ``when`` looks at, as plain text.

    ``contains`` searches the conversation only: Claude Code's system prompt and
    tool descriptions are ~50 kB and mention nearly every word ("summary",
    "error", file names), so a body-wide search would match every request.
    """

    model: str = ""
    messages_text: str = ""
    last_text: str = ""
    system_text: str = ""

    @classmethod
    def of(cls, request: dict[str, Any]) -> RequestView:
        messages = request.get("messages")
        messages = messages if isinstance(messages, list) else []
        return cls(
            model=str(request.get("model") or ""),
            messages_text="\n".join(_strings(messages)),
            last_text="\n".join(_strings(messages[-1:])),
            system_text="\n".join(_strings(request.get("system"))),
        )


def _strings(value: Any) -> list[str]:
    """Every string inside a JSON value, in document order (texts, tool inputs, results)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [
            s
            for key, item in value.items()
            if key not in ("type", "cache_control")
            for s in _strings(item)
        ]
    return []


class Script:
    """Thread-safe cursor over the entries (requests arrive on several threads)."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._used = [0] * len(entries)
        self._lock = threading.Lock()

    def pick(self, request: RequestView, consume: bool = True) -> Entry | None:
        """The entry that answers this request (counted as used when ``consume``); None when none matches."""
        with self._lock:
            last = len(self.entries) - 1
            for i, entry in enumerate(self.entries):
                if i != last and self._used[i] >= entry.repeat:
                    continue
                if entry.matches(request):
                    if consume:
                        self._used[i] += 1
                    return entry
            return None


def load_script(path: Path) -> Script:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read the script ({exc.strerror or exc}).") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ScriptError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}).") from None
    return parse_script(data, str(path))


def parse_script(data: Any, source: str = "<script>") -> Script:
    if not isinstance(data, list):
        raise ScriptError(f"{source}: the script must be a JSON list of entries.")
    if not data:
        raise ScriptError(f"{source}: the script has no entries.")
    return Script([_parse_entry(item, i, source) for i, item in enumerate(data)])


def _parse_entry(item: Any, index: int, source: str) -> Entry:
    def fail(problem: str) -> ScriptError:
        return ScriptError(f"{source}: entry {index}: {problem}")

    if not isinstance(item, dict):
        raise fail("must be a JSON object.")
    unknown = sorted(set(item) - set(ENTRY_KEYS))
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (known: {', '.join(ENTRY_KEYS)}).")
    text = item.get("text")
    thinking = item.get("thinking")
    if thinking is not None and not isinstance(thinking, str):
        raise fail("'thinking' must be a string.")
    if text is not None and not isinstance(text, str):
        raise fail("'text' must be a string.")
    tools = _parse_tools(item.get("tool_use"), fail)
    fault = _parse_fault(item["fault"], fail) if "fault" in item else None
    if text is None and not tools and fault is None:
        raise fail("needs 'text', 'tool_use' or 'fault'.")
    if fault is not None and fault.status is not None and (text is not None or tools):
        raise fail("a status fault answers with an error body; drop 'text'/'tool_use'.")
    usage = item.get("usage", {})
    if not isinstance(usage, dict):
        raise fail("'usage' must be an object.")
    for key, value in usage.items():
        if key not in USAGE_KEYS:
            raise fail(f"unknown usage key {key!r} (known: {', '.join(USAGE_KEYS)}).")
        if not _is_int(value) or value < 0:
            raise fail(f"usage {key!r} must be a non-negative integer.")
    stop_reason = item.get("stop_reason")
    if stop_reason is not None and stop_reason not in STOP_REASONS:
        raise fail(f"'stop_reason' must be one of {', '.join(STOP_REASONS)}.")
    when = item.get("when", {})
    if "when" in item and (not isinstance(when, dict) or not when):
        raise fail(f"'when' must be an object with some of {', '.join(WHEN_KEYS)}.")
    for key, value in when.items():
        if key not in WHEN_KEYS:
            raise fail(f"unknown 'when' key {key!r} (known: {', '.join(WHEN_KEYS)}).")
        if not isinstance(value, str) or not value:
            raise fail(f"'when.{key}' must be a non-empty string.")
    repeat = item.get("repeat", 1)
    if not _is_int(repeat) or repeat < 1:
        raise fail("'repeat' must be an integer >= 1.")
    model = item.get("model")
    if model is not None and not isinstance(model, str):
        raise fail("'model' must be a string.")
    return Entry(
        index=index,
        text=text,
        thinking=thinking,
        tool_use=tools,
        usage=dict(usage),
        stop_reason=stop_reason,
        fault=fault,
        when_model=when.get("model"),
        when_contains=when.get("contains"),
        when_last=when.get("last"),
        when_system=when.get("system"),
        repeat=repeat,
        model=model,
    )


def _parse_tools(value: Any, fail: Any) -> tuple[ToolCall, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise fail('\'tool_use\' must be a non-empty list of {"name", "input"} objects.')
    calls = []
    for n, call in enumerate(value):
        if not isinstance(call, dict):
            raise fail(f"tool_use[{n}] must be an object.")
        extra = sorted(set(call) - {"name", "input", "id"})
        if extra:
            raise fail(f"tool_use[{n}]: unknown key {extra[0]!r} (known: name, input, id).")
        name, inp, call_id = call.get("name"), call.get("input", {}), call.get("id")
        if not isinstance(name, str) or not name:
            raise fail(f"tool_use[{n}] needs a 'name' string.")
        if not isinstance(inp, dict):
            raise fail(f"tool_use[{n}].input must be an object.")
        if call_id is not None and not isinstance(call_id, str):
            raise fail(f"tool_use[{n}].id must be a string.")
        calls.append(ToolCall(name=name, input=inp, id=call_id))
    return tuple(calls)


def _parse_fault(value: Any, fail: Any) -> Fault:
    if not isinstance(value, dict) or not value:
        raise fail("'fault' must be a non-empty object.")
    unknown = sorted(set(value) - set(FAULT_KEYS))
    if unknown:
        raise fail(f"unknown fault key {unknown[0]!r} (known: {', '.join(FAULT_KEYS)}).")
    if value.get("reset") and "cut_after_events" not in value and not value.get("cut_mid_text"):
        raise fail(
            "'reset' drops the connection at a cut: use it with cut_after_events or cut_mid_text."
        )
    kinds = [key for key in EXCLUSIVE_FAULTS if value.get(key) not in (None, False)]
    if len(kinds) > 1:
        raise fail(f"a fault has one kind; got {' and '.join(kinds)}.")
    if not kinds and "drip_ms" not in value:
        raise fail(f"a fault needs one of {', '.join((*EXCLUSIVE_FAULTS, 'drip_ms'))}.")
    status = value.get("status")
    if status is not None and (not _is_int(status) or status not in ERROR_TYPES):
        raise fail(f"fault status must be one of {', '.join(map(str, ERROR_TYPES))}.")
    message = value.get("message")
    if message is not None and not isinstance(message, str):
        raise fail("fault 'message' must be a string.")
    for key in ("retry_after", "stall_seconds"):
        number = value.get(key)
        if number is not None and (not _is_number(number) or number < 0):
            raise fail(f"fault {key!r} must be a non-negative number.")
    for key in ("cut_after_events", "drip_ms"):
        number = value.get(key)
        if number is not None and (not _is_int(number) or number < 0):
            raise fail(f"fault {key!r} must be a non-negative integer.")
    sse_error = value.get("sse_error")
    if sse_error is not None and sse_error not in set(ERROR_TYPES.values()):
        raise fail(
            f"fault 'sse_error' must be one of {', '.join(sorted(set(ERROR_TYPES.values())))}."
        )
    for key in ("cut_mid_text", "reset", "malformed", "empty_200"):
        if key in value and not isinstance(value[key], bool):
            raise fail(f"fault {key!r} must be true or false.")
    return Fault(
        status=status,
        message=message,
        retry_after=value.get("retry_after"),
        cut_after_events=value.get("cut_after_events"),
        cut_mid_text=bool(value.get("cut_mid_text", False)),
        reset=bool(value.get("reset", False)),
        stall_seconds=value.get("stall_seconds"),
        drip_ms=value.get("drip_ms"),
        malformed=bool(value.get("malformed", False)),
        sse_error=sse_error,
        empty_200=bool(value.get("empty_200", False)),
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
