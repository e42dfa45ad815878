"""Refreshing a stale ``sessions --json`` cache by redoing only the changed sessions
(cc_guard/transcripts/splice.py).

Every test changes one thing, lets the splice answer, and checks its output is
byte for byte what a full listing (no cache) prints, and that the splice did
answer (no silent fall-back). Changes it cannot judge must fall back instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cc_guard.entry import main
from cc_guard.views import cache as warm
from cc_guard.views import splice
from tests.test_transcripts_support import (
    append,
    assistant,
    prompt,
    session_path,
    usage,
    write,
)

OLD = 1_700_000_000.0
A = "aaaaaaaa-0000-4000-8000-00000000000a"
B = "bbbbbbbb-0000-4000-8000-00000000000b"
C = "cccccccc-0000-4000-8000-00000000000c"
D = "dddddddd-0000-4000-8000-00000000000d"  # same last activity as C: the tie order matters


@pytest.fixture
def claude(isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> Path:
    """Four idle sessions in three projects, listed once (the cache is stored)."""
    root = isolated_env["claude"]
    for sid, project, minute in [(A, "-p1", 1), (B, "-p2", 2), (C, "-p3", 3), (D, "-p1", 3)]:
        write(
            session_path(root, sid, project),
            prompt(f"task {sid[:4]}", ts=f"2026-01-01T10:0{minute}:00.000Z"),
            assistant(
                "Done.",
                ts=f"2026-01-01T10:0{minute}:05.000Z",
                use=usage(10, 0, 1000 * minute, 5),
                msg_id=f"msg_{sid[:4]}",
                request=f"req_{sid[:4]}",
            ),
            mtime=OLD,
        )
    assert main(["sessions", "--json"]) == 0
    capsys.readouterr()
    assert warm.serve()
    capsys.readouterr()
    return root


def _spliced(now: float | None = None) -> bytes | None:
    """What the splice answers for the current stale cache (None: it fell back)."""
    now = time.time() if now is None else now
    output, fp, stale = warm.lookup(now)
    assert output is None, "the cache still held: nothing was changed"
    assert stale is not None
    return splice.refresh(stale, fp, now)


def _full(state: Path, capsys: pytest.CaptureFixture[str]) -> bytes:
    """A listing without any cache."""
    (state / warm.CACHE_NAME).unlink()
    assert main(["sessions", "--json"]) == 0
    return capsys.readouterr().out.encode()


def _check(state: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    """The splice answers, stores what it printed, and equals a full listing."""
    spliced = _spliced()
    assert spliced is not None, "the splice fell back to a full listing"
    assert warm.serve()  # it stored its answer as the next cache
    assert capsys.readouterr().out.encode() == spliced
    assert _full(state, capsys) == spliced
    rows: list[dict[str, object]] = json.loads(spliced)["sessions"]
    return rows


def _row(rows: list[dict[str, object]], sid: str) -> dict[str, object]:
    return next(r for r in rows if r["session_id"] == sid)


def test_one_appended_session(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = session_path(claude, B, "-p2")
    append(path, prompt("more", ts="2026-01-01T10:09:00.000Z"))
    os.utime(path, (OLD + 5, OLD + 5))
    rows = _check(isolated_env["state"], capsys)
    assert [r["session_id"] for r in rows] == [B, C, D, A]  # B is newest now; C and D tie (by path)
    assert _row(rows, B)["turns"] == 2


def test_unchanged_rows_come_from_the_cache(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the changed session goes through the engine: a stored row that lies
    (A's project) survives a splice caused by B, and a full listing corrects it."""
    cache = isolated_env["state"] / warm.CACHE_NAME
    data = cache.read_bytes().replace(b"/home/dev/proj", b"/home/dev/LIE!")
    cache.write_bytes(data)
    path = session_path(claude, B, "-p2")
    append(path, prompt("more", ts="2026-01-01T10:09:00.000Z"))
    os.utime(path, (OLD + 5, OLD + 5))
    spliced = _spliced()
    assert spliced is not None
    rows = json.loads(spliced)["sessions"]
    assert _row(rows, A)["project_dir"] == "/home/dev/LIE!"
    assert _row(rows, B)["project_dir"] == "/home/dev/proj"
    assert b"LIE!" not in _full(isolated_env["state"], capsys)


