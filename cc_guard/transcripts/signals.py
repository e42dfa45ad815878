"""Signals beside the transcript: hook events, the statusline feed, window sizes.

- The hook event log (``<state_dir>/events.jsonl``, one line per hook call)
  tells us a session ended (SessionEnd) or a turn failed (StopFailure), and the
  Claude Code pid.
- The statusline feed (``<state_dir>/statusline/<session_id>.json``) carries the
  exact context window Claude Code uses.
- The config's ``[context] windows`` table overrides the built-in model table.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

# typing stays unimported at run time: it costs more than the rest of a
# cached listing's refresh (see splice.py); mypy reads the names below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from _typeshed import StrPath

DEFAULT_WINDOW = 200_000
ONE_MILLION = 1_000_000
#: Model id prefix -> context window. ``claude-opus-5-5`` reports 1,000,000 in
#: Claude Code 2.1.328 (seen); the Claude 3/4 families have 200k unless the 1M
#: variant is selected, which Claude Code marks with a ``[1m]`` suffix.
MODEL_WINDOWS: tuple[tuple[str, int], ...] = (
    ("claude-opus-5", ONE_MILLION),
    ("claude-sonnet-5", ONE_MILLION),
    ("claude-opus-4", DEFAULT_WINDOW),
    ("claude-sonnet-4", DEFAULT_WINDOW),
    ("claude-haiku-4", DEFAULT_WINDOW),
    ("claude-3", DEFAULT_WINDOW),
)


def table_window(model: str | None, context_tokens: int | None = None) -> int:
    """The window for ``model`` from the built-in table (200k when unknown).

    A context fill above the table's window proves a bigger one (a 1M variant
    the model id does not show), so the answer is raised to 1M then.
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


def config_windows() -> dict[str, int]:
    """``[context] windows`` from cc-guard's config, or {} without one.

    Imported by name and read defensively: a broken config file must not stop
    ``cc-guard sessions`` (``cc-guard config`` is where it gets reported).
    """
    # warm's copy of cc_guard.base.paths.config_file: that module imports tempfile.
    from cc_guard.views.cache import config_file

    try:
        if not os.path.lexists(config_file()):
            return {}  # no file: the defaults have no windows (and config stays unimported)
        config = importlib.import_module("cc_guard.config")
        windows = config.load_config().context.windows
    except Exception:
        return {}
    if not isinstance(windows, Mapping):
        return {}
    return {str(k): v for k, v in windows.items() if isinstance(v, int) and v > 0}


def statusline_feed(state_dir: StrPath) -> dict[str, dict[str, Any]]:
    """session id -> the last statusline payload cc-guard stored for it."""
    directory = os.path.join(state_dir, "statusline")
    feeds: dict[str, dict[str, Any]] = {}
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return feeds
    for entry in entries:
        if not entry.name.endswith(".json"):
            continue
        try:
            with open(entry.path, "rb") as fh:
                data = json.loads(fh.read())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            feeds[entry.name[: -len(".json")]] = data
    return feeds


def epoch(ts: str | None) -> float | None:
    """Seconds since the epoch for an ISO 8601 time (``Z`` or offset), None if unreadable."""
    if not ts:
        return None
    try:
        parsed = datetime.fromisoformat(ts.replace("Z", "+00:00") if ts.endswith("Z") else ts)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


@dataclass
class SessionEvents:
    """What the hook event log says about one session."""

    last_event: str | None = None
    last_time: str | None = None
    ended_at: str | None = None
    end_reason: str | None = None
    stop_failure_at: str | None = None
    stop_failure_error: str | None = None
    claude_pid: int | None = None
    compact_at: str | None = None

    def add(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        time = event.get("time")
        if not isinstance(name, str) or not isinstance(time, str):
            return
        self.last_event, self.last_time = name, time
        pid = event.get("claude_pid")
        if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0:
            self.claude_pid = pid
        if name == "SessionEnd":
            self.ended_at = time
            reason = event.get("reason")
            self.end_reason = reason if isinstance(reason, str) else None
        elif name == "StopFailure":
            self.stop_failure_at = time
            error = event.get("error")
            self.stop_failure_error = error if isinstance(error, str) else None
        elif name == "SessionStart":
            # A resumed session is alive again.
            self.ended_at = None
            self.end_reason = None
        elif name == "PreCompact":
            self.compact_at = time


def events_to_json(events: dict[str, SessionEvents]) -> dict[str, Any]:
    return {sid: asdict(ev) for sid, ev in events.items()}


def events_from_json(data: Any) -> dict[str, SessionEvents]:
    if not isinstance(data, dict):
        return {}
    out: dict[str, SessionEvents] = {}
    for sid, fields in data.items():
        if isinstance(fields, dict):
            known = {k: v for k, v in fields.items() if k in SessionEvents.__dataclass_fields__}
            out[sid] = SessionEvents(**known)
    return out


def pid_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
