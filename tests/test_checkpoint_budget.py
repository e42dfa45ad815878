"""Checkpoints never stop for good when hashing outlasts the time budget.

Changed files are hashed in batches that fit the budget; each finished batch stays
in the private index, so the next hook goes on from there. When the budget runs
out, a checkpoint of what was hashed is taken and says so (trailers, the incident
log), and the statusline, ``status`` and ``doctor`` (``checkpoints.health``) say
checkpoints are behind until a complete one is taken. Slowness comes from a real
clean filter that sleeps, so the budget runs out the same way on any machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cc_guard.checkpoints import health
from cc_guard.checkpoints.history import checkpoint_summary, list_checkpoints
from cc_guard.checkpoints.snapshot import take_checkpoint
from cc_guard.config import CheckpointsConfig
from tests.support.checkpoints import (
    CC_GUARD,
    expected_tree,
    fsck_clean,
    git,
    make_repo,
    ref_sha,
    tree_of,
)

SID = "c0ffee00-1234-4abc-8def-000000000004"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "repo")
    git(repo, "config", "filter.slow.clean", "sleep 0.3; cat")
    (repo / ".gitattributes").write_text("*.slow filter=slow\n")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-q", "-m", "slow files")
    return repo


def _trailers(repo: Path, sha: str) -> dict[str, str]:
    body = git(repo, "log", "-1", "--format=%B", sha)
    return dict(line.split(": ", 1) for line in body.splitlines() if line.startswith("CC-Guard-"))


def _statusline(repo: Path) -> str:
    payload = {"session_id": SID, "cwd": str(repo), "model": {"id": "claude-opus-4-5"}}
    return subprocess.run(
        [str(CC_GUARD), "statusline"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout


def test_hashing_progress_carries_over_hooks_until_a_complete_checkpoint(
    repo: Path, isolated_env: dict[str, Path]
) -> None:
    assert take_checkpoint(repo, SID, "UserPromptSubmit") is not None
    for i in range(8):  # 2.4 s of hashing, a 1 s budget
        (repo / f"part{i}.slow").write_text(f"part {i}\n")
    settings = CheckpointsConfig(time_budget_seconds=1.0)
    pending: list[int] = []
    for _ in range(30):
        sha = take_checkpoint(repo, SID, "PostToolUse", "Bash", settings=settings)
        tip = ref_sha(repo, SID)
        assert tip is not None
        if sha is not None:
            pending.append(int(_trailers(repo, sha).get("CC-Guard-Pending", "0")))
        if tree_of(repo, tip) == expected_tree(repo):
            break
        assert "behind" in _statusline(repo)
        report = health(repo)
        assert [b.session_id for b in report.behind] == [SID]
        assert "BEHIND: " in str(checkpoint_summary(repo, SID)["note"])
    assert tree_of(repo, tip) == expected_tree(repo), "checkpoints never caught up"
    # Partial checkpoints came first, each with fewer files left, then a complete one.
    assert pending[-1] == 0 and len(pending) >= 2 and pending[0] > 0
    assert pending == sorted(pending, reverse=True)
    assert "partial" in list_checkpoints(repo, SID)[1].subject or _trailers(
        repo, list_checkpoints(repo, SID)[1].sha
    ).get("CC-Guard-Pending")
    incidents = (isolated_env["state"] / "checkpoint-incidents.jsonl").read_text().splitlines()
    assert any(json.loads(line)["kind"] == "partial" for line in incidents)
    # Caught up: nothing says behind any more.
    assert "behind" not in _statusline(repo)
    assert health(repo).behind == []
    assert "BEHIND" not in str(checkpoint_summary(repo, SID)["note"])
    fsck_clean(repo)


def test_a_file_too_slow_to_hash_alone_is_left_out_until_it_changes(repo: Path) -> None:
    git(repo, "config", "filter.slow.clean", "sleep 3; cat")
    assert take_checkpoint(repo, SID, "UserPromptSubmit") is not None
    (repo / "huge.slow").write_text("takes longer than any budget\n")
    (repo / "notes.txt").write_text("an ordinary change\n")
    settings = CheckpointsConfig(time_budget_seconds=1.0)
    said = ""
    for _ in range(6):  # until it has been tried alone, with the whole budget
        take_checkpoint(repo, SID, "Stop", settings=settings)
        said = "\n".join(
            git(repo, "log", "-1", "--format=%B", c.sha) for c in list_checkpoints(repo, SID)
        )
        if "CC-Guard-Too-Slow" in said:
            break
    assert "CC-Guard-Too-Slow: 1" in said and "huge.slow" in said
    tip = ref_sha(repo, SID)
    assert tip is not None
    assert "huge.slow" not in tree_of(repo, tip)
    assert git(repo, "show", f"{tip}:notes.txt") == "an ordinary change\n"
    assert health(repo).behind and "too slow" in health(repo).behind[0].reason
    # The next hooks leave it out at once: no time goes to it while it is unchanged.
    assert take_checkpoint(repo, SID, "Stop", settings=settings) is None
    assert ref_sha(repo, SID) == tip
    # A change to the file gives it another try.
    git(repo, "config", "filter.slow.clean", "cat")
    (repo / "huge.slow").write_text("now it is quick\n")
    assert take_checkpoint(repo, SID, "Stop", settings=settings) is not None
    tip = ref_sha(repo, SID)
    assert tip is not None and tree_of(repo, tip) == expected_tree(repo)
    assert health(repo).behind == []


def test_a_checkpoint_that_times_out_before_hashing_says_it_is_behind(repo: Path) -> None:
    assert take_checkpoint(repo, SID, "UserPromptSubmit") is not None
    (repo / "notes.txt").write_text("changed\n")
    settings = CheckpointsConfig(time_budget_seconds=0.0001)
    assert take_checkpoint(repo, SID, "Stop", settings=settings) is None
    assert "behind" in _statusline(repo)
    assert health(repo).behind[0].files is None
    assert take_checkpoint(repo, SID, "Stop") is not None
    assert "behind" not in _statusline(repo)


def test_status_says_when_checkpoints_are_behind(repo: Path) -> None:
    from cc_guard.transcripts.model import SessionModel
    from cc_guard.views.status import render_status

    assert take_checkpoint(repo, SID, "UserPromptSubmit") is not None
    for i in range(8):
        (repo / f"part{i}.slow").write_text(f"part {i}\n")
    take_checkpoint(repo, SID, "Stop", settings=CheckpointsConfig(time_budget_seconds=1.0))
    session = SessionModel(session_id=SID, transcript_path="t.jsonl", project_dir=str(repo))
    text = render_status(session, checkpoint_summary(repo, SID), 0.0)
    line = next(line for line in text.splitlines() if line.startswith("git "))
    assert "BEHIND: 8 changed file(s) not in a checkpoint (partial checkpoint: " in line


def test_the_restore_safety_checkpoint_is_never_partial(repo: Path) -> None:
    from cc_guard.checkpoints.snapshot import checkpoint_or_tip
    from cc_guard.git import DeadlineExceeded

    assert take_checkpoint(repo, SID, "UserPromptSubmit") is not None
    for i in range(8):
        (repo / f"part{i}.slow").write_text(f"part {i}\n")
    tip = ref_sha(repo, SID)
    settings = CheckpointsConfig(time_budget_seconds=1.0)
    with pytest.raises(DeadlineExceeded):
        checkpoint_or_tip(repo, SID, "PreRestore", None, [], None, settings, partial_ok=False)
    assert ref_sha(repo, SID) == tip


def test_health_lists_and_sweep_removes_stale_temp_objects_only(
    repo: Path, isolated_env: dict[str, Path]
) -> None:
    import os
    import time

    from cc_guard.checkpoints import sweep

    objects = repo / ".git" / "objects" / "ab"
    objects.mkdir(parents=True, exist_ok=True)
    stale = objects / "tmp_obj_stale1"
    fresh = objects / "tmp_obj_fresh1"  # as a live git's would be
    stale.write_bytes(b"x" * 4096)
    fresh.write_bytes(b"y" * 10)
    old = time.time() - 7200
    os.utime(stale, (old, old))
    report = health(repo)
    assert report.stale_temp_objects == [str(stale)] and report.stale_temp_bytes == 4096
    assert any("temp objects" in f.message for f in report.findings())
    assert sweep(repo) == [str(stale)]
    assert not stale.exists() and fresh.exists()
    assert health(repo).stale_temp_objects == []


def test_health_is_data_a_doctor_can_render(repo: Path) -> None:
    assert take_checkpoint(repo, SID, "Stop") is not None
    report = health(repo)
    assert report.repo == str(repo) and report.ok
    assert [(f.level, f.message) for f in report.findings()] == [
        ("ok", "checkpoints are up to date")
    ]
    assert sys.modules["cc_guard.checkpoints.checkup"].health is health