def test_a_new_session_file(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    new = "eeeeeeee-0000-4000-8000-00000000000e"
    write(
        session_path(claude, new, "-p4"),
        prompt("new", ts="2026-01-01T10:08:00.000Z"),
        mtime=OLD,
    )
    rows = _check(isolated_env["state"], capsys)
    assert rows[0]["session_id"] == new
    assert len(rows) == 5


def test_a_deleted_session(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    session_path(claude, C, "-p3").unlink()
    rows = _check(isolated_env["state"], capsys)
    assert [r["session_id"] for r in rows] == [D, B, A]


def test_a_subagent_file_appears_and_grows(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sub = session_path(claude, A, "-p1").with_suffix("") / "subagents" / "agent-x1.jsonl"
    write(
        sub,
        assistant(
            "sub", ts="2026-01-01T10:07:00.000Z", msg_id="msg_s1", request="req_s1", side=True
        ),
        mtime=OLD,
    )
    rows = _check(isolated_env["state"], capsys)
    assert rows[0]["session_id"] == A  # its subagent's activity is the newest
    append(
        sub,
        assistant(
            "sub2", ts="2026-01-01T10:08:00.000Z", msg_id="msg_s2", request="req_s2", side=True
        ),
    )
    rows = _check(isolated_env["state"], capsys)
    assert rows[0]["last_activity"] == "2026-01-01T10:08:00.000Z"


def _event(state: Path, event: str, sid: str, **extra: object) -> None:
    state.mkdir(parents=True, exist_ok=True)
    record = {"time": "2026-01-01T10:30:00.000Z", "event": event, "session_id": sid, **extra}
    with open(state / "events.jsonl", "a") as fh:
        fh.write(json.dumps(record) + "\n")


def test_event_log_lines_for_one_session(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    state = isolated_env["state"]
    _event(state, "Stop", B)  # the log is new: a full listing (the engine may start over)
    assert _spliced() is None
    _full(state, capsys)
    _event(state, "SessionEnd", A, reason="other")  # the log grew by a line naming A
    rows = _check(state, capsys)
    assert _row(rows, A)["state"] == "ended"
    path = session_path(claude, C, "-p3")
    append(path, prompt("again", ts="2026-01-01T10:20:00.000Z"))  # C is mid-turn now
    os.utime(path, (OLD + 5, OLD + 5))
    _check(state, capsys)
    _event(state, "StopFailure", C, error="overloaded")  # the log grew
    rows = _check(state, capsys)
    assert (_row(rows, C)["state"], _row(rows, C)["state_reason"]) == (
        "interrupted",
        "StopFailure (overloaded)",
    )
    assert _row(rows, A)["state"] == "ended"
    _event(state, "SessionStart", A)  # resumed: alive again
    rows = _check(state, capsys)
    assert _row(rows, A)["state"] == "idle"
    _event(state, "Stop", "ffffffff-0000-4000-8000-00000000000f")  # a session with no transcript
    _check(state, capsys)


def test_an_event_log_that_was_rewritten_falls_back(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    state = isolated_env["state"]
    _event(state, "SessionEnd", A)
    _full(state, capsys)
    _event(state, "SessionEnd", B)
    _check(state, capsys)
    log = state / "events.jsonl"
    log.write_text(log.read_text().splitlines()[0] + "\n")  # shorter: not an append
    assert _spliced() is None
    assert main(["sessions", "--json"]) == 0
    printed = capsys.readouterr().out.encode()
    assert printed == _full(state, capsys)


def test_a_statusline_feed_change(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    feed = isolated_env["state"] / "statusline" / f"{B}.json"
    feed.parent.mkdir(parents=True)
    feed.write_text(json.dumps({"session_id": B, "context_window_size": 400_000}))
    rows = _check(isolated_env["state"], capsys)
    assert (_row(rows, B)["context_source"], _row(rows, B)["context_window"]) == (
        "statusline",
        400_000,
    )
    feed.unlink()
    rows = _check(isolated_env["state"], capsys)
    assert _row(rows, B)["context_source"] == "transcript"


def test_a_clock_based_state_flip(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A session written to just under a minute ago turns from running to idle
    on the clock alone: the splice redoes it although no file changed."""
    path = session_path(claude, B, "-p2")
    written = time.time() - 58.5
    os.utime(path, (written, written))
    rows = _check(isolated_env["state"], capsys)
    assert _row(rows, B)["state"] == "running"
    time.sleep(max(0.0, written + 60.2 - time.time()))
    rows = _check(isolated_env["state"], capsys)
    assert _row(rows, B)["state"] == "idle"


def test_a_watched_pid_that_dies(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Mid-turn for long: running while the Claude Code pid lives, interrupted after."""
    path = session_path(claude, C, "-p3")
    append(path, prompt("again", ts="2026-01-01T10:20:00.000Z"))
    os.utime(path, (OLD + 5, OLD + 5))
    _event(isolated_env["state"], "Stop", A)  # the log exists (its creation is a full listing)
    _full(isolated_env["state"], capsys)
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        _event(isolated_env["state"], "UserPromptSubmit", C, claude_pid=sleeper.pid)
        rows = _check(isolated_env["state"], capsys)
        assert _row(rows, C)["state"] == "running"
    finally:
        sleeper.kill()
        sleeper.wait()
    rows = _check(isolated_env["state"], capsys)
    assert _row(rows, C)["state"] == "interrupted"


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: b"garbage\n" + blob,
        lambda blob: blob.replace(b"\0", b"", 1),
        lambda blob: blob.replace(b"\0inf\0", b"\0not-a-float\0", 1),
    ],
)
def test_a_corrupted_cache_falls_back_safely(
    claude: Path,
    isolated_env: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    damage: object,
) -> None:
    cache = isolated_env["state"] / warm.CACHE_NAME
    entry = warm.decode_all(cache.read_bytes())
    assert entry is not None
    output, fp, computed_at, valid_until, pids, blob = entry
    assert callable(damage)
    bad = damage(blob)
    assert bad != blob
    cache.write_bytes(warm.encode(output, fp, computed_at, valid_until, pids, bad))
    append(session_path(claude, B, "-p2"), prompt("more", ts="2026-01-01T10:09:00.000Z"))
    assert _spliced() is None
    assert main(["sessions", "--json"]) == 0
    printed = capsys.readouterr().out.encode()
    assert printed == _full(isolated_env["state"], capsys)


def test_a_truncated_cache_falls_back_safely(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cache = isolated_env["state"] / warm.CACHE_NAME
    good = cache.read_bytes()
    append(session_path(claude, B, "-p2"), prompt("more", ts="2026-01-01T10:09:00.000Z"))
    for damaged in (good[: len(good) // 2], good[:60], b""):
        cache.write_bytes(damaged)
        assert main(["sessions", "--json"]) == 0
        printed = capsys.readouterr().out.encode()
        assert printed == _full(isolated_env["state"], capsys)


def test_changes_it_cannot_judge_fall_back(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = isolated_env["config"]
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[context]\nwindows = { "claude-opus-5-5" = 300000 }\n')
    assert _spliced() is None  # the config sizes every session's window
    assert main(["sessions", "--json"]) == 0
    assert capsys.readouterr().out.encode() == _full(isolated_env["state"], capsys)
    # An old-style subagent file beside the sessions belongs to whichever session it names.
    agent = claude / "projects" / "-p1" / "agent-old.jsonl"
    write(
        agent,
        assistant("sub", ts="2026-01-01T10:07:00.000Z", msg_id="msg_o", request="req_o"),
        mtime=OLD,
    )
    assert _spliced() is None
    assert main(["sessions", "--json"]) == 0
    assert capsys.readouterr().out.encode() == _full(isolated_env["state"], capsys)
    # ... and while it is there, its session's row depends on it: no splice either.
    path = session_path(claude, A, "-p1")
    append(path, prompt("more", ts="2026-01-01T10:09:00.000Z"))
    assert _spliced() is None
    agent.unlink()  # gone again: the session it was attached to changes
    assert _spliced() is None
    assert main(["sessions", "--json"]) == 0
    assert capsys.readouterr().out.encode() == _full(isolated_env["state"], capsys)


def test_the_console_script_splices(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """``cc-guard sessions --json`` after a one-line append prints the full listing's bytes."""
    path = session_path(claude, D, "-p1")
    append(path, prompt("more", ts="2026-01-01T10:09:00.000Z"))
    os.utime(path, (OLD + 5, OLD + 5))
    done = subprocess.run(
        [sys.executable, "-m", "cc_guard", "sessions", "--json"],
        capture_output=True,
        check=True,
    )
    assert done.stdout == _full(isolated_env["state"], capsys)


def test_a_redone_session_keeps_its_place_among_ties(
    claude: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """C and D have the same last activity; C sorts first (by path) even when it
    is the one redone (its file touched, its records unchanged)."""
    path = session_path(claude, C, "-p3")
    os.utime(path, (OLD + 5, OLD + 5))
    rows = _check(isolated_env["state"], capsys)
    assert [r["session_id"] for r in rows] == [C, D, B, A]
