"""Engine: discovery, the persistent index (only new bytes read), states, windows, lookup."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from cc_guard.transcripts.engine import Engine
from cc_guard.transcripts.model import SessionState
from tests.support.transcripts import (
    api_error,
    append,
    assistant,
    compact_boundary,
    compact_summary,
    line,
    prompt,
    session_path,
    synthetic_error,
    tool_result,
    tool_use,
    usage,
    write,
)

NOW = 2_000_000_000.0  # a fixed "now" so states never depend on the wall clock
OLD = NOW - 3600  # an hour ago: not recent, and stale if mid-turn


def engine(dirs: dict[str, Path], now: float = NOW) -> Engine:
    return Engine(dirs["claude"], dirs["state"], clock=lambda: now)


def finished_session(claude: Path, sid: str = "aaaa1111", mtime: float = OLD) -> Path:
    return write(
        session_path(claude, sid),
        prompt("hello"),
        assistant("hi there", use=usage(100, 200, 300, 7)),
        mtime=mtime,
    )


def test_second_run_reads_only_new_bytes(isolated_env: dict[str, Path]) -> None:
    path = finished_session(isolated_env["claude"])
    size = path.stat().st_size
    first = engine(isolated_env)
    [model] = first.refresh()
    assert first.last_refresh.bytes_read == size
    assert model.context_tokens == 600

    second = engine(isolated_env)  # a new process: only the index remembers
    [again] = second.refresh()
    assert second.last_refresh.bytes_read == 0
    assert second.files_read == 0
    assert again.to_json() == model.to_json()

    extra = line(assistant("more", msg_id="m2", request="r2", use=usage(1, 1, 1000, 1)))
    append(path, extra)
    os.utime(path, (OLD, OLD + 1))
    third = engine(isolated_env)
    [updated] = third.refresh()
    assert third.last_refresh.bytes_read == len(extra)
    assert updated.context_tokens == 1002
    assert updated.tokens.input_tokens == 101


def test_index_is_private(isolated_env: dict[str, Path]) -> None:
    finished_session(isolated_env["claude"])
    engine(isolated_env).refresh()
    index_dir = isolated_env["state"] / "index"
    assert stat.S_IMODE(index_dir.stat().st_mode) == 0o700
    files = list(index_dir.iterdir())
    assert files
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_corrupt_index_is_rebuilt(isolated_env: dict[str, Path]) -> None:
    finished_session(isolated_env["claude"])
    index_dir = isolated_env["state"] / "index"
    index_dir.mkdir(parents=True)
    (index_dir / "transcripts.sqlite").write_bytes(b"this is not sqlite" * 100)
    [model] = engine(isolated_env).refresh()
    assert model.turns == 1


@pytest.mark.parametrize("column", ["cursor", "brief", "fold"])
@pytest.mark.parametrize("lookup", [False, True])
def test_index_row_that_does_not_decode_is_rebuilt(
    isolated_env: dict[str, Path], column: str, lookup: bool
) -> None:
    import sqlite3

    finished_session(isolated_env["claude"])
    [before] = engine(isolated_env).refresh()
    conn = sqlite3.connect(isolated_env["state"] / "index" / "transcripts.sqlite")
    with conn:
        conn.execute(f"UPDATE files SET {column} = '{{not json'")
    conn.close()
    fresh = engine(isolated_env)
    model = fresh.find("aaaa") if lookup else fresh.refresh()[0]
    assert (model.turns, model.tokens, model.prompts) == (
        before.turns,
        before.tokens,
        before.prompts,
    )
    assert engine(isolated_env).refresh()[0].tokens == before.tokens  # and it was stored again


def test_rewritten_transcript_is_rebuilt_not_double_counted(isolated_env: dict[str, Path]) -> None:
    path = finished_session(isolated_env["claude"])
    engine(isolated_env).refresh()
    write(path, prompt("brand new"), mtime=OLD + 5)
    [model] = engine(isolated_env).refresh()
    assert [p.text for p in model.prompts] == ["brand new"]
    assert model.tokens.input_tokens == 0


def test_deleted_transcript_disappears(isolated_env: dict[str, Path]) -> None:
    path = finished_session(isolated_env["claude"])
    finished_session(isolated_env["claude"], "bbbb2222")
    assert len(engine(isolated_env).refresh()) == 2
    path.unlink()
    assert [s.session_id for s in engine(isolated_env).refresh()] == ["bbbb2222"]


def test_sessions_are_newest_first_and_subagents_attached(isolated_env: dict[str, Path]) -> None:
    claude = isolated_env["claude"]
    write(session_path(claude, "older"), prompt("a", ts="2026-01-01T09:00:00.000Z"), mtime=OLD)
    newer = write(
        session_path(claude, "newer", project="-other"),
        prompt("b", ts="2026-01-02T09:00:00.000Z"),
        mtime=OLD,
    )
    write(
        newer.with_suffix("") / "subagents" / "agent-x.jsonl",
        assistant("sub", side=True, use=usage(5, 0, 0, 1)),
    )
    sessions = engine(isolated_env).refresh()
    assert [s.session_id for s in sessions] == ["newer", "older"]
    assert sessions[0].subagents[0].endswith("agent-x.jsonl")
    assert sessions[0].tokens.input_tokens == 5


def test_missing_projects_dir_is_empty_not_an_error(isolated_env: dict[str, Path]) -> None:
    assert engine(isolated_env).refresh() == []


@pytest.mark.parametrize(
    ("records", "mtime", "state"),
    [
        ([prompt("go"), assistant("done")], OLD, SessionState.IDLE),
        ([prompt("go"), assistant("done")], NOW - 5, SessionState.RUNNING),
        ([prompt("go")], NOW - 30, SessionState.RUNNING),
        ([prompt("go")], OLD, SessionState.INTERRUPTED),
        (
            [
                prompt("go"),
                assistant([tool_use("t", "Bash", {"command": "sleep 1"})], stop="tool_use"),
            ],
            OLD,
            SessionState.INTERRUPTED,
        ),
        ([prompt("go"), api_error(), synthetic_error()], NOW - 5, SessionState.INTERRUPTED),
        ([prompt("go"), assistant("cut", stop="max_tokens")], OLD, SessionState.INTERRUPTED),
        (
            [prompt("go"), assistant("a"), compact_boundary(), compact_summary()],
            OLD,
            SessionState.COMPACTED,
        ),
        (
            [
                prompt("go"),
                assistant("a"),
                compact_boundary(),
                prompt("next"),
                assistant("b", msg_id="m2"),
            ],
            OLD,
            SessionState.IDLE,
        ),
        (
            [prompt("go"), tool_result("t"), prompt("[Request interrupted by user for tool use]")],
            OLD,
            SessionState.IDLE,
        ),
    ],
    ids=[
        "idle",
        "recent",
        "awaiting-answer",
        "stale-prompt",
        "tool-without-result",
        "api-error",
        "max-tokens",
        "compacted",
        "turn-after-compaction",
        "user-esc",
    ],
)
def test_states(
    isolated_env: dict[str, Path],
    records: list[dict[str, object]],
    mtime: float,
    state: SessionState,
) -> None:
    write(session_path(isolated_env["claude"]), *records, mtime=mtime)
    [model] = engine(isolated_env).refresh()
    assert model.state is state, model.state_reason


def _event(state: Path, **fields: object) -> None:
    with open(state / "events.jsonl", "a") as fh:
        fh.write(json.dumps(fields) + "\n")


def test_hook_events_mark_ended_and_interrupted(isolated_env: dict[str, Path]) -> None:
    claude, state = isolated_env["claude"], isolated_env["state"]
    state.mkdir(parents=True, exist_ok=True)
    write(
        session_path(claude, "s-end"),
        prompt("go", ts="2026-01-01T10:00:00.000Z"),
        assistant("ok", ts="2026-01-01T10:00:01.000Z"),
        mtime=NOW - 5,
    )
    write(
        session_path(claude, "s-fail"), prompt("go", ts="2026-01-01T10:00:00.000Z"), mtime=NOW - 5
    )
    _event(
        state,
        time="2026-01-01T10:00:02+00:00",
        event="SessionEnd",
        session_id="s-end",
        reason="prompt_input_exit",
        claude_pid=None,
    )
    _event(
        state,
        time="2026-01-01T10:00:03Z",
        event="StopFailure",
        session_id="s-fail",
        error="rate_limit",
        claude_pid=None,
    )
    eng = engine(isolated_env)
    by_id = {s.session_id: s for s in eng.refresh()}
    assert by_id["s-end"].state is SessionState.ENDED
    assert by_id["s-fail"].state is SessionState.INTERRUPTED
    assert "rate_limit" in (by_id["s-fail"].state_reason or "")
    # The log is read incrementally too, and later transcript activity wins over SessionEnd.
    eng.refresh()
    assert eng.last_refresh.bytes_read == 0
    append(session_path(claude, "s-end"), prompt("again", ts="2026-01-01T11:00:00.000Z"))
    os.utime(session_path(claude, "s-end"), (NOW - 5, NOW - 5))
    by_id = {s.session_id: s for s in engine(isolated_env).refresh()}
    assert by_id["s-end"].state is SessionState.RUNNING


def test_a_failed_last_turn_outranks_session_end(isolated_env: dict[str, Path]) -> None:
    """Print mode ends the session right after a final 529: it must read interrupted."""
    claude, state = isolated_env["claude"], isolated_env["state"]
    state.mkdir(parents=True, exist_ok=True)
    write(
        session_path(claude, "s-529"),
        prompt("go", ts="2026-01-01T10:00:00.000Z"),
        api_error(ts="2026-01-01T10:00:01.000Z"),
        synthetic_error(ts="2026-01-01T10:00:05.000Z"),
        mtime=NOW - 5,
    )
    write(
        session_path(claude, "s-closed"),
        prompt("go", ts="2026-01-01T10:00:00.000Z"),
        mtime=NOW - 5,
    )
    for sid in ("s-529", "s-closed"):
        _event(
            state,
            time="2026-01-01T10:00:06Z",
            event="SessionEnd",
            session_id=sid,
            reason="other",
            claude_pid=None,
        )
    by_id = {s.session_id: s for s in engine(isolated_env).refresh()}
    assert by_id["s-529"].state is SessionState.INTERRUPTED
    assert "failed" in (by_id["s-529"].state_reason or "")
    assert "SessionEnd" in (by_id["s-529"].state_reason or "")
    # The terminal closed with the prompt unanswered: interrupted, not ended.
    assert by_id["s-closed"].state is SessionState.INTERRUPTED
    assert "mid-turn" in (by_id["s-closed"].state_reason or "")


def test_running_process_keeps_a_stale_mid_turn_session_running(
    isolated_env: dict[str, Path],
) -> None:
    state = isolated_env["state"]
    state.mkdir(parents=True, exist_ok=True)
    write(
        session_path(isolated_env["claude"], "s1"),
        prompt("go", ts="2026-01-01T10:00:00.000Z"),
        mtime=OLD,
    )
    _event(
        state,
        time="2026-01-01T10:00:00Z",
        event="UserPromptSubmit",
        session_id="s1",
        claude_pid=os.getpid(),
    )
    [model] = engine(isolated_env).refresh()
    assert model.state is SessionState.RUNNING
    assert model.claude_pid == os.getpid()


def test_window_table_statusline_and_config(isolated_env: dict[str, Path]) -> None:
    claude, state = isolated_env["claude"], isolated_env["state"]
    write(
        session_path(claude, "opus"),
        prompt("go"),
        assistant("a", use=usage(0, 0, 100_000, 1)),
        mtime=OLD,
    )
    write(
        session_path(claude, "sonnet"),
        prompt("go"),
        assistant("a", model="claude-sonnet-4-5", use=usage(0, 0, 100_000, 1)),
        mtime=OLD,
    )
    write(
        session_path(claude, "mystery"),
        prompt("go"),
        assistant("a", model="some-new-model", use=usage(0, 0, 300_000, 1)),
        mtime=OLD,
    )
    by_id = {s.session_id: s for s in engine(isolated_env).refresh()}
    assert (by_id["opus"].context_window, by_id["opus"].context_percent) == (1_000_000, 10.0)
    assert (by_id["sonnet"].context_window, by_id["sonnet"].context_percent) == (200_000, 50.0)
    assert (
        by_id["mystery"].context_window == 1_000_000
    )  # more tokens than 200k proves a bigger window
    assert {s.context_source for s in by_id.values()} == {"transcript"}

    (state / "statusline").mkdir(parents=True)
    (state / "statusline" / "sonnet.json").write_text(
        json.dumps(
            {
                "session_id": "sonnet",
                "model_id": "claude-sonnet-4-5",
                "context_window_size": 400_000,
            }
        )
    )
    isolated_env["config"].parent.mkdir(parents=True, exist_ok=True)
    isolated_env["config"].write_text('[context]\nwindows = { "claude-opus-5-5" = 500000 }\n')
    by_id = {s.session_id: s for s in engine(isolated_env).refresh()}
    assert (
        by_id["sonnet"].context_window,
        by_id["sonnet"].context_source,
        by_id["sonnet"].context_percent,
    ) == (400_000, "statusline", 25.0)
    assert (by_id["opus"].context_window, by_id["opus"].context_source) == (500_000, "config")


def test_find_by_id_prefix_ambiguous_unknown(isolated_env: dict[str, Path]) -> None:
    for sid in ("abc-111", "abc-222", "xyz-333"):
        finished_session(isolated_env["claude"], sid)
    eng = engine(isolated_env)
    assert eng.find("xyz").session_id == "xyz-333"
    assert eng.find("abc-111").session_id == "abc-111"
    with pytest.raises(LookupError, match="ambiguous"):
        eng.find("abc")
    with pytest.raises(LookupError, match="no session matches"):
        eng.find("nope")


def test_clock_default_is_wall_time(isolated_env: dict[str, Path]) -> None:
    finished_session(isolated_env["claude"], mtime=time.time())
    [model] = Engine(isolated_env["claude"], isolated_env["state"]).refresh()
    assert model.state is SessionState.RUNNING  # just written


def test_brief_models_agree_with_full_models(isolated_env: dict[str, Path]) -> None:
    claude = isolated_env["claude"]
    path = write(
        session_path(claude, "s1"), prompt("go"), api_error(), synthetic_error(), mtime=OLD
    )
    write(
        path.with_suffix("") / "subagents" / "agent-1.jsonl",
        assistant("sub", side=True, use=usage(3, 0, 0, 1)),
        api_error(),
    )
    finished_session(claude, "s2")
    fields = (
        "session_id",
        "project_dir",
        "model",
        "state",
        "state_reason",
        "context_tokens",
        "context_window",
        "last_activity",
        "incident_count",
        "turns",
        "api_calls",
        "tokens",
        "subagents",
    )
    full = [{f: s.to_json()[f] for f in fields} for s in engine(isolated_env).refresh()]
    brief = [{f: s.to_json()[f] for f in fields} for s in engine(isolated_env).refresh(brief=True)]
    assert brief == full
    assert full[0]["incident_count"] == 2


def test_long_lived_engine_rereads_and_rebuilds_only_what_changed(
    isolated_env: dict[str, Path],
) -> None:
    a = finished_session(isolated_env["claude"], "a")
    finished_session(isolated_env["claude"], "b")
    eng = engine(isolated_env)
    first = {s.session_id: s for s in eng.refresh()}
    extra = line(prompt("more"))
    append(a, extra)
    os.utime(a, (OLD + 10, OLD + 10))
    second = {s.session_id: s for s in eng.refresh()}
    assert eng.files_read == 1
    assert eng.last_refresh.bytes_read == len(extra)
    assert second["b"] is first["b"]  # unchanged transcript: the cached model
    assert second["a"] is not first["a"]
    assert [p.text for p in second["a"].prompts] == ["hello", "more"]


def test_find_returns_the_full_model(isolated_env: dict[str, Path]) -> None:
    write(session_path(isolated_env["claude"], "full-1"), prompt("go"), api_error(), mtime=OLD)
    model = engine(isolated_env).find("full")
    assert [p.text for p in model.prompts] == ["go"]
    assert len(model.incidents) == model.incident_count == 1


def _allow_forked_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine reads in one process when this one has threads (forking a threaded
    process can deadlock the child); a thread an earlier test of this worker left behind
    must not decide what these tests see. Two cores, whatever the machine has."""
    from cc_guard.transcripts import engine as engine_module

    monkeypatch.setattr(engine_module, "_threaded", lambda: False)
    monkeypatch.setattr(engine_module.os, "cpu_count", lambda: 2)


