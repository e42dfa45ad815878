"""The ``cc-guard sessions --json`` result cache (cc_guard/transcripts/warm.py).

A repeat run serves the stored output only while nothing it depends on changed:
transcripts, the hook event log, statusline feeds, the config, the clock-based
state judgement and the liveness of watched Claude Code pids.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cc_guard.entry import main
from cc_guard.state.events import SessionEvents
from cc_guard.transcripts.build import judge_state, judgement_valid_until
from cc_guard.transcripts.fold import Brief, Phase
from cc_guard.views import cache as warm
from tests.support.transcripts import (
    append,
    assistant,
    prompt,
    session_path,
    usage,
    write,
)

OLD = 1_700_000_000.0
SID = "33333333-cccc-4000-8000-000000000003"


@pytest.fixture
def one_session(isolated_env: dict[str, Path]) -> Path:
    return write(
        session_path(isolated_env["claude"], SID),
        prompt("fix the bug", ts="2026-01-01T10:00:00.000Z"),
        assistant("Fixed.", ts="2026-01-01T10:00:05.000Z", use=usage(10, 0, 89_990, 5)),
        mtime=OLD,
    )


def _cli(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    """Run ``cc-guard sessions --json`` as the console script does (cache first)."""
    assert main(["sessions", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["sessions"]
    assert len(rows) >= 1
    return dict(rows[0])


def _served(capsys: pytest.CaptureFixture[str], now: float | None = None) -> str | None:
    """The cached output if the cache still holds, else None."""
    output, _ = warm.lookup(now)
    return None if output is None else output.decode()


def test_repeat_run_prints_the_stored_output_byte_for_byte(
    one_session: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions", "--json"]) == 0
    first = capsys.readouterr().out
    assert _served(capsys) == first
    cache = isolated_env["state"] / warm.CACHE_NAME
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    # The real console entry serves it too, without the engine (the index is gone).
    (isolated_env["state"] / "index" / "transcripts.sqlite").unlink()
    done = subprocess.run(
        [sys.executable, "-m", "cc_guard", "sessions", "--json"],
        capture_output=True,
        check=True,
    )
    assert done.stdout.decode() == first
    assert not (isolated_env["state"] / "index" / "transcripts.sqlite").exists()


def test_without_click_the_output_is_the_clis(
    one_session: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """``sessions --json`` skips click on a hit and on a miss, printing what the CLI prints."""
    from cc_guard.cli import run

    assert run(["sessions", "--json"]) == 0
    through_click = capsys.readouterr().out
    cache = isolated_env["state"] / warm.CACHE_NAME
    code = (
        "import sys; from cc_guard.entry import main; rc = main(['sessions', '--json']);"
        "assert rc == 0; assert 'click' not in sys.modules, 'click was imported'"
    )

    def entry_output() -> str:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()

    index = isolated_env["state"] / "index" / "transcripts.sqlite"
    index.unlink()
    assert entry_output() == through_click  # a hit: the engine did not run
    assert not index.exists()
    cache.unlink()
    assert entry_output() == through_click  # a miss: listed through the engine
    assert index.exists() and cache.exists()


def test_a_missing_claude_dir_is_still_a_one_line_error(
    isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions", "--json"]) == 1
    assert "Claude Code directory not found" in capsys.readouterr().err


def test_an_appended_line_invalidates(
    one_session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys)["turns"] == 1
    append(one_session, prompt("and the other one", ts="2026-01-01T10:01:00.000Z"))
    os.utime(one_session, (OLD + 10, OLD + 10))
    assert _served(capsys) is None
    assert _cli(capsys)["turns"] == 2
    assert _served(capsys) is not None


def test_a_new_or_removed_transcript_invalidates(
    one_session: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys)
    other = write(
        session_path(isolated_env["claude"], "44444444-dddd-4000-8000-000000000004", "-other"),
        prompt("hi", ts="2026-01-03T10:00:00.000Z"),
        mtime=OLD,
    )
    assert _served(capsys) is None
    assert _cli(capsys)["session_id"] == other.stem
    other.unlink()
    assert _served(capsys) is None
    assert _cli(capsys)["session_id"] == SID


def test_a_subagent_transcript_invalidates(
    one_session: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys)
    sub = one_session.with_suffix("") / "subagents" / "agent-a1.jsonl"
    write(
        sub,
        assistant("sub", ts="2026-01-01T10:00:03.000Z", msg_id="msg_s", request="req_s"),
        mtime=OLD,
    )
    assert _served(capsys) is None
    _cli(capsys)
    assert _served(capsys) is not None


def test_the_hook_event_log_invalidates(
    one_session: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys)["state"] == "idle"
    with open(isolated_env["state"] / "events.jsonl", "a") as fh:
        fh.write(
            json.dumps(
                {"time": "2026-01-01T10:05:00.000Z", "event": "SessionEnd", "session_id": SID}
            )
            + "\n"
        )
    assert _served(capsys) is None
    assert _cli(capsys)["state"] == "ended"


def test_the_statusline_feed_invalidates(
    one_session: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys)["context_source"] == "transcript"
    feed = isolated_env["state"] / "statusline" / f"{SID}.json"
    feed.parent.mkdir(parents=True)
    feed.write_text(json.dumps({"session_id": SID, "context_window_size": 400_000}))
    assert _served(capsys) is None
    row = _cli(capsys)
    assert (row["context_source"], row["context_window"]) == ("statusline", 400_000)


def test_the_config_file_invalidates(
    one_session: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys)["context_window"] == 1_000_000
    config = isolated_env["config"]
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[context]\nwindows = { "claude-opus-5-5" = 300000 }\n')
    assert _served(capsys) is None
    row = _cli(capsys)
    assert (row["context_source"], row["context_window"]) == ("config", 300_000)


def test_the_clock_expires_a_running_judgement(
    isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    now = time.time()
    write(
        session_path(isolated_env["claude"], SID),
        prompt("go", ts="2026-01-01T10:00:00.000Z"),
        assistant("done", ts="2026-01-01T10:00:05.000Z"),
        mtime=now,
    )
    assert _cli(capsys)["state"] == "running"  # changed in the last minute
    assert _served(capsys, now + 30) is not None
    assert _served(capsys, now + 61) is None  # it is idle by then
    assert _served(capsys, now - 3600) is None  # the clock went back


def test_a_watched_claude_pid_that_dies_invalidates(
    isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Mid-turn for over 10 minutes: running while its Claude Code pid lives."""
    write(
        session_path(isolated_env["claude"], SID),
        prompt("go", ts="2026-01-01T10:00:00.000Z"),
        mtime=OLD,
    )
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        state = isolated_env["state"]
        state.mkdir(parents=True, exist_ok=True)
        event = {
            "time": "2026-01-01T09:59:59.000Z",
            "event": "UserPromptSubmit",
            "session_id": SID,
            "claude_pid": sleeper.pid,
        }
        (state / "events.jsonl").write_text(json.dumps(event) + "\n")
        assert _cli(capsys)["state"] == "running"
        assert _served(capsys) is not None
    finally:
        sleeper.kill()
        sleeper.wait()
    assert _served(capsys) is None
    assert _cli(capsys)["state"] == "interrupted"


