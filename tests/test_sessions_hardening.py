"""``sessions`` and ``status`` at the edges: odd directory entries, locked or unusable state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.transcripts import assistant, prompt, session_path, usage, write

SID = "11111111-aaaa-4000-8000-000000000001"
OLD = 1_700_000_000.0


def cc_guard(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cc_guard", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def one_session(isolated_env: dict[str, Path]) -> Path:
    return write(
        session_path(isolated_env["claude"], SID, "-here"),
        prompt("fix the bug", ts="2026-01-01T10:00:00.000Z"),
        assistant("Fixed.", ts="2026-01-01T10:00:05.000Z", use=usage(10, 0, 89_990, 5)),
        mtime=OLD,
    )


@pytest.mark.parametrize("args", [["sessions"], ["sessions", "--json"], ["status", SID[:8]]])
def test_looping_symlinks_under_the_projects_dir_are_skipped(
    one_session: Path, args: list[str]
) -> None:
    projects = one_session.parent.parent
    (projects / "loop").symlink_to("loop")  # a project dir that loops
    (one_session.parent / "self.jsonl").symlink_to("self.jsonl")  # a transcript that loops
    (one_session.parent / SID).mkdir()
    (one_session.parent / SID / "subagents").symlink_to("subagents")  # subagents that loop
    for _ in range(2):  # a cold run, then one from the index and the result cache
        proc = cc_guard(*args)
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        assert SID[:8] in proc.stdout
    if args == ["sessions", "--json"]:
        assert [s["session_id"] for s in json.loads(proc.stdout)["sessions"]] == [SID]