def test_parallel_first_read_matches_serial(
    isolated_env: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _allow_forked_readers(monkeypatch)
    claude = isolated_env["claude"]
    for n in range(6):
        path = write(
            session_path(claude, f"p{n}"),
            prompt(f"go {n}"),
            api_error(),
            assistant("ok", use=usage(n, 0, 1000, 1)),
            mtime=OLD,
        )
        write(
            path.with_suffix("") / "subagents" / "agent-z.jsonl",
            assistant("sub", side=True, use=usage(1, 0, 0, 1)),
        )
    serial = engine(isolated_env)
    serial.max_workers = 1
    expected = [s.to_json() for s in serial.refresh()]
    parallel = Engine(claude, tmp_path / "other-state", clock=lambda: NOW)
    parallel.parallel_min_bytes = 0
    assert [s.to_json() for s in parallel.refresh()] == expected
    assert parallel.files_read == 12
    assert parallel.processes_used == 2
    again = Engine(claude, tmp_path / "other-state", clock=lambda: NOW)
    assert [s.to_json() for s in again.refresh()] == expected
    assert again.last_refresh.bytes_read == 0


def test_real_hook_process_events_mark_the_session_ended(isolated_env: dict[str, Path]) -> None:
    """Interface 2 end to end: ``cc-guard hook SessionEnd`` writes the log the engine reads."""
    import subprocess
    import sys

    path = write(
        session_path(isolated_env["claude"], "hooked"),
        prompt("go", ts="2020-01-01T10:00:00.000Z"),
        assistant("ok", ts="2020-01-01T10:00:01.000Z"),
        mtime=time.time() - 5,
    )
    payload = {
        "session_id": "hooked",
        "transcript_path": str(path),
        "cwd": str(isolated_env["home"]),
        "hook_event_name": "SessionEnd",
        "reason": "prompt_input_exit",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cc_guard", "hook", "SessionEnd"],
        input=json.dumps(payload),
        text=True,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [model] = Engine(isolated_env["claude"], isolated_env["state"]).refresh()
    assert model.state is SessionState.ENDED
    assert model.state_reason == "SessionEnd (prompt_input_exit)"


def test_a_failed_reader_child_is_redone_in_process(
    isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cc_guard.transcripts import engine as engine_module

    def failing_child(share: object) -> tuple[int, int]:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os._exit(3)
        os.close(write_fd)
        return pid, read_fd

    monkeypatch.setattr(engine_module, "_fork_reader", failing_child)
    _allow_forked_readers(monkeypatch)
    for n in range(4):
        finished_session(isolated_env["claude"], f"f{n}")
    eng = engine(isolated_env)
    eng.parallel_min_bytes = 0
    sessions = eng.refresh()
    assert eng.processes_used == 2
    assert sorted(s.session_id for s in sessions) == ["f0", "f1", "f2", "f3"]
    assert all(s.context_tokens == 600 for s in sessions)


def test_project_level_agent_files_of_older_versions_are_attached(
    isolated_env: dict[str, Path],
) -> None:
    claude = isolated_env["claude"]
    main = write(
        session_path(claude, "parent-1"), {**prompt("go"), "sessionId": "parent-1"}, mtime=OLD
    )
    write(
        main.parent / "agent-abc.jsonl",
        {**assistant("sub", side=True, use=usage(4, 0, 0, 1)), "sessionId": "parent-1"},
        mtime=OLD,
    )
    write(
        main.parent / "agent-lost.jsonl",
        {**assistant("orphan", side=True), "sessionId": "no-such-session"},
        mtime=OLD,
    )
    sessions = {s.session_id: s for s in engine(isolated_env).refresh()}
    assert set(sessions) == {
        "parent-1",
        "agent-lost",
    }  # an agent file without its session still shows
    assert sessions["parent-1"].subagents == [str(main.parent / "agent-abc.jsonl")]
    assert sessions["parent-1"].tokens.input_tokens == 4
    brief = {s.session_id: s for s in engine(isolated_env).refresh(brief=True)}
    assert brief["parent-1"].subagents == sessions["parent-1"].subagents


def test_a_long_lived_engine_rejudges_unchanged_sessions_and_rebuilds_changed_ones(
    isolated_env: dict[str, Path],
) -> None:
    """Brief models of unchanged sessions are kept between refreshes; their state still
    follows the clock, and a session that grew gets a new model."""
    now = [NOW]
    live = Engine(isolated_env["claude"], isolated_env["state"], clock=lambda: now[0])
    quiet = finished_session(isolated_env["claude"], "aaaa1111", mtime=NOW - 10)
    finished_session(isolated_env["claude"], "bbbb2222")
    first = {s.session_id: s for s in live.refresh(brief=True)}
    assert first["aaaa1111"].state == "running"  # written 10 s ago
    now[0] = NOW + 120
    second = {s.session_id: s for s in live.refresh(brief=True)}
    assert second["bbbb2222"] is first["bbbb2222"]  # kept, not rebuilt
    assert second["aaaa1111"].state == "idle"  # the clock moved on
    append(quiet, prompt("and more", ts="2026-01-01T10:05:00.000Z"))
    third = {s.session_id: s for s in live.refresh(brief=True)}
    assert third["aaaa1111"] is not second["aaaa1111"]
    assert third["aaaa1111"].turns == 2
