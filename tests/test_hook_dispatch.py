"""``cc-guard hook <Event>``: always exit 0, log events and errors, run handlers, print output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cc_guard.base.hookio import HookEvent, HookOutput
from cc_guard.runtime import hook as dispatch
from tests.support.checkpoints import CC_GUARD, git, make_repo, ref_sha, run_hook, tool_payload

SID = "9e0c1d2f-1111-4222-8333-444455556666"


def _errors(state: Path) -> str:
    path = state / "hook-errors.log"
    return path.read_text() if path.exists() else ""


def _events(state: Path) -> list[dict[str, Any]]:
    path = state / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize(
    "stdin", [b"", b"   \n", b"not json at all {", b"[1, 2, 3]", b"\xff\xfe\x00garbage", b'"str"']
)
def test_garbage_or_empty_stdin_exits_0_and_is_logged(
    stdin: bytes, isolated_env: dict[str, Path]
) -> None:
    proc = run_hook("PostToolUse", stdin)
    assert proc.returncode == 0
    assert proc.stdout == b"" and b"Traceback" not in proc.stderr
    log = _errors(isolated_env["state"])
    assert "PostToolUse" in log and len(log.splitlines()) == 1


def test_an_event_newer_than_cc_guard_is_recorded_and_not_reported_as_a_failure(
    tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    proc = run_hook("PreSkillShellCommandV2", {"session_id": SID, "cwd": str(tmp_path)})
    assert proc.returncode == 0
    assert proc.stdout == b"" or proc.stdout == ""
    assert _errors(isolated_env["state"]) == ""
    assert _events(isolated_env["state"])[-1]["event"] == "PreSkillShellCommandV2"


def test_event_log_line_has_the_agreed_fields(
    tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    payload = {
        "session_id": SID,
        "cwd": str(tmp_path),
        "transcript_path": "/x/y.jsonl",
        "hook_event_name": "StopFailure",
        "error": "server_error",
        "last_assistant_message": "API Error: 529 secret-ish text",
    }
    assert run_hook("StopFailure", payload).returncode == 0
    record = _events(isolated_env["state"])[-1]
    assert record["event"] == "StopFailure" and record["session_id"] == SID
    assert record["cwd"] == str(tmp_path) and record["transcript_path"] == "/x/y.jsonl"
    assert record["error"] == "server_error"
    assert "claude_pid" in record and record["claude_pid"] is None
    assert "last_assistant_message" not in record
    assert record["time"].endswith("+00:00")
    assert oct((isolated_env["state"] / "events.jsonl").stat().st_mode & 0o777) == "0o600"


def test_claude_pid_is_found_by_walking_parents(
    tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    payload_file = tmp_path / "payload.json"
    payload_file.write_text(json.dumps({"session_id": SID, "cwd": str(tmp_path)}))
    # A parent whose argv[0] is "claude", running the hook through a shell like Claude Code.
    script = f'"{CC_GUARD}" hook Stop < "{payload_file}"; echo $PPID'
    proc = subprocess.run(
        ["bash", "-c", f"exec -a claude bash -c {json.dumps(script)}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    record = _events(isolated_env["state"])[-1]
    assert isinstance(record["claude_pid"], int)
    cmdline = Path(f"/proc/{os.getpid()}/cmdline")
    assert cmdline.exists()  # /proc is there, so the walk had something to read


def test_post_tool_use_write_checkpoints_and_read_does_not(
    tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "new.py").write_text("x = 1\n")
    assert run_hook("PostToolUse", tool_payload(repo, SID, "Read")).returncode == 0
    assert ref_sha(repo, SID) is None
    payload = tool_payload(repo, SID, "Write", tool_input={"file_path": str(repo / "new.py")})
    proc = run_hook("PostToolUse", payload)
    assert proc.returncode == 0 and proc.stdout == b""
    sha = ref_sha(repo, SID)
    assert sha is not None
    assert (
        git(repo, "log", "-1", "--format=%s", sha).strip() == "cc-guard: PostToolUse Write new.py"
    )
    assert _errors(isolated_env["state"]) == ""


def test_extra_tools_from_config_checkpoint(tmp_path: Path, isolated_env: dict[str, Path]) -> None:
    repo = make_repo(tmp_path / "repo")
    isolated_env["config"].parent.mkdir(parents=True, exist_ok=True)
    isolated_env["config"].write_text('[checkpoints]\nextra_tools = ["mcp__fs__write"]\n')
    (repo / "new.py").write_text("x = 1\n")
    assert run_hook("PostToolUse", tool_payload(repo, SID, "mcp__other__thing")).returncode == 0
    assert ref_sha(repo, SID) is None
    assert run_hook("PostToolUse", tool_payload(repo, SID, "mcp__fs__write")).returncode == 0
    assert ref_sha(repo, SID) is not None


@pytest.mark.parametrize(
    ("command", "expect"),
    [
        ("rm notes.txt", True),
        ("git reset --hard", True),
        ("git -C . checkout -- src/app.py", True),
        ("git -c core.pager=cat stash", True),
        ("git --work-tree . clean -fd", True),
        ("git -C . status", False),
        ("echo x > " + "a" * 300, True),  # can't be told (ENAMETOOLONG): yes, not a crash
        ("echo hi > README.md", True),
        ("ls -la", False),
        ("git status", False),
        ("echo hi > brand-new.txt", False),
    ],
)
def test_pre_tool_use_checkpoints_before_destructive_bash(
    tmp_path: Path, command: str, expect: bool
) -> None:
    repo = make_repo(tmp_path / "repo")
    payload = tool_payload(repo, SID, "Bash", event="PreToolUse", tool_input={"command": command})
    assert run_hook("PreToolUse", payload).returncode == 0
    sha = ref_sha(repo, SID)
    assert (sha is not None) == expect
    if sha:
        assert "CC-Guard-Event: PreToolUse" in git(repo, "log", "-1", "--format=%B", sha)


@pytest.mark.parametrize(
    "event", ["UserPromptSubmit", "Stop", "StopFailure", "PreCompact", "SessionEnd"]
)
def test_lifecycle_events_checkpoint(tmp_path: Path, event: str) -> None:
    repo = make_repo(tmp_path / "repo")
    payload = {"session_id": SID, "cwd": str(repo), "hook_event_name": event, "prompt": "go\nnow"}
    assert run_hook(event, payload).returncode == 0
    sha = ref_sha(repo, SID)
    assert sha is not None
    assert f"CC-Guard-Event: {event}" in git(repo, "log", "-1", "--format=%B", sha)


# In-process tests of the handler table, output format and deadline.


def _run_in_process(
    monkeypatch: pytest.MonkeyPatch, event: str, payload: dict[str, Any], handlers: list[str]
) -> int:
    r, w = os.pipe()
    os.write(w, json.dumps(payload).encode())
    os.close(w)
    monkeypatch.setattr(sys, "stdin", open(r, "rb", closefd=True))  # noqa: SIM115
    monkeypatch.setitem(dispatch.HANDLERS, event, handlers)
    return dispatch.main([event])


def context_handler(event: HookEvent) -> HookOutput:
    return HookOutput(additional_context=f"seed for {event.session_id}", system_message="hello")


def failing_handler(event: HookEvent) -> HookOutput:
    raise RuntimeError("boom")


def slow_handler(event: HookEvent) -> None:
    time.sleep(30)


def test_outputs_are_printed_as_claude_code_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = f"{__name__}:context_handler"
    rc = _run_in_process(
        monkeypatch, "SessionStart", {"session_id": SID, "cwd": str(tmp_path)}, [spec]
    )
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "hookSpecificOutput": {
            "hookEventName": "SessionStart",
            "additionalContext": f"seed for {SID}",
        },
        "systemMessage": "hello",
    }


def test_a_failing_handler_is_logged_and_the_next_still_runs(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    isolated_env: dict[str, Path],
) -> None:
    specs = [f"{__name__}:failing_handler", "no.such.module:fn", f"{__name__}:context_handler"]
    rc = _run_in_process(
        monkeypatch, "UserPromptSubmit", {"session_id": SID, "cwd": str(tmp_path)}, specs
    )
    assert rc == 0
    assert "additionalContext" in capsys.readouterr().out
    log = _errors(isolated_env["state"])
    assert "RuntimeError: boom" in log and "no.such.module" in log


def test_the_whole_hook_is_bounded_by_a_deadline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    monkeypatch.setenv(dispatch.DEADLINE_ENV, "0.3")
    started = time.monotonic()
    rc = _run_in_process(
        monkeypatch, "Stop", {"session_id": SID, "cwd": str(tmp_path)}, [f"{__name__}:slow_handler"]
    )
    assert rc == 0
    assert time.monotonic() - started < 10
    assert "gave up" in _errors(isolated_env["state"])


def test_stdin_that_never_closes_does_not_hang(
    tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    proc = subprocess.Popen(
        [str(CC_GUARD), "hook", "Stop"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write(b'{"session_id": "x"')
    proc.stdin.flush()
    assert proc.wait(timeout=30) == 0
    proc.stdin.close()
    assert "not JSON" in _errors(isolated_env["state"])


def test_hook_help_goes_through_click() -> None:
    proc = subprocess.run(
        [str(CC_GUARD), "hook", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "EVENT" in proc.stdout


def test_an_unwritable_event_log_still_checkpoints(
    tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    repo = make_repo(tmp_path / "repo")
    (isolated_env["state"] / "events.jsonl").mkdir(parents=True)  # appending to it fails
    proc = run_hook("PostToolUse", tool_payload(repo, SID, "Write"))
    assert proc.returncode == 0
    assert ref_sha(repo, SID) is not None
    assert "event log not written" in _errors(isolated_env["state"])


def test_an_unusable_state_dir_exits_0_and_says_so_on_stderr(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = dict(os.environ, CC_GUARD_HOME=str(blocker / "state"))  # cannot be created
    proc = run_hook("PostToolUse", tool_payload(tmp_path, SID, "Write"), env=env)
    assert proc.returncode == 0 and proc.stdout == b""
    assert b"cc-guard:" in proc.stderr and b"Traceback" not in proc.stderr
