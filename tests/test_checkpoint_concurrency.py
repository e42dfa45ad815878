"""Parallel hooks and hooks killed with SIGKILL: no lost checkpoint, no broken repo."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.checkpoints import (
    CC_GUARD,
    expected_tree,
    fsck_clean,
    git,
    make_repo,
    ref_sha,
    run_hook,
    tool_payload,
    tree_of,
)


def _start_hook(payload: dict[str, object]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(CC_GUARD), "hook", str(payload["hook_event_name"])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, so a kill takes its git children too
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(payload).encode())
    proc.stdin.close()
    return proc


def test_parallel_hooks_in_one_repo_and_two_worktrees(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "side", str(linked))
    linked = linked.resolve()
    procs = []
    sessions = []
    for i in range(8):
        tree = repo if i % 2 == 0 else linked
        (tree / f"file-{i}.txt").write_text(f"{i}\n")
        sid = f"session-{i % 4}"  # two hooks per session, racing each other
        sessions.append((sid, tree))
        procs.append(_start_hook(tool_payload(tree, sid)))
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    fsck_clean(repo)
    for sid, tree in set(sessions):
        sha = ref_sha(repo, sid)
        assert sha is not None, sid
        # The newest checkpoint holds every file written before its hooks started.
        assert tree_of(repo, sha) == expected_tree(tree), sid
        # And the chain is linear: every checkpoint's parent is the one before or HEAD.
        chain = git(repo, "rev-list", "--first-parent", sha).split()
        heads = {git(repo, "rev-parse", "main").strip(), git(repo, "rev-parse", "side").strip()}
        assert any(h in chain for h in heads)


def test_sigkill_at_random_points_leaves_fsck_clean_and_next_hook_works(
    tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    repo = make_repo(tmp_path / "repo")
    for i in range(300):  # enough files that a kill lands mid-work
        (repo / "src" / f"m{i}.py").write_text(f"x = {i}\n" * 20)
    rng = random.Random(1234)
    sid = "killed-session"
    for round_ in range(12):
        for i in rng.sample(range(300), 30):
            (repo / "src" / f"m{i}.py").write_text(f"round {round_} {i}\n")
        proc = _start_hook(tool_payload(repo, sid, "Bash"))
        time.sleep(rng.uniform(0, 0.25))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        fsck_clean(repo)
    # The next hook works and records exactly the work tree.
    (repo / "after.txt").write_text("after the kills\n")
    proc = run_hook("PostToolUse", tool_payload(repo, sid, "Write"))
    assert proc.returncode == 0
    sha = ref_sha(repo, sid)
    assert sha is not None
    assert tree_of(repo, sha) == expected_tree(repo)
    errors = isolated_env["state"] / "hook-errors.log"
    assert not errors.exists() or "Error" not in errors.read_text()
    fsck_clean(repo)


#: Rounds of the crash test below (CI runs the default; raise it for a long soak).
CRASH_ROUNDS = int(os.environ.get("CC_GUARD_CRASH_ROUNDS", "8"))


@pytest.mark.slow
def test_parallel_hooks_sigkilled_at_random_keep_git_sound_and_trees_exact(
    tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    from tests.support.checkpoints import user_state

    repo = make_repo(tmp_path / "repo")
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "side", str(linked))
    linked = linked.resolve()
    for tree in (repo, linked):
        for i in range(150):
            (tree / "src" / f"m{i}.py").write_text(f"x = {i}\n" * 20)
    before = {tree: user_state(tree) for tree in (repo, linked)}
    rng = random.Random(2026)
    sessions = [("crash-a", repo), ("crash-b", repo), ("crash-c", linked)]
    for round_ in range(CRASH_ROUNDS):
        for tree in (repo, linked):
            for i in rng.sample(range(150), 20):
                (tree / "src" / f"m{i}.py").write_text(f"round {round_} {i}\n")
        procs = [_start_hook(tool_payload(tree, sid, "Bash")) for sid, tree in sessions * 2]
        time.sleep(rng.uniform(0, 0.3))
        for proc in procs:
            if rng.random() < 0.6:
                # Claude Code's timeout kills the hook, not its git (own process group);
                # sometimes the whole group goes, as a closed terminal would do.
                with contextlib.suppress(ProcessLookupError):
                    if rng.random() < 0.5:
                        os.kill(proc.pid, signal.SIGKILL)
                    else:
                        os.killpg(proc.pid, signal.SIGKILL)
        for proc in procs:
            proc.wait(timeout=60)
        fsck_clean(repo)
    for sid, tree in sessions:
        proc = run_hook("PostToolUse", tool_payload(tree, sid, "Write"))
        assert proc.returncode == 0
        sha = ref_sha(repo, sid)
        assert sha is not None, sid
        assert tree_of(repo, sha) == expected_tree(tree), sid
    for tree in (repo, linked):
        after = user_state(tree)
        assert {k: v for k, v in after.items() if k != "worktree" and k != "status"} == {
            k: v for k, v in before[tree].items() if k != "worktree" and k != "status"
        }
    assert list((repo / ".git" / "objects").glob("*/tmp_obj_*")) == []
    errors = isolated_env["state"] / "hook-errors.log"
    assert not errors.exists() or "Error" not in errors.read_text()
    fsck_clean(repo)
