"""The context policy's hooks, run as Claude Code runs them (``cc-guard hook <Event>``).

Hand-made transcripts (tests/support/transcripts.py) put the session where each test
needs it; the hook order is the one measured on Claude Code 2.1.328 (PreCompact ->
SubagentStop -> SessionStart(compact) -> PostCompact). The real CLI runs these same
paths end to end in test_compact_claude.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cc_guard.cli import main as cli_main
from cc_guard.cli import run
from tests.support.checkpoints import run_hook
from tests.support.transcripts import (
    assistant,
    prompt,
    session_path,
    synthetic_error,
    tool_result,
    tool_use,
    usage,
    write,
)

SID = "11111111-2222-4333-8444-555555555555"  # the helpers' session id
CWD = "/home/dev/proj"


def filled(tokens: int, out: int = 10) -> dict[str, int]:
    return usage(12, 800, tokens - 812, out)


def working_session(claude: Path, tokens: int = 100_000) -> Path:
    """A session that edits two files, has a todo in progress and a stated constraint."""
    todos = [
        {"content": "Add the retry loop", "status": "completed", "activeForm": "Adding"},
        {"content": "Write the backoff tests", "status": "in_progress", "activeForm": "Writing"},
    ]
    return write(
        session_path(claude),
        prompt(
            "Add retries with backoff to the client. Never change the public API.",
            ts="2026-01-01T10:00:00.000Z",
        ),
        assistant(
            [
                tool_use("t1", "Write", {"file_path": f"{CWD}/src/client.py", "content": "x\n"}),
                tool_use("t2", "TodoWrite", {"todos": todos}),
            ],
            ts="2026-01-01T10:00:01.000Z",
            msg_id="m1",
            request="r1",
            stop="tool_use",
            use=filled(tokens - 2000),
        ),
        tool_result("t1", ts="2026-01-01T10:00:02.000Z"),
        tool_result("t2", ts="2026-01-01T10:00:02.100Z"),
        assistant(
            [tool_use("t3", "Edit", {"file_path": f"{CWD}/src/retry_schedule.py", "old_string": "a", "new_string": "b"})],
            ts="2026-01-01T10:00:03.000Z",
            msg_id="m2",
            request="r2",
            stop="tool_use",
            use=filled(tokens - 1000),
        ),
        tool_result("t3", ts="2026-01-01T10:00:04.000Z"),
        assistant(
            "Done with the loop.", ts="2026-01-01T10:00:05.000Z", msg_id="m3", request="r3", use=filled(tokens)
        ),
    )


def payload(transcript: Path, event: str, **extra: Any) -> dict[str, Any]:
    return {
        "session_id": SID,
        "transcript_path": str(transcript),
        "cwd": CWD,
        "hook_event_name": event,
        **extra,
    }


def hook(event: str, transcript: Path, env: dict[str, str] | None = None, **extra: Any) -> str:
    proc = run_hook(event, payload(transcript, event, **extra), env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode()


def compaction_state(state: Path) -> dict[str, Any]:
    path = state / "compaction" / f"{SID}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def reports(state: Path) -> list[dict[str, Any]]:
    path = state / "compaction" / f"{SID}.reports.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def decisions(state: Path) -> list[dict[str, Any]]:
    path = state / "compaction" / "decisions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_precompact_prints_the_focus_as_plain_text_never_json(isolated_env: dict[str, Path]) -> None:
    transcript = working_session(isolated_env["claude"])
    out = hook("PreCompact", transcript, trigger="auto", custom_instructions=None)
    assert out.startswith("[cc-guard] Keep these facts in the summary")
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    for needle in ("src/client.py", "src/retry_schedule.py", "Write the backoff tests", "Never change the public API"):
        assert needle in out
    pending = compaction_state(isolated_env["state"])["pending"]
    assert (pending["trigger"], pending["by"]) == ("auto", "claude-code")
    # The handoff was written first (the focus is built from it).
    assert (isolated_env["state"] / "handoff" / f"{SID}.json").exists()


def test_dropped_facts_are_reinjected_after_compaction_and_reported(
    isolated_env: dict[str, Path],
) -> None:
    transcript = working_session(isolated_env["claude"])
    hook("PreCompact", transcript, trigger="manual", custom_instructions="[cc-guard] keep ...")
    summary = (
        "<analysis>thinking</analysis>\n<summary>The user wants retries with backoff in the "
        "client; src/client.py has the retry loop. Pending: write the backoff tests. The "
        "public API must never change.</summary>"
    )
    hook("SubagentStop", transcript, agent_id="a1", agent_type="", last_assistant_message=summary)
    out = json.loads(hook("SessionStart", transcript, source="compact"))
    context = out["hookSpecificOutput"]["additionalContext"]
    assert out["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    assert "File being changed: src/retry_schedule.py" in context
    assert "src/client.py" not in context  # the summary kept it
    assert len(context) < 10_000
    assert "put back" in out["systemMessage"]
    hook("PostCompact", transcript, trigger="manual", compact_summary=summary)
    [report] = reports(isolated_env["state"])
    assert (report["by"], report["trigger"], report["outcome"]) == ("cc-guard", "manual", "ok")
    assert {"kind": "file", "text": "src/retry_schedule.py"} in report["dropped"]
    assert report["reinjected"] == report["dropped"]
    assert any(f["text"] == "src/client.py" for f in report["kept"])
    assert "pending" not in compaction_state(isolated_env["state"])


def test_without_the_subagentstop_summary_postcompact_reports(isolated_env: dict[str, Path]) -> None:
    """Hooks installed before SubagentStop joined them: SessionStart(compact) has no summary
    to compare, so it re-injects nothing and PostCompact, which carries it, reports."""
    transcript = working_session(isolated_env["claude"])
    hook("PreCompact", transcript, trigger="auto")
    assert hook("SessionStart", transcript, source="compact") == ""
    hook("PostCompact", transcript, trigger="auto", compact_summary="<summary>nothing kept</summary>")
    [report] = reports(isolated_env["state"])
    assert report["outcome"] == "ok" and report["dropped"] and report["reinjected"] == []


def test_a_failed_compaction_is_a_failed_compaction_not_an_interrupted_turn(
    isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = working_session(isolated_env["claude"])
    os.utime(transcript, (1_600_000_000, 1_600_000_000))
    hook("PreCompact", transcript, trigger="auto")
    for _ in range(2):  # Claude Code fires one per failed attempt
        hook(
            "StopFailure",
            transcript,
            error="server_error",
            agent_id="a979",
            last_assistant_message="API Error: Repeated 529 Overloaded errors",
        )
    [report] = reports(isolated_env["state"])
    assert report["outcome"] == "failed" and "Repeated 529" in report["error"]
    assert compaction_state(isolated_env["state"])["outcome"]["ok"] is False
    assert "compaction failed: server_error: API Error: Repeated 529" in run_statusline(100_000)
    result = CliRunner().invoke(cli_main, ["status", SID[:8], "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["state"] == "idle", data["state_reason"]
    assert data["compaction_reports"][-1]["outcome"] == "failed"
    assert (isolated_env["state"] / "handoff" / f"{SID}.failure.json").exists() is False


def test_stop_warns_once_per_crossing_and_logs_every_decision(isolated_env: dict[str, Path]) -> None:
    transcript = working_session(isolated_env["claude"], tokens=700_000)  # 72% of 967k
    first = json.loads(hook("Stop", transcript))
    assert first["systemMessage"].startswith("cc-guard: context at 72% of the auto-compact point")
    assert "hookSpecificOutput" not in first  # never into the model's context
    assert hook("Stop", transcript) == ""
    logged = [d for d in decisions(isolated_env["state"]) if d["event"] == "Stop"]
    assert [d["action"] for d in logged] == ["warn", "nothing"]
    assert "already warned" in logged[1]["reason"]
    assert logged[0]["point"] == 967_000 and logged[0]["tokens"] == 700_010


def test_stop_past_auto_percent_outside_tmux_notifies_with_the_command(
    isolated_env: dict[str, Path],
) -> None:
    transcript = working_session(isolated_env["claude"], tokens=880_000)
    out = json.loads(hook("Stop", transcript))
    assert f"cc-guard compact {SID[:8]}" in out["systemMessage"]
    notice = compaction_state(isolated_env["state"])["notice"]
    assert notice == {"at": notice["at"], "action": "notify", "text": f"compact now: cc-guard compact {SID[:8]}"}
    line = run_statusline(880_000)
    assert f"compact now: cc-guard compact {SID[:8]}" in line and "(!)" in line


def test_the_sessions_environment_moves_the_point(isolated_env: dict[str, Path]) -> None:
    transcript = working_session(isolated_env["claude"], tokens=420_000)
    env = {**os.environ, "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "50"}
    out = json.loads(hook("Stop", transcript, env=env))
    # 420k is 86% of the 490k point that override makes.
    assert "86% of the auto-compact point (420k of 490k)" in out["systemMessage"]
    [logged] = [d for d in decisions(isolated_env["state"]) if d["event"] == "Stop"]
    assert logged["action"] == "notify" and logged["point"] == 490_000


def test_auto_compact_turned_off_in_config_is_read_by_the_hooks_and_shown(
    isolated_env: dict[str, Path],
) -> None:
    """``/config``'s Auto-compact writes ``autoCompactEnabled`` to the user's settings."""
    settings = isolated_env["claude"] / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"autoCompactEnabled": False}))
    transcript = working_session(isolated_env["claude"], tokens=880_000)
    hook("SessionStart", transcript, source="startup")
    hook("Stop", transcript)
    assert compaction_state(isolated_env["state"])["setting"] is False
    assert "auto-compact off" in run_statusline(880_000)
    status = json.loads(CliRunner().invoke(cli_main, ["status", SID[:8], "--json"]).stdout)
    assert status["compact_env"] == {"autoCompactEnabled": "false"}
    assert status["until_auto_compact"] is None
    # Turned back on mid-session: the next turn's end reads it again.
    settings.write_text(json.dumps({"autoCompactEnabled": True}))
    hook("Stop", transcript)
    assert compaction_state(isolated_env["state"])["setting"] is True
    assert "9% until auto-compact" in run_statusline(880_000)


def run_statusline(tokens: int) -> str:
    import subprocess

    from tests.support.checkpoints import CC_GUARD

    data = {
        "session_id": SID,
        "cwd": CWD,
        "model": {"id": "claude-opus-5-5"},
        "context_window": {
            "context_window_size": 1_000_000,
            "used_percentage": round(tokens / 10_000),
            "current_usage": {"input_tokens": 12, "cache_read_input_tokens": tokens - 12, "output_tokens": 10},
        },
    }
    proc = subprocess.run([str(CC_GUARD), "statusline"], input=json.dumps(data), capture_output=True, text=True, timeout=30)
    return proc.stdout


def test_a_prompt_too_long_that_compaction_cannot_fix_is_stuck_and_resume_goes_fresh(
    isolated_env: dict[str, Path],
) -> None:
    transcript = write(
        session_path(isolated_env["claude"]),
        prompt("go on", ts="2026-01-01T10:00:00.000Z"),
        assistant("ok", ts="2026-01-01T10:00:01.000Z", use=filled(990_000)),
        prompt("and now this", ts="2026-01-01T10:01:00.000Z"),
        synthetic_error(
            ts="2026-01-01T10:01:05.000Z",
            status=400,
            api_type="invalid_request_error",
            error="invalid_request",
            text="Prompt is too long · automatic compaction failed: API Error: Repeated 529 Overloaded errors",
        ),
        mtime=1_600_000_000,
    )
    result = CliRunner().invoke(cli_main, ["status", SID[:8], "--json"])
    data = json.loads(result.stdout)
    assert data["state"] == "stuck"
    assert "cc-guard resume --mode fresh" in data["state_reason"]
    resumed = CliRunner().invoke(cli_main, ["resume", SID[:8], "--print"])
    assert resumed.exit_code == 0, resumed.output
    assert "resuming with --mode fresh: the session is stuck" in resumed.stderr
    assert "CC_GUARD_SEED=" in resumed.stdout and "--resume" not in resumed.stdout
    # The hook said so too, before the transcript did: the statusline shows the way out.
    hook(
        "StopFailure",
        transcript,
        error="invalid_request",
        error_details='400 {"type":"error","error":{"message":"prompt is too long: 1012000 tokens > 1000000 maximum"}}',
    )
    assert f"STUCK (prompt too long): cc-guard resume --mode fresh {SID[:8]}" in run_statusline(990_000)


def test_compact_dry_run_says_what_would_be_done(isolated_env: dict[str, Path]) -> None:
    working_session(isolated_env["claude"], tokens=880_000)
    os.utime(session_path(isolated_env["claude"]), (1_600_000_000, 1_600_000_000))
    result = CliRunner().invoke(cli_main, ["compact", SID[:8], "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["outcome"], data["via"], data["ok"]) == ("planned", "headless", True)
    assert data["plan"]["focus"].startswith("[cc-guard] keep latest request:")
    assert "src/retry_schedule.py" in data["plan"]["focus"]
    assert data["plan"]["command"].startswith("claude -p '/compact [cc-guard] keep")
    # A dry run writes no handoff and starts nothing.
    assert not (isolated_env["state"] / "handoff" / f"{SID}.json").exists()
    assert "started_at" not in compaction_state(isolated_env["state"])
    [logged] = decisions(isolated_env["state"])
    assert logged["action"] == "dry_run"


def test_compact_refuses_a_live_session_outside_tmux_in_one_sentence(
    isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = working_session(isolated_env["claude"])
    transcript.touch()  # changed just now: a live session
    code = run(["compact", SID[:8], "--via", "headless"])
    out = capsys.readouterr()
    assert code == 1
    assert "not compacted: a live Claude Code process holds it" in out.out
    assert "Traceback" not in out.out + out.err


def test_the_statusline_forecasts_turns_from_the_turn_ends_the_stop_hook_kept(
    isolated_env: dict[str, Path],
) -> None:
    for tokens in (300_000, 350_000, 400_000):
        hook("Stop", working_session(isolated_env["claude"], tokens=tokens))
    assert compaction_state(isolated_env["state"])["turns"] == [300_010, 350_010, 400_010]
    # 50k per turn, 566,990 tokens to Claude Code's point: 12 turns.
    assert "· 59% until auto-compact, ~12 turns |" in run_statusline(400_000)


def test_stop_waits_for_the_answer_claude_code_has_not_written_yet(
    isolated_env: dict[str, Path],
) -> None:
    import subprocess
    import threading

    from tests.support.checkpoints import CC_GUARD
    from tests.support.transcripts import append

    transcript = working_session(isolated_env["claude"], tokens=300_000)
    late = assistant(
        "Final words.", ts="2026-01-01T10:01:00.000Z", msg_id="m9", request="r9", use=filled(700_000)
    )
    # Claude Code writes its transcript in the background: the record lands after the hook started.
    writer = threading.Timer(0.4, lambda: append(transcript, late))
    writer.start()
    proc = subprocess.run(
        [str(CC_GUARD), "hook", "Stop"],
        input=json.dumps(payload(transcript, "Stop", last_assistant_message="Final words.")),
        capture_output=True,
        text=True,
        timeout=30,
    )
    writer.join()
    assert "context at 72% of the auto-compact point" in json.loads(proc.stdout)["systemMessage"]


def test_the_dashboards_compact_action_is_the_one_cc_guard_compact_runs(
    isolated_env: dict[str, Path],
) -> None:
    from cc_guard.transcripts.engine import Engine
    from cc_guard.tui import adapters

    transcript = working_session(isolated_env["claude"])
    transcript.touch()  # a live session, not in tmux: nothing can be typed into it
    session = Engine().find(SID)
    said = adapters.compact(session)
    assert said.startswith("not compacted: it runs outside tmux")
    [logged] = decisions(isolated_env["state"])
    assert (logged["event"], logged["action"]) == ("command", "refused")


def test_a_pane_cc_guard_launch_recorded_is_found_when_no_hook_named_one(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    from cc_guard.compaction.action import plan
    from cc_guard.state.panes import new_record, record_pane
    from cc_guard.transcripts.engine import Engine

    working_session(isolated_env["claude"]).touch()
    socket = tmp_path / "no-such-server.sock"
    record_pane(new_record("%7", CWD, session_id=SID, tmux_env=f"{socket},1,0"))
    found = plan(Engine().find(SID), via="tmux")
    assert (found.pane, found.socket) == ("%7", str(socket))
    assert found.via is None and f"its tmux pane %7 (tmux server {socket}) is gone" in found.why


@pytest.mark.parametrize("event", ["Stop", "PreCompact", "SessionStart", "PostCompact"])
def test_a_fifo_as_the_transcript_never_blocks_the_context_hooks(
    isolated_env: dict[str, Path], tmp_path: Path, event: str
) -> None:
    fifo = tmp_path / "transcript.jsonl"
    os.mkfifo(fifo)
    proc = run_hook(
        event,
        payload(fifo, event, last_assistant_message="done", source="compact", trigger="auto"),
        env={**os.environ, "CC_GUARD_HOOK_DEADLINE": "20"},
        timeout=30,
    )
    assert proc.returncode == 0
    log = isolated_env["state"] / "hook-errors.log"
    assert not log.exists() or "gave up" not in log.read_text()
