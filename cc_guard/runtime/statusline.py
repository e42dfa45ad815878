"""``cc-guard statusline``: Claude Code's statusLine command.

Claude Code runs it after each assistant message with JSON on stdin that holds
the one thing no hook input carries: the exact context window and its fill. This
records that (``<state_dir>/statusline/<session_id>.json``, the feed the
transcripts engine reads) and prints one short line: context fill and how far it
is from Claude Code's auto-compaction (its footer's "N% until auto-compact", with
``(!)`` past a warning threshold), what cc-guard's compaction policy says (compact
now, compacting, a failed compaction, a stuck session), the session's newest
checkpoint, upstream state.

With ``--wrap '<command>'`` it records the same data, then runs the user's own
statusLine command (through the shell, as Claude Code would: it is the user's
configured string, not hook input) with the same stdin and passes its output and
exit code through, so their line keeps working.

Hot path (it runs every few seconds while Claude works): standard library only,
no click, config read only when the fill is high enough to need its threshold.
Never fails: anything unexpected gives a neutral line and exit 0.
"""

from __future__ import annotations

import os
import sys
import time

from cc_guard.base import fastjson
from cc_guard.base.claude import table_window, valid_session_id
from cc_guard.base.fs import read_stdin
from cc_guard.base.paths import state_root
from cc_guard.context import threshold
from cc_guard.state import compaction, events, feeds

# Not ``from typing import ...``: typing is a heavy import and this runs every few
# seconds. mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

NEUTRAL = "cc-guard"
#: Only this much of the end of events.jsonl is read to find the last upstream incident.
EVENTS_TAIL_BYTES = 64 * 1024
#: The sha length every view shows (cc_guard.views.fmt.SHA_CHARS, not imported here).
SHA_CHARS = 10
#: Below this fill the config's warn_percent is not read (it defaults to 80).
CONFIG_FLOOR_PERCENT = 50.0
#: Below this share of the auto-compact point ``[compact]`` is not read (its warning
#: threshold defaults to 70).
COMPACT_FLOOR_PERCENT = 25.0


def _tokens(n: float) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g}M"
    if n >= 1000:
        return f"{n / 1000:.0f}k"
    return f"{n:.0f}"


def last_incident(session_id: str, state: str) -> str | None:
    """The session's upstream failure, if its most recent turn ended in one; a stuck
    session (the prompt is too long and compaction failed) says how to get out."""
    for event in reversed(events.tail(state, session_id, EVENTS_TAIL_BYTES)):
        name = event.get("event")
        if name == "StopFailure" and not event.get("agent_id"):
            # (A compaction's own request failing carries agent_id: the turn went on.)
            if event.get("too_long") is True:
                return f"STUCK (prompt too long): cc-guard resume --mode fresh {session_id[:8]}"
            # The kind the hook read from the transcript (what sessions and status say);
            # Claude Code's own name ("server_error" for a 529) only when there is none.
            kind = event.get("kind") or event.get("error") or "error"
            return f"upstream {kind}{_ago(event.get('time'))}"
        if name in ("Stop", "UserPromptSubmit", "SessionStart", "PostToolUse"):
            return None
    return None


