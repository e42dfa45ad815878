"""The handoff and resume paths at their edges: secrets at a cut, FIFOs and devices where a
transcript should be, bursts of StopFailure hooks, cc-guard's own prompts in a transcript."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cc_guard.handoff import render, store
from tests.support.handoff import append_record, handoff_workers_for, install_fixture, run_hook

TODO_SID = "11111111-aaaa-4bbb-8ccc-000000000001"
OLD = 1_600_000_000

# An OpenSSH ed25519 private key's body: the last lines hold the whole secret seed.
KEY_LINES = [
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "QyNTUxOQAAACDQmA2pVzq7c3bE0J9Yb4Zt1xKJ2fQkq9bXv3aF0gHWkwAAAJg0c2JQNHNi",
    "UAAAAAtzc2gtZWQyNTUxOQAAACDQmA2pVzq7c3bE0J9Yb4Zt1xKJ2fQkq9bXv3aF0gHWkw",
    "AAAEBs8Rz1Ty5vPq2LmN4oW6eXa9dKj3Hg7Fc5Vb1Nm0Zx9NCYDalXOrtzdsTQn1hvhm3X",
    "EonZ9CSr1te/doXSAdaTAAAAEXVzZXJAZXhhbXBsZS5ob3N0AQIDBA==",
]
KEY = "\n".join(
    ["-----BEGIN OPENSSH PRIVATE KEY-----", *KEY_LINES, "-----END OPENSSH PRIVATE KEY-----"]
)


def _tool_turn(
    path: Path,
    tool_id: str,
    command: str,
    output: str,
    *,
    error: bool = False,
    n: int = 0,
    meta: bool = True,
) -> None:
    base = {"sessionId": TODO_SID, "cwd": "/home/dev/shop", "isSidechain": False}
    append_record(
        path,
        {
            **base,
            "type": "assistant",
            "timestamp": f"2026-03-01T12:0{n}:00.000Z",
            "message": {
                "id": f"msg_key_{tool_id}",
                "role": "assistant",
                "model": "claude-opus-5-5",
                "stop_reason": "tool_use",
                "content": [
                    {"type": "tool_use", "id": tool_id, "name": "Bash", "input": {"command": command}}
                ],
                "usage": {"input_tokens": 10, "output_tokens": 5},
            },
        },
    )
    append_record(
        path,
        {
            **base,
            "type": "user",
            "timestamp": f"2026-03-01T12:0{n}:01.000Z",
            "message": {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": tool_id, "content": output, "is_error": error}
                ],
            },
            **({"toolUseResult": {"stdout": output, "stderr": ""}} if meta else {}),
        },
    )
    os.utime(path, (OLD, OLD))


def _outputs(h: Any) -> list[str]:
    return [render.to_markdown(h), render.to_json(h), render.to_short(h)]


def test_a_private_key_at_the_end_of_a_command_output_never_reaches_the_handoff(
    isolated_env: dict[str, Path],
) -> None:
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    _tool_turn(path, "toolu_key1", "cat ~/.ssh/id_ed25519", "here it is:\n" + KEY + "\n")
    h = store.make_handoff(path, isolated_env["state"])
    assert any("id_ed25519" in c.command for c in h.commands)
    for out in _outputs(h):
        for line in KEY_LINES:
            assert line[:24] not in out


def test_a_secret_at_the_cut_of_a_long_failed_output_never_reaches_the_handoff(
    isolated_env: dict[str, Path],
) -> None:
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    jwt = (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsImV4cCI6OTk5OTk5OTk5OX0"
        ".c2lnbmF0dXJlc2lnbmF0dXJlc2ln"
    )
    head = "step ok\n" * 480
    head += "-" * (3997 - len(head) - jwt.index(".c2") - 1) + "\n"
    output = head + jwt + "\nExit code 1"  # the 4,000-character cut lands in its signature
    assert len(head) + jwt.index(".c2") < 4000 < len(head) + jwt.index(".c2") + 8
    _tool_turn(path, "toolu_key2", "./deploy.sh", output, error=True, meta=False)
    h = store.make_handoff(path, isolated_env["state"])
    assert h.commands[-1].command == "./deploy.sh"
    for out in _outputs(h):
        assert jwt[21:50] not in out


# --------------------------------------------------------------------------- FIFOs and devices


def _cc_guard(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cc_guard", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _special(kind: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    return path


@pytest.mark.parametrize("kind", ["fifo", "device"])
@pytest.mark.parametrize("command", ["handoff", "resume"])
def test_a_fifo_or_device_as_a_subagent_transcript_does_not_hang_handoff_or_resume(
    isolated_env: dict[str, Path], kind: str, command: str
) -> None:
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    _special(kind, path.with_suffix("") / "subagents" / "agent-a1b2c3.jsonl")
    args = [command, TODO_SID] + (["--mode", "continue", "--print"] if command == "resume" else [])
    proc = _cc_guard(*args)  # before: blocked on open() forever, or read /dev/zero forever
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_handoff_worker_given_a_fifo_or_device_exits_at_once(
    isolated_env: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    target = _special(kind, tmp_path / "weird" / f"{TODO_SID}.jsonl")
    proc = subprocess.run(
        [sys.executable, "-m", "cc_guard.handoff.worker", str(target), TODO_SID, "--force"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("event", ["Stop", "StopFailure", "SessionEnd"])
def test_a_hook_whose_transcript_path_is_a_fifo_leaves_no_worker_behind(
    isolated_env: dict[str, Path], tmp_path: Path, event: str
) -> None:
    fifo = _special("fifo", tmp_path / "t" / f"{TODO_SID}.jsonl")
    payload = {"session_id": TODO_SID, "transcript_path": str(fifo), "cwd": str(tmp_path)}
    proc = run_hook(event, payload, env={"CC_GUARD_HANDOFF_SYNC": "1"})
    assert proc.returncode == 0
    errors = isolated_env["state"] / "hook-errors.log"
    assert not errors.exists() or "gave up" not in errors.read_text()


def test_reading_a_transcript_stops_at_the_size_it_had_when_opened(tmp_path: Path) -> None:
    from cc_guard.base.fs import open_regular
    from cc_guard.transcripts.reader import iter_records

    path = tmp_path / "t.jsonl"
    path.write_text('{"type": "user", "n": 1}\n')
    fh = open_regular(path)
    assert fh is not None
    with fh, open(path, "a") as grow:
        grow.write('{"type": "user", "n": 2}\n')
        grow.flush()
        assert fh.read(1 << 20) == b'{"type": "user", "n": 1}\n'
    assert [r["n"] for r in iter_records(path)] == [1, 2]
    assert open_regular(tmp_path) is None  # a directory
    os.mkfifo(tmp_path / "f")
    assert open_regular(tmp_path / "f") is None


# --------------------------------------------------------------------------- worker bursts


def test_a_burst_of_stop_failure_hooks_leaves_one_worker_waiting_and_the_failure_is_kept(
    isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl
    import time

    from cc_guard.handoff.freshness import hidden_file, is_current

    monkeypatch.delenv("CC_GUARD_HANDOFF_SYNC", raising=False)
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    store.write_handoff(path, session_id=TODO_SID)
    lock = os.open(hidden_file(TODO_SID, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a slow build is running
    try:
        hooks = [
            subprocess.Popen(
                [sys.executable, "-m", "cc_guard", "hook", "StopFailure"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(8)
        ]
        for n, hook in enumerate(hooks):
            payload = {
                "session_id": TODO_SID,
                "transcript_path": str(path),
                "cwd": "/home/dev/shop",
                "error": "server_error",
                "last_assistant_message": f"API Error: attempt {n}",
            }
            assert hook.stdin is not None
            hook.stdin.write(json.dumps(payload).encode())
            hook.stdin.close()
        assert all(h.wait(timeout=60) == 0 for h in hooks)
        deadline = time.monotonic() + 30
        while len(handoff_workers_for(path)) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(handoff_workers_for(path)) == 1  # one waits for the running build; none queued
    finally:
        os.close(lock)
    deadline = time.monotonic() + 60
    while (handoff_workers_for(path) or not is_current(path, isolated_env["state"], TODO_SID)) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert handoff_workers_for(path) == []
    handoff = json.loads((isolated_env["state"] / "handoff" / f"{TODO_SID}.json").read_text())
    assert handoff["health"]["interrupted"] is True  # the waiting worker saw the failure
