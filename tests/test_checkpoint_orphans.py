"""What killed processes leave behind: a live git's locks stay, dead ones' files go.

Claude Code kills a hook that runs past its timeout, but not the git the hook
started: that git keeps running and keeps its ``index.lock``. The next hook must
wait for it, not take the lock for a stale one. Temp files of processes that died
(``.<name>.<pid>.<n>.tmp``, a killed git's ``tmp_obj_*``) are removed; a live
process's never are.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cc_guard.base.fs import sweep_temp_files, temp_name
from cc_guard.checkpoints.snapshot import index_path, take_checkpoint
from cc_guard.config import CheckpointsConfig
from cc_guard.git import find_repo
from tests.support.checkpoints import (
    CC_GUARD,
    expected_tree,
    fsck_clean,
    git,
    make_repo,
    ref_sha,
    tool_payload,
    tree_of,
)

SID = "c0ffee00-1234-4abc-8def-000000000014"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _start_hook(payload: dict[str, object]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(CC_GUARD), "hook", str(payload["hook_event_name"])],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(payload).encode())
    proc.stdin.close()
    return proc


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_next_hook_never_deletes_the_index_lock_of_a_git_that_outlived_its_hook(
    repo: Path, tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    # A clean filter that takes a while keeps the hook's update-index (and its lock)
    # alive long after the hook itself is killed.
    pids = tmp_path / "filter-pids"
    git(repo, "config", "filter.slow.clean", f"echo $$ >> {pids}; sleep 3; cat")
    (repo / ".gitattributes").write_text("slow.txt filter=slow\n")
    (repo / ".cc-guard.toml").write_text("[checkpoints]\ntime_budget_seconds = 30\n")
    assert take_checkpoint(repo, SID, "UserPromptSubmit") is not None
    (repo / "slow.txt").write_text("hashed through the slow filter\n")
    found = find_repo(repo, time.monotonic() + 60)
    assert found is not None
    lock = Path(f"{index_path(found, SID)}.lock")
    first = _start_hook(tool_payload(repo, SID, "Bash"))
    deadline = time.monotonic() + 30
    while not (pids.exists() and pids.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.02)
    filter_pid = int(pids.read_text().split()[0])
    assert lock.exists()
    os.kill(first.pid, signal.SIGKILL)  # the hook only, as Claude Code's timeout does
    first.wait(timeout=10)
    inode = lock.stat().st_ino
    second = _start_hook(tool_payload(repo, SID, "Bash"))
    while _alive(filter_pid):
        # The orphaned git's lock is never taken away while it runs.
        assert lock.exists() and lock.stat().st_ino == inode
        time.sleep(0.02)
    assert second.wait(timeout=60) == 0
    sha = ref_sha(repo, SID)
    assert sha is not None and tree_of(repo, sha) == expected_tree(repo)
    errors = isolated_env["state"] / "hook-errors.log"
    assert not errors.exists(), errors.read_text()
    fsck_clean(repo)


def test_temp_files_of_dead_processes_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    directory = tmp_path / "state"
    directory.mkdir()
    dead = directory / f".events.jsonl.{_dead_pid()}.0.tmp"
    dead_lock = directory / f".x.index.{_dead_pid()}.3.tmp.lock"
    live = Path(temp_name(directory / "feed.json"))
    foreign = directory / ".notes.txt.tmp"  # not a name cc-guard makes
    users = directory / ".report.123.tmp"
    for path in (dead, dead_lock, live, foreign, users):
        path.write_text("x")
    removed = sweep_temp_files(directory)
    assert sorted(removed) == sorted([str(dead), str(dead_lock)])
    assert live.exists() and foreign.exists() and users.exists()
    # A live pid's temp file that is hours old belongs to a reused pid.
    old = time.time() - 7200
    os.utime(live, (old, old))
    assert sweep_temp_files(directory) == [str(live)]


def test_a_new_session_sweeps_the_state_dir_of_dead_processes_temp_files(
    repo: Path, isolated_env: dict[str, Path]
) -> None:
    state = isolated_env["state"]
    assert take_checkpoint(repo, SID, "Stop") is not None
    feeds = state / "statusline"
    feeds.mkdir(exist_ok=True)
    leftovers = [
        state / f".events.jsonl.{_dead_pid()}.0.tmp",
        feeds / f".{SID}.json.{_dead_pid()}.1.tmp",
    ]
    found = find_repo(repo, time.monotonic() + 60)
    assert found is not None
    leftovers.append(index_path(found, SID).parent / f".{SID}.x.index.{_dead_pid()}.0.tmp")
    for path in leftovers:
        path.write_text("half written")
    (repo / "notes.txt").write_text("changed\n")
    assert take_checkpoint(repo, "another-session", "Stop") is not None
    assert [p for p in leftovers if p.exists()] == []


def test_a_git_killed_at_the_time_budget_leaves_no_temp_object(repo: Path) -> None:
    # One object far too big to write within the budget: its git is killed mid-write.
    big = os.urandom(1024 * 1024) * 150
    (repo / "big.bin").write_bytes(big)
    objects = repo / ".git" / "objects"
    settings = CheckpointsConfig(max_file_mb=1000, time_budget_seconds=0.6)
    for _ in range(3):
        take_checkpoint(repo, SID, "Stop", settings=settings)
        assert sorted(p.name for p in objects.glob("*/tmp_obj_*")) == []
    fsck_clean(repo)


def test_a_restore_removes_the_temp_files_a_killed_restore_left_in_the_work_tree(
    repo: Path,
) -> None:
    from cc_guard.checkpoints import restore_checkpoint

    first = take_checkpoint(repo, SID, "Stop")
    assert first is not None
    (repo / "src" / "app.py").write_text("changed\n")
    assert take_checkpoint(repo, SID, "Stop") is not None
    leftover = repo / "src" / f".app.py.{_dead_pid()}.0.cc-guard.tmp"
    leftover.write_text("half a restore")
    users = repo / "src" / f".app.py.{_dead_pid()}.0.tmp"  # not tagged: not ours
    users.write_text("the user's")
    restore_checkpoint(repo, first)
    assert (repo / "src" / "app.py").read_text() == "print('hi')\n"
    assert not leftover.exists() and users.exists()


def test_killing_a_git_at_the_budget_never_removes_the_session_lock_file(repo: Path) -> None:
    # The killed git inherited the session's lock file; only what it made itself goes.
    git(repo, "config", "filter.slow.clean", "sleep 2; cat")
    (repo / ".gitattributes").write_text("*.slow filter=slow\n")
    assert take_checkpoint(repo, SID, "Stop") is not None
    found = find_repo(repo, time.monotonic() + 60)
    assert found is not None
    lock_file = index_path(found, SID).parent / f"{SID}.lock"
    inode = lock_file.stat().st_ino
    (repo / "a.slow").write_text("slow\n")
    take_checkpoint(repo, SID, "Stop", settings=CheckpointsConfig(time_budget_seconds=0.8))
    assert lock_file.exists() and lock_file.stat().st_ino == inode
