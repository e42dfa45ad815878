"""Live sessions: real inotify events (watchdog) on real files drive engine refreshes."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import time
from pathlib import Path

from cc_guard.transcripts.engine import Engine
from cc_guard.transcripts.model import SessionModel, SessionState
from cc_guard.transcripts.watch import SessionWatcher
from tests.support.transcripts import append, assistant, prompt, session_path, write


def _next(
    q: queue.Queue[list[SessionModel]], want: object, timeout: float = 15
) -> list[SessionModel]:
    """The first refresh for which ``want(models)`` holds (earlier ones are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "the watcher never reported the change"
        models = q.get(timeout=left)
        if want(models):  # type: ignore[operator]
            return models


def test_watcher_reports_appends_and_new_sessions(isolated_env: dict[str, Path]) -> None:
    claude = isolated_env["claude"]
    first = write(session_path(claude, "w-one"), prompt("hello"), assistant("hi"))
    seen: queue.Queue[list[SessionModel]] = queue.Queue()
    engine = Engine(claude, isolated_env["state"])
    with SessionWatcher(engine, seen.put, debounce=0.05, brief=False):
        initial = _next(seen, lambda m: len(m) == 1)
        assert initial[0].last_assistant_text == "hi"
        # Claude Code appends a turn: the watcher picks it up without being asked.
        append(
            first,
            prompt("next?", ts="2026-01-01T10:01:00.000Z"),
            assistant("the next answer", ts="2026-01-01T10:01:02.000Z", msg_id="msg_2"),
        )
        models = _next(seen, lambda m: m[0].last_assistant_text == "the next answer")
        assert [p.text for p in models[0].prompts] == ["hello", "next?"]
        # A new session appears in a project directory that did not exist before.
        write(session_path(claude, "w-two", "-home-dev-other"), prompt("second session"))
        models = _next(seen, lambda m: len(m) == 2)
        assert {m.session_id for m in models} == {"w-one", "w-two"}


def test_watcher_sees_hook_events(isolated_env: dict[str, Path]) -> None:
    claude, state = isolated_env["claude"], isolated_env["state"]
    write(session_path(claude, "w-end"), prompt("go"), assistant("done"), mtime=1_600_000_000)
    seen: queue.Queue[list[SessionModel]] = queue.Queue()
    with SessionWatcher(Engine(claude, state), seen.put, debounce=0.05):
        _next(seen, lambda m: len(m) == 1)
        state.mkdir(parents=True, exist_ok=True)
        with open(state / "events.jsonl", "a") as fh:
            fh.write(
                json.dumps(
                    {
                        "time": "2026-01-01T10:00:05Z",
                        "event": "SessionEnd",
                        "session_id": "w-end",
                        "reason": "other",
                    }
                )
                + "\n"
            )
        models = _next(seen, lambda m: m[0].state is SessionState.ENDED)
        assert models[0].state_reason == "SessionEnd (other)"


def test_sessions_watch_json_streams_a_line_per_change(isolated_env: dict[str, Path]) -> None:
    claude = isolated_env["claude"]
    path = write(session_path(claude, "w-cli"), prompt("hello"), assistant("hi"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cc_guard", "sessions", "--watch", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert [s["session_id"] for s in first["sessions"]] == ["w-cli"]
        assert first["sessions"][0]["turns"] == 1
        append(path, prompt("again", ts="2026-01-01T10:01:00.000Z"))
        second = json.loads(proc.stdout.readline())
        assert second["sessions"][0]["turns"] == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)