def _ago(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    try:
        from datetime import datetime

        stamp = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return ""
    return _since(stamp)


def _since(stamp: float) -> str:
    seconds = time.time() - stamp
    if seconds < 90:
        return " just now"
    if seconds < 5400:
        return f" {seconds / 60:.0f}m ago"
    return f" {seconds / 3600:.0f}h ago"


def _warn_percent(cwd: Any) -> float:
    from cc_guard.config import context_config

    return context_config(cwd if isinstance(cwd, str) and cwd else None).warn_percent


def _compact_config(cwd: Any) -> Any:
    from cc_guard.config import compact_config

    return compact_config(cwd if isinstance(cwd, str) and cwd else None)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def compact_state(session_id: str, state: str) -> dict[str, Any]:
    """What cc-guard's compaction policy recorded for the session ({} when nothing)."""
    return compaction.read(state, session_id)


def until_part(record: dict[str, Any], data: dict[str, Any]) -> tuple[str | None, bool]:
    """(``N% until auto-compact`` or why there is none, past a warning threshold)."""
    size = record.get("context_window_size")
    usage = record.get("current_usage")
    if not isinstance(usage, dict) or not usage:
        return None, False
    fill = (
        _int(usage.get("input_tokens"))
        + _int(usage.get("cache_creation_input_tokens"))
        + _int(usage.get("cache_read_input_tokens"))
    )
    total = fill + _int(usage.get("output_tokens"))
    if total <= 0:
        return None, False  # startup, or right after a compaction (Claude Code reports 0)
    model = record.get("model_id") if isinstance(record.get("model_id"), str) else None
    window = int(size) if isinstance(size, int | float) and size > 0 else table_window(model, fill)
    env = threshold.stored_env(os.environ, data)
    auto = threshold.auto_compact(window, model, env)
    warned = False
    if auto.point > 0 and 100.0 * total / auto.point >= COMPACT_FLOOR_PERCENT:
        config = _compact_config(record.get("cwd"))
        if config.auto_compact_tokens:
            auto = threshold.auto_compact(window, model, env, config.auto_compact_tokens)
        warned = 100.0 * total / auto.point >= min(config.warn_percent, config.auto_percent)
    text = threshold.until_text(total, auto)
    turns = data.get("turns")
    if auto.proactive and isinstance(turns, list) and total < auto.threshold:
        from cc_guard.context import pace

        left = pace.turns_until(
            total, auto.threshold, pace.tokens_per_turn([n for n in turns if isinstance(n, int)])
        )
        if left is not None:
            text += f", ~{left} turn{'s' if left != 1 else ''}"
    return text, warned


def notice_parts(data: dict[str, Any]) -> list[str]:
    """The compaction policy's words for the line: compact now or compacting, and a
    failed last compaction (until one succeeds)."""
    parts: list[str] = []
    notice = data.get("notice")
    if isinstance(notice, dict):
        action = notice.get("action")
        text = notice.get("text")
        if action == "notify" and isinstance(text, str) and text:
            parts.append(text)
        elif action == "compacting":
            parts.append("compacting...")
    outcome = data.get("outcome")
    if isinstance(outcome, dict) and outcome.get("ok") is False:
        error = str(outcome.get("error") or "unknown error")
        parts.append(f"compaction failed: {error[:60]}")
    return parts


def last_checkpoint(session_id: str, state: str) -> str | None:
    """``ckpt <sha> <age>`` for the session's newest checkpoint, read without running git.

    The checkpoints code keeps one directory per repository under ``<state>/checkpoints``
    holding ``repo.txt`` (the common git dir) and a ``<session>.lock`` per session that
    checkpointed there; the session's ref ``refs/cc-guard/<session>`` is a loose ref
    that only moves when a checkpoint is made, so its mtime is the checkpoint's time.
    A packed ref falls back to the ``<session>.*.index.tip`` cache beside the index.
    While ``<session>.behind`` exists there (cc_guard.checkpoints.progress writes
    it), checkpoints are behind the work tree: the line says so.
    tests/test_statusline.py checks this against real checkpoints.
    """
    if not valid_session_id(session_id):
        return None
    root = os.path.join(state, "checkpoints")
    try:
        repos = os.listdir(root)
    except OSError:
        return None
    best: tuple[float, str] | None = None
    behind: str | None = None
    for key in repos:
        directory = os.path.join(root, key)
        if not os.path.exists(os.path.join(directory, f"{session_id}.lock")):
            continue
        found = _ref_tip(directory, session_id) or _cached_tip(directory, session_id)
        if found is not None and (best is None or found[0] > best[0]):
            best = found
        behind = behind or _behind(directory, session_id)
    if best is None:
        return f"ckpt {behind}" if behind else None
    return f"ckpt {best[1][:SHA_CHARS]}{_since(best[0])}" + (f" ({behind})" if behind else "")


def _behind(directory: str, session_id: str) -> str | None:
    """``behind: 12 files`` while the session's checkpoints are behind its work tree."""
    try:
        with open(os.path.join(directory, session_id + ".behind"), "rb") as fh:
            record = fastjson.loads(fh.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError):
        return "behind"
    files = record.get("files") if isinstance(record, dict) else None
    if isinstance(files, int) and not isinstance(files, bool) and files > 0:
        return f"behind: {files} file" + ("" if files == 1 else "s")
    return "behind"


def _ref_tip(directory: str, session_id: str) -> tuple[float, str] | None:
    try:
        with open(os.path.join(directory, "repo.txt"), encoding="utf-8") as fh:
            common = fh.read().strip()
        ref = os.path.join(common, "refs", "cc-guard", session_id)
        with open(ref, encoding="ascii") as fh:
            sha = fh.read().strip()
        return os.stat(ref).st_mtime, sha
    except (OSError, ValueError):
        return None


def _cached_tip(directory: str, session_id: str) -> tuple[float, str] | None:
    best: tuple[float, str] | None = None
    try:
        names = os.listdir(directory)
    except OSError:
        return None
    for name in names:
        if not (name.startswith(session_id + ".") and name.endswith(".index.tip")):
            continue
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="ascii") as fh:
                sha = fh.read().split()[0]
            found = (os.stat(path).st_mtime, sha)
        except (OSError, ValueError, IndexError):
            continue
        if best is None or found[0] > best[0]:
            best = found
    return best


