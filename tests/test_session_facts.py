"""One judgement per session, the same in every view: the transcript engine decides the
state and the failure kind (``sessions``, ``status``, the statusline, the handoff and
``resume`` all show its answer), hook facts (Stop, SessionEnd, StopFailure) beat guesses
from file times, and cc-guard's own prompts never count as the user's request."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cc_guard.handoff import store
from cc_guard.handoff.resume import continuation_prompt
from tests.support.handoff import install_fixture
from tests.support.transcripts import (
    CWD,
    SID,
    api_error,
    assistant,
    prompt,
    session_path,
    synthetic_error,
    usage,
    write,
)

CC_GUARD = str(Path(sys.executable).parent / "cc-guard")
OLD = 1_700_000_000.0


def cc(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CC_GUARD, *args], capture_output=True, text=True, timeout=120, input=stdin
    )


def hook(event: str, transcript: Path, **extra: Any) -> None:
    payload = {"session_id": SID, "transcript_path": str(transcript), "cwd": CWD, **extra}
    proc = subprocess.run(
        [CC_GUARD, "hook", event],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CC_GUARD_HANDOFF_SYNC": "1"},
    )
    assert proc.returncode == 0, proc.stderr


def iso(offset: float = 0.0) -> str:
    stamp = datetime.fromtimestamp(time.time() + offset, UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def views(transcript: Path) -> dict[str, str]:
    """What each view says about the session's failure."""
    rows = json.loads(cc("sessions", "--json").stdout)["sessions"]
    [row] = [r for r in rows if r["session_id"] == SID]
    status = json.loads(cc("status", SID, "--json").stdout)
    line = cc(
        "statusline", stdin=json.dumps({"session_id": SID, "transcript_path": str(transcript)})
    ).stdout
    handoff = json.loads(cc("handoff", SID, "--format", "json").stdout)
    return {
        "sessions": f"{row['state']}: {row['state_reason']}",
        "status": f"{status['state']}: {status['state_reason']}",
        "incident": status["incidents"][-1]["kind"] if status["incidents"] else "-",
        "statusline": line.strip(),
        "handoff": f"{handoff['health']['state']}: {handoff['health']['kind']}",
    }


# --------------------------------------------------------------------------- item 16

CUT_TEXTS = {
    "2.1.328": "API Error: JSON Parse error: Unterminated string",
    "2.1.332": "API Error: API returned an empty or malformed response (HTTP 200) — check for "
    "a proxy or gateway intercepting the request. Response: content-type json, body is not "
    "valid JSON, …",
}


@pytest.mark.parametrize("version", sorted(CUT_TEXTS))
@pytest.mark.parametrize("retries", [0, 2])
def test_a_cut_stream_is_stream_truncated_in_every_view(
    isolated_env: dict[str, Path], version: str, retries: int
) -> None:
    path = session_path(isolated_env["claude"], SID)
    records = [prompt("refactor app.py", ts=iso(-30))]
    records += [
        api_error(ts=iso(-20 + n), status=None, attempt=n + 1, code="StreamTruncated",
                  text="Connection closed before the response finished")
        for n in range(retries)
    ]  # fmt: skip
    records.append(
        synthetic_error(ts=iso(-5), status=None, api_type=None, error="unknown",
                        text=CUT_TEXTS[version])
    )  # fmt: skip
    write(path, *records)
    hook("StopFailure", path, error="unknown", last_assistant_message=CUT_TEXTS[version])
    seen = views(path)
    assert seen["sessions"] == seen["status"]
    assert seen["sessions"].startswith("interrupted:") and "stream_truncated" in seen["sessions"]
    assert seen["incident"] == "stream_truncated"
    assert "upstream stream_truncated" in seen["statusline"]
    assert seen["handoff"] == "interrupted: stream_truncated"


def test_the_statusline_names_a_529_overloaded_as_the_transcript_does(
    isolated_env: dict[str, Path],
) -> None:
    path = session_path(isolated_env["claude"], SID)
    write(
        path,
        prompt("write the draft", ts=iso(-30)),
        api_error(ts=iso(-20), status=529),
        synthetic_error(ts=iso(-5), status=529),
    )
    hook("StopFailure", path, error="server_error", last_assistant_message="API Error: 529")
    seen = views(path)
    assert "upstream overloaded" in seen["statusline"]
    assert "overloaded" in seen["sessions"] and seen["handoff"] == "interrupted: overloaded"
    from cc_guard.doctor.local import check_incidents

    report = check_incidents(isolated_env["claude"], isolated_env["state"], 60, time.time())
    assert set(report.data["by_kind"]) == {"overloaded"}  # doctor names it alike, once


# --------------------------------------------------------------------------- item 17


def _finished_turn(claude: Path) -> Path:
    """A turn that ended a few seconds ago (the transcript is fresh)."""
    return write(
        session_path(claude, SID),
        prompt("list the files", ts=iso(-10)),
        assistant("Here they are.", ts=iso(-8), use=usage(10, 0, 20_000, 5)),
    )


