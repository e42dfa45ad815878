"""What a new user reads: first-run messages that say where cc-guard looked and what to
do; one way to write times, shas and counts in every view; diagnostics only on request."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cc_guard.checkpoints.snapshot import take_checkpoint
from tests.support.checkpoints import make_repo
from tests.support.transcripts import assistant, prompt, session_path, usage, write

CC_GUARD = str(Path(sys.executable).parent / "cc-guard")
SID = "11111111-aaaa-4000-8000-000000000001"


def cc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CC_GUARD, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "TZ": "UTC"},
    )


@pytest.mark.parametrize("args", [["sessions"], ["sessions", "--json"], []])
def test_the_first_run_says_where_it_looked_and_what_to_do(
    isolated_env: dict[str, Path], args: list[str]
) -> None:
    (isolated_env["claude"] / "projects").mkdir(parents=True)
    for _ in range(2):  # a fresh listing, then the stored one
        proc = cc(*args)
        assert proc.returncode == 0, proc.stderr
        if args == ["sessions", "--json"]:
            assert json.loads(proc.stdout) == {"sessions": []}
            continue
        assert str(isolated_env["claude"] / "projects") in proc.stdout
        assert "claude" in proc.stdout and "cc-guard install" in proc.stdout


def test_status_with_no_session_here_says_where_it_looked(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    (isolated_env["claude"] / "projects").mkdir(parents=True)
    proc = cc("status", cwd=tmp_path)
    assert proc.returncode == 1
    assert str(tmp_path) in proc.stderr and "cc-guard sessions" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def _drifted_session(claude: Path, project: Path) -> Path:
    newer = {
        **prompt("go", ts="2026-01-01T10:00:00.000Z"),
        "cwd": str(project),
        "rowSource": "local",
        "sentAtMs": 1767261600000,
    }
    done = {
        **assistant("Done.", ts="2026-01-01T10:00:05.123Z", use=usage()),
        "cwd": str(project),
        "failedHookErrorIndexes": [],
    }
    drift = {"type": "brand-new-record", "timestamp": "2026-01-01T10:00:06.000Z"}
    return write(session_path(claude, SID, "-proj"), newer, done, drift, mtime=1_767_261_606)


def test_status_keeps_format_drift_for_verbose_and_json(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    _drifted_session(isolated_env["claude"], tmp_path)
    plain = cc("status", SID)
    assert plain.returncode == 0, plain.stderr
    for word in ("unknown", "failedHookErrorIndexes", "rowSource", "brand-new-record"):
        assert word not in plain.stdout
    verbose = cc("status", SID, "--verbose")
    assert verbose.returncode == 0
    assert "failedHookErrorIndexes" in verbose.stdout and "brand-new-record" in verbose.stdout
    stats = json.loads(cc("status", SID, "--json").stdout)["stats"]
    assert stats["unknown_fields"]["assistant.failedHookErrorIndexes"] == 1
    assert stats["unknown_record_types"] == {"brand-new-record": 1}


_RAW_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def test_times_shas_and_counts_are_written_one_way(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    _drifted_session(isolated_env["claude"], repo)
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None
    listing = cc("checkpoints", SID, cwd=repo)
    assert listing.returncode == 0, listing.stderr
    assert "1 checkpoint)" in listing.stdout and "1 checkpoints" not in listing.stdout
    status = cc("status", SID, cwd=repo).stdout
    assert not _RAW_ISO.search(status), status  # no raw ISO with milliseconds
    assert "2026-01-01 10:00:05 UTC" in status
    stamp = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ([A-Z]+)", listing.stdout)
    assert stamp is not None and stamp.group(1) == "UTC"  # the zone is named in both
    from cc_guard.views.fmt import short_sha

    assert f"\n{short_sha(sha)}  " in listing.stdout and f"newest {short_sha(sha)})" in status
    payload = {"session_id": SID, "cwd": str(repo), "context_window": {"used_percentage": 1}}
    line = subprocess.run(
        [CC_GUARD, "statusline"], input=json.dumps(payload), capture_output=True, text=True
    ).stdout
    assert f"ckpt {short_sha(sha)} " in line
