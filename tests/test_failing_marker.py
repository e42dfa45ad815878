"""When cc-guard itself fails where nobody watches (a bad config, a crashing handler), the
user hears of it: ``status`` and the statusline carry one short marker, ``doctor`` gets
the list (``cc_guard.state.errors``), and the plugin says once when cc-guard is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cc_guard.state import errors
from tests.support.transcripts import assistant, prompt, session_path, usage, write

CC_GUARD = str(Path(sys.executable).parent / "cc-guard")
SID = "11111111-aaaa-4000-8000-000000000001"
RUN_HOOK = Path(__file__).resolve().parents[1] / "hooks" / "run-hook"


def _session(claude: Path, project: Path) -> Path:
    return write(
        session_path(claude, SID, "-proj"),
        {**prompt("go", ts="2026-01-01T10:00:00.000Z"), "cwd": str(project)},
        {**assistant("Done.", ts="2026-01-01T10:00:05.000Z", use=usage()), "cwd": str(project)},
        mtime=1_700_000_000,
    )


def _statusline(project: Path) -> str:
    payload = {"session_id": SID, "cwd": str(project), "context_window": {"used_percentage": 3}}
    return subprocess.run(
        [CC_GUARD, "statusline"], input=json.dumps(payload), capture_output=True, text=True
    ).stdout.strip()


def test_a_broken_project_config_shows_in_status_and_the_statusline(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    _session(isolated_env["claude"], project)
    assert "error" not in _statusline(project)
    status = subprocess.run([CC_GUARD, "status", SID], capture_output=True, text=True)
    assert "cc-guard problem" not in status.stdout
    (project / ".cc-guard.toml").write_text("[checkpoints]\nmax_file_mb = 'lots'\n")
    payload = {"session_id": SID, "cwd": str(project), "tool_name": "Write", "tool_input": {}}
    hook = subprocess.run(
        [CC_GUARD, "hook", "PostToolUse"], input=json.dumps(payload), capture_output=True, text=True
    )
    assert hook.returncode == 0
    line = _statusline(project)
    assert line.endswith("| 1 cc-guard error"), line
    status = subprocess.run([CC_GUARD, "status", SID], capture_output=True, text=True)
    assert status.returncode == 0
    block = status.stdout.split("cc-guard problems")[1]
    assert ".cc-guard.toml" in block and str(isolated_env["state"] / "hook-errors.log") in block


def test_old_problems_raise_no_marker(isolated_env: dict[str, Path], tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    _session(isolated_env["claude"], project)
    isolated_env["state"].mkdir(parents=True, exist_ok=True)
    (isolated_env["state"] / "hook-errors.log").write_text(
        "2020-01-01T00:00:00.000+00:00 Stop something broke long ago\n"
    )
    assert "error" not in _statusline(project)
    status = subprocess.run([CC_GUARD, "status", SID], capture_output=True, text=True)
    assert "cc-guard problems" not in status.stdout


def test_doctor_can_list_what_failed(isolated_env: dict[str, Path]) -> None:
    state = str(isolated_env["state"])
    os.makedirs(state, exist_ok=True)
    errors.log("Stop", "first problem", state)
    errors.log("PostToolUse", "second problem", state)
    found = errors.failing(state, time.time())
    assert found is not None and found.count == 2
    assert found.newest.message == "second problem"
    assert [p.message for p in errors.recent(state)] == ["first problem", "second problem"]


# --------------------------------------------------------------------------- the plugin


def _launch(tmp_path: Path, event: str, payload: dict[str, object]) -> subprocess.CompletedProcess[str]:
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    for tool in ("cat", "tr"):
        if not (empty / tool).exists():
            (empty / tool).symlink_to(f"/bin/{tool}" if Path(f"/bin/{tool}").exists() else f"/usr/bin/{tool}")
    env = {"PATH": str(empty), "HOME": str(tmp_path)}
    return subprocess.run(
        ["/bin/sh", str(RUN_HOOK), event],
        input=json.dumps(payload),
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize("source", ["startup", "resume"])
def test_the_plugin_says_once_per_session_that_cc_guard_is_missing(
    tmp_path: Path, source: str
) -> None:
    start = _launch(tmp_path, "SessionStart", {"session_id": SID, "source": source})
    assert start.returncode == 0
    message = json.loads(start.stdout)["systemMessage"]
    assert "cc-guard is not installed" in message and "CC_GUARD_BIN" in message
    for event, payload in (
        ("SessionStart", {"session_id": SID, "source": "compact"}),
        ("Stop", {"session_id": SID}),
        ("PostToolUse", {"session_id": SID, "tool_name": "Write"}),
    ):
        quiet = _launch(tmp_path, event, payload)
        assert quiet.returncode == 0 and quiet.stdout == "", event


def test_doctor_counts_the_same_problems(isolated_env: dict[str, Path], tmp_path: Path) -> None:
    from cc_guard.doctor.local import check_hooks

    state = isolated_env["state"]
    state.mkdir(parents=True, exist_ok=True)
    errors.log("Stop", "a handler broke", str(state))
    errors.log("Stop", "and again", str(state))
    finding = check_hooks(isolated_env["claude"], tmp_path, state, time.time())
    assert finding.data["errors_last_hour"] == 2
    assert errors.failing(str(state)) is not None