def test_a_damaged_cache_is_ignored_and_rewritten(
    one_session: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys)
    cache = isolated_env["state"] / warm.CACHE_NAME
    good = cache.read_bytes()
    for damaged in (b"", b"garbage", good[:40], good.replace(warm.FORMAT, b"old format", 1)):
        cache.write_bytes(damaged)
        assert _served(capsys) is None
        assert _cli(capsys)["session_id"] == SID
        assert _served(capsys) is not None


def test_other_arguments_never_use_the_cache(
    one_session: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys)
    cache = isolated_env["state"] / warm.CACHE_NAME
    # A cache that lies (valid header and fingerprint, made-up output) shows whether it was used.
    entry = warm.decode(cache.read_bytes())
    assert entry is not None
    output, fp, computed_at, valid_until, pids = entry
    lie = output.replace(SID.encode(), b"x" * len(SID))
    cache.write_bytes(warm.encode(lie, fp, computed_at, valid_until, pids))
    assert main(["sessions", "--json"]) == 0
    assert SID not in capsys.readouterr().out  # served: the lie
    assert main(["sessions", "--json", "--project", "/home/dev/proj"]) == 0
    rows = json.loads(capsys.readouterr().out)["sessions"]
    assert [r["session_id"] for r in rows] == [SID]
    assert main(["status", SID[:8], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["session_id"] == SID


def test_the_table_without_click_is_the_clis(
    one_session: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Plain ``cc-guard sessions`` is rendered from the cached rows, ages at print time."""
    from cc_guard.cli import run

    write(
        session_path(isolated_env["claude"], "55555555-eeee-4000-8000-000000000005", "-x"),
        prompt("no answer yet", ts="2026-01-04T10:00:00.000Z", cwd=str(isolated_env["home"])),
        mtime=OLD,
    )
    assert run(["sessions"]) == 0
    through_click = capsys.readouterr().out
    assert "~" in through_click and "-/200k" in through_click and "9% 90k/1M" in through_click
    code = (
        "import sys; from cc_guard.entry import main; rc = main(['sessions']);"
        "assert rc == 0; assert 'click' not in sys.modules, 'click was imported'"
    )
    cache = isolated_env["state"] / warm.CACHE_NAME
    for stored in (True, False):  # a hit, then a miss
        if not stored:
            cache.unlink()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout.decode() == through_click
    capsys.readouterr()
    (isolated_env["claude"] / "projects").rename(isolated_env["claude"] / "gone")
    assert main(["sessions"]) == 0
    from cc_guard.views.sessions import no_sessions

    projects = str(isolated_env["claude"] / "projects")
    assert capsys.readouterr().out == no_sessions(projects) + "\n"


PHASES = [
    Phase.NONE,
    Phase.PROMPT,
    Phase.ASSISTANT,
    Phase.TOOL_USE,
    Phase.TOOL_RESULT,
    Phase.END,
    Phase.USER_INTERRUPT,
    Phase.FAILED,
    Phase.COMPACTED,
]


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("pending", [None, "Bash"])
@pytest.mark.parametrize("pid", [None, "this process", 2**22 + 12345])
@pytest.mark.parametrize("hook", [None, "SessionEnd", "StopFailure"])
def test_valid_until_never_outlives_the_state_judgement(
    phase: str, pending: str | None, pid: int | str | None, hook: str | None
) -> None:
    """Sweep the clock: until ``valid_until`` the judgement (state and reason) stays the same."""
    if pid == "this process":  # alive (parametrized by name: the pid differs per worker)
        pid = os.getpid()
    assert pid is None or isinstance(pid, int)
    mtime = OLD
    last = "2023-11-14T22:13:20.000Z"  # = OLD
    brief = Brief(phase=phase, last_pending_tool=pending, last_ts=last, phase_ts=last)
    events = None
    if pid is not None or hook is not None:
        events = SessionEvents(claude_pid=pid)
        if hook == "SessionEnd":
            events.ended_at, events.end_reason = last, "other"
        elif hook == "StopFailure":
            events.stop_failure_at, events.stop_failure_error = last, "overloaded"
    for start in [mtime - 5, *(mtime + s for s in range(0, 1500, 23))]:
        until, watched = judgement_valid_until(brief, mtime, start, events)
        assert until > start
        if phase in (Phase.PROMPT, Phase.TOOL_USE, Phase.TOOL_RESULT) and events is not None:
            assert watched == pid
        first = judge_state(brief, mtime, start, events)
        # The judgement is piecewise constant: probe every 10 s and just before expiry.
        end = min(until, start + 2000)
        probes = [start + k * 10 for k in range(int((end - start) // 10) + 1)]
        probes += [until - 0.001] if until < float("inf") else []
        for t in probes:
            if t < until:
                assert judge_state(brief, mtime, t, events) == first, (start, t, until)


def test_the_console_script_exit_prints_everything(
    one_session: Path, isolated_env: dict[str, Path]
) -> None:
    """``sessions [--json]`` skips the interpreter teardown (os._exit, entry.py):
    its output, exit code and stored cache must be complete all the same."""
    console = [sys.executable, "-m", "cc_guard", "sessions"]
    listed = subprocess.run([*console, "--json"], capture_output=True, check=True)
    assert json.loads(listed.stdout)["sessions"][0]["session_id"] == SID
    assert warm.lookup()[0] == listed.stdout  # the cache was written before the exit
    table = subprocess.run(console, capture_output=True, check=True)
    assert SID[:8] in table.stdout.decode() and table.stdout.endswith(b"\n")
    env = dict(os.environ, CLAUDE_CONFIG_DIR=str(isolated_env["home"] / "missing"))
    missing = subprocess.run(console, capture_output=True, env=env)
    assert missing.returncode == 1
    assert b"Claude Code directory not found" in missing.stderr