def test_a_session_idle_at_its_prompt_right_after_stop_is_idle_not_running(
    isolated_env: dict[str, Path],
) -> None:
    path = _finished_turn(isolated_env["claude"])
    hook("Stop", path)
    row = json.loads(cc("sessions", "--json").stdout)["sessions"][0]
    assert row["state"] == "idle", row
    status = json.loads(cc("status", SID, "--json").stdout)
    assert status["state"] == "idle"
    handoff = json.loads(cc("handoff", SID, "--format", "json").stdout)
    assert handoff["health"]["state"] == "idle"


def test_a_prompt_after_stop_is_running_again(isolated_env: dict[str, Path]) -> None:
    path = _finished_turn(isolated_env["claude"])
    hook("Stop", path)
    hook("UserPromptSubmit", path, prompt="and now the tests")
    assert json.loads(cc("sessions", "--json").stdout)["sessions"][0]["state"] == "running"


def test_right_after_session_end_resume_does_not_call_it_running(
    isolated_env: dict[str, Path],
) -> None:
    path = _finished_turn(isolated_env["claude"])
    hook("Stop", path)
    hook("SessionEnd", path, reason="prompt_input_exit")
    assert json.loads(cc("sessions", "--json").stdout)["sessions"][0]["state"] == "ended"
    proc = cc("resume", SID, "--mode", "continue", "--print")
    assert proc.returncode == 0, proc.stderr
    assert "still running" not in proc.stderr
    handoff = json.loads(cc("handoff", SID, "--format", "json").stdout)
    assert handoff["health"]["state"] == "ended"


# --------------------------------------------------------------------------- item 15


def test_cc_guards_own_prompts_are_never_the_users_request(isolated_env: dict[str, Path]) -> None:
    path = session_path(isolated_env["claude"], SID)
    write(
        path,
        prompt("Fix the login bug in auth.py", ts="2026-01-01T10:00:00.000Z"),
        api_error(ts="2026-01-01T10:00:01.000Z", status=529),
        synthetic_error(ts="2026-01-01T10:00:05.000Z", status=529),
        mtime=OLD,
    )
    first = continuation_prompt(store.make_handoff(path, isolated_env["state"]))
    assert "Fix the login bug in auth.py" in first
    # The resume failed too, while the upstream was still down.
    write(
        path,
        *[json.loads(line) for line in path.read_text().splitlines()],
        prompt(first, ts="2026-01-01T10:05:00.000Z"),
        api_error(ts="2026-01-01T10:05:01.000Z", status=529),
        synthetic_error(ts="2026-01-01T10:05:05.000Z", status=529),
        mtime=OLD,
    )
    h = store.make_handoff(path, isolated_env["state"])
    assert h.goal_latest == "Fix the login bug in auth.py"
    assert [m.text for m in h.user_messages] == ["Fix the login bug in auth.py"]
    second = continuation_prompt(h)
    assert second.count("[cc-guard]") == 1
    assert "Then carry on with the last request: Fix the login bug in auth.py" in second
    status = json.loads(cc("status", SID, "--json").stdout)
    assert [p["text"] for p in status["prompts"]] == ["Fix the login bug in auth.py"]
    assert status["turns"] == 1 and status["state"] == "interrupted"
    plan = cc("resume", SID, "--mode", "fresh", "--print")
    seed = "\n".join(line[2:] for line in plan.stdout.splitlines() if line.startswith("# "))
    assert "This session was interrupted and is being resumed" not in seed


# --------------------------------------------------------------------------- item 18


def _tokens_at(claude: Path, tokens: int, model: str) -> Path:
    return write(
        session_path(claude, SID),
        prompt("refactor everything", ts="2026-01-01T10:00:00.000Z"),
        api_error(ts="2026-01-01T10:00:01.000Z", status=529),
        assistant(
            "Working on it.",
            ts="2026-01-01T10:00:02.000Z",
            use=usage(10, 0, tokens - 10, 5),
            model=model,
            stop="end_turn",
        ),
        prompt("go on", ts="2026-01-01T10:01:00.000Z"),
        synthetic_error(ts="2026-01-01T10:01:05.000Z", status=529),
        mtime=OLD,
    )


@pytest.mark.parametrize(
    ("model", "tokens"), [("claude-sonnet-4-5", 170_000), ("claude-opus-5-5", 960_000)]
)
def test_auto_resume_starts_fresh_near_claude_codes_own_compaction_point(
    isolated_env: dict[str, Path], model: str, tokens: int
) -> None:
    _tokens_at(isolated_env["claude"], tokens, model)
    proc = cc("resume", SID, "--print")
    assert proc.returncode == 0, proc.stderr
    assert "resuming with --mode fresh" in proc.stderr
    assert "compact" in proc.stderr


def test_auto_resume_of_a_healthy_session_says_so_and_asks(isolated_env: dict[str, Path]) -> None:
    install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    sid = "11111111-aaaa-4bbb-8ccc-000000000001"
    declined = cc("resume", sid, "--print", stdin="n\n")
    assert declined.returncode == 1
    assert "healthy" in declined.stderr and "Nothing" in declined.stdout + declined.stderr
    assert "--resume" not in declined.stdout
    accepted = cc("resume", sid, "--print", stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    prompt_text = shlex.split(accepted.stdout.strip().split(" && ", 1)[1])[-1]
    assert "carry on with the last request" not in prompt_text
    assert "ended normally" in prompt_text