def render(
    record: dict[str, Any],
    incident: str | None,
    checkpoint: str | None = None,
    problems: str | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    data = data or {}
    parts = [NEUTRAL]
    used = record.get("used_percentage")
    size = record.get("context_window_size")
    if isinstance(used, int | float):
        text = f"ctx {used:.0f}%"
        if isinstance(size, int | float) and size > 0:
            text += f" of {_tokens(size)}"
        until, warned = until_part(record, data)
        if until is not None:
            text += f" · {until}"
        if warned or (used >= CONFIG_FLOOR_PERCENT and used >= _warn_percent(record.get("cwd"))):
            text += " (!)"
        parts.append(text)
    elif isinstance(size, int | float) and size > 0:
        parts.append(f"ctx - of {_tokens(size)}")
    parts += notice_parts(data)
    if checkpoint is not None:
        parts.append(checkpoint)
    parts.append(incident or "upstream ok")
    if problems is not None:
        parts.append(problems)  # cc-guard itself is failing: `cc-guard status` says how
    return " | ".join(parts)


def record_payload(raw: bytes) -> dict[str, Any] | None:
    """Parse and store one payload; None when it is not a JSON object."""
    try:
        payload = fastjson.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    record = feeds.make_record(payload)
    try:  # noqa: SIM105 - contextlib is one more import on the hot path
        feeds.write(state_root(), record)
    except OSError:
        pass  # the line still shows; the engine falls back to its own estimate
    return record


def line_for(record: dict[str, Any] | None) -> str:
    if record is None:
        return NEUTRAL
    incident = checkpoint = None
    data: dict[str, Any] = {}
    state = state_root()
    session_id = record.get("session_id")
    if valid_session_id(session_id):
        incident = last_incident(session_id, state)
        checkpoint = last_checkpoint(session_id, state)
        data = compact_state(session_id, state)
    return render(record, incident, checkpoint, _problems(state), data)


#: cc_guard.state.errors.FILE: looked at before that module is loaded (it rarely matters).
_ERRORS_FILE = "hook-errors.log"


def _problems(state: str) -> str | None:
    """The marker for cc-guard's own recent problems (cc_guard.state.errors.failing)."""
    try:
        if os.stat(os.path.join(state, _ERRORS_FILE)).st_mtime < time.time() - 3600:
            return None
    except OSError:
        return None  # no problem ever logged: the usual case, and no import for it
    from cc_guard.state import errors

    found = errors.failing(state)
    return found.marker() if found is not None else None


def main(argv: list[str]) -> int:
    # The hook's bounds: a writer that never closes the pipe or never stops writing
    # must not hold Claude Code's status line (or its memory).
    raw = read_stdin(sys.stdin.fileno()) if sys.stdin is not None else b""
    wrapped = argv[1] if len(argv) >= 2 and argv[0] == "--wrap" else None
    try:
        record = record_payload(raw)
        line = line_for(record) if wrapped is None else NEUTRAL
    except Exception:  # a statusline must never show a traceback
        line = NEUTRAL
    if wrapped is not None:
        import subprocess

        try:
            return subprocess.run(wrapped, shell=True, input=raw, check=False).returncode
        except OSError:
            return 1
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (AttributeError, OSError, ValueError):  # stdout closed (None) or gone
        pass
    return 0
