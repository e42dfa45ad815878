"""Claude Code moves weekly: what a newer version writes that cc-guard does not know (hook
events, record types, record fields) is kept, skipped or counted, never reported as a
failure. The real CLI of every pinned version runs the real-CLI tests (tests/support/
testbed.py ``CLAUDE_CODE_VERSIONS``); these check the parts that need no CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.transcripts import assistant, prompt, session_path, usage, write

CC_GUARD = str(Path(sys.executable).parent / "cc-guard")
SID = "11111111-aaaa-4000-8000-000000000001"


def cc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CC_GUARD, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_install_keeps_hooks_for_events_it_does_not_know_and_says_nothing_of_them(
    isolated_env: dict[str, Path],
) -> None:
    settings = isolated_env["claude"] / "settings.json"
    settings.parent.mkdir(parents=True)
    mine = {
        "PreSkillShellCommand": [{"hooks": [{"type": "command", "command": "audit-skill"}]}],
        "SomeEventOf2027": [{"matcher": "*", "hooks": [{"type": "command", "command": "x"}]}],
        "AnEventWithAnotherShape": {"command": "y"},
    }
    original = json.dumps({"hooks": mine}, indent=2) + "\n"
    settings.write_text(original)
    installed = cc("install")
    assert installed.returncode == 0, installed.stderr
    assert installed.stderr == ""
    assert "unknown" not in installed.stdout.lower() and "warning" not in installed.stdout.lower()
    data = json.loads(settings.read_text())
    for event, value in mine.items():
        assert data["hooks"][event] == value
    removed = cc("uninstall")
    assert removed.returncode == 0 and removed.stderr == ""
    assert settings.read_text() == original


def test_records_and_fields_of_a_newer_version_are_counted_not_reported(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    newer = {
        **prompt("go", ts="2026-01-01T10:00:00.000Z"),
        "rowSource": "local",  # 2.1.332: known, not even counted
        "sentAtMs": 1767261600000,
        "version": "2.1.400",
        "someFieldOf2027": True,
    }
    write(
        session_path(isolated_env["claude"], SID),
        newer,
        {"type": "api-request", "thread": {"type": "none"}, "echoWireToolInputs": False},
        {"type": "a-record-of-2027", "timestamp": "2026-01-01T10:00:01.000Z"},
        assistant("Done.", ts="2026-01-01T10:00:05.000Z", use=usage()),
        mtime=1_767_261_606,
    )
    for args in (["sessions"], ["status", SID]):
        proc = cc(*args)
        assert proc.returncode == 0 and proc.stderr == ""
        assert "unknown" not in proc.stdout and "2027" not in proc.stdout
    stats = json.loads(cc("status", SID, "--json").stdout)["stats"]
    assert stats["unknown_record_types"] == {"a-record-of-2027": 1}
    assert stats["unknown_fields"] == {"user.someFieldOf2027": 1}


def test_an_unknown_hook_event_is_logged_quietly(isolated_env: dict[str, Path]) -> None:
    payload = {"session_id": SID, "cwd": "/tmp", "hook_event_name": "PreSkillShellCommand"}
    for event in ("PreSkillShellCommand", "SomeEventOf2027"):
        proc = subprocess.run(
            [CC_GUARD, "hook", event], input=json.dumps(payload), capture_output=True, text=True
        )
        assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    assert not (isolated_env["state"] / "hook-errors.log").exists()
    events = (isolated_env["state"] / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"] for line in events] == [
        "PreSkillShellCommand",
        "SomeEventOf2027",
    ]
