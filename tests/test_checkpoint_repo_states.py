"""Checkpoints in every repository state the issue lists under "Works in"."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cc_guard.checkpoints.snapshot import take_checkpoint
from tests.support.checkpoints import (
    expected_tree,
    fsck_clean,
    git,
    make_repo,
    ref_sha,
    run_hook,
    tool_payload,
    tree_of,
    user_state,
)

SID = "5a1d3c2e-0000-4000-8000-00000000beef"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def _checkpoint_keeps_user_state(repo: Path, cwd: Path | None = None, sid: str = SID) -> str:
    before = user_state(repo)
    (repo / "agent-wrote.txt").write_text(f"by {sid}\n")
    sha = take_checkpoint(cwd or repo, sid, "PostToolUse", "Write")
    assert sha is not None
    assert tree_of(repo, sha) == expected_tree(repo)
    after = user_state(repo)
    before["worktree"].pop("agent-wrote.txt", None)
    after["worktree"].pop("agent-wrote.txt", None)
    for key in ("special", "refs", "stash", "config", "rebase", "worktree"):
        assert after[key] == before[key], key
    fsck_clean(repo)
    return sha


def test_linked_worktrees_get_their_own_trees_on_shared_refs(repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(linked))
    (linked / "feature.txt").write_text("only in the linked tree\n")
    sha_linked = _checkpoint_keeps_user_state(linked.resolve(), sid="sess-linked")
    sha_main = _checkpoint_keeps_user_state(repo, sid="sess-main")
    assert "feature.txt" in tree_of(repo, sha_linked)
    assert "feature.txt" not in tree_of(repo, sha_main)
    # Both refs live in the shared repository.
    assert ref_sha(repo, "sess-linked") == sha_linked
    assert git(linked, "rev-parse", "HEAD").strip() == git(linked, "rev-parse", "feature").strip()


def test_detached_head(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach", "HEAD")
    sha = _checkpoint_keeps_user_state(repo)
    assert git(repo, "rev-parse", f"{sha}^").strip() == git(repo, "rev-parse", "HEAD").strip()


def test_unborn_branch_has_no_parent(tmp_path: Path) -> None:
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")  # staged, never committed
    sha = _checkpoint_keeps_user_state(repo.resolve())
    assert git(repo, "rev-list", "--parents", "-n1", sha).split() == [sha]


def test_unborn_branch_without_an_index(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    sha = _checkpoint_keeps_user_state(repo.resolve())
    assert set(tree_of(repo, sha)) == {"agent-wrote.txt"}
    assert not (repo / ".git" / "index").exists()


def test_mid_merge_with_conflicts(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "README.md").write_text("other side\n")
    git(repo, "commit", "-q", "-am", "other")
    git(repo, "checkout", "-q", "main")
    (repo / "README.md").write_text("main side\n")
    git(repo, "commit", "-q", "-am", "main")
    subprocess.run(["git", "merge", "other"], cwd=repo, capture_output=True)
    assert (repo / ".git" / "MERGE_HEAD").exists()
    sha = _checkpoint_keeps_user_state(repo)
    assert "<<<<<<<" in git(repo, "show", f"{sha}:README.md")
    assert git(repo, "ls-files", "-u")  # still unmerged in the user's index


def test_mid_rebase(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "topic")
    (repo / "README.md").write_text("topic\n")
    git(repo, "commit", "-q", "-am", "topic")
    git(repo, "checkout", "-q", "main")
    (repo / "README.md").write_text("main\n")
    git(repo, "commit", "-q", "-am", "main")
    git(repo, "checkout", "-q", "topic")
    subprocess.run(["git", "rebase", "main"], cwd=repo, capture_output=True)
    assert (repo / ".git" / "rebase-merge").exists() or (repo / ".git" / "rebase-apply").exists()
    _checkpoint_keeps_user_state(repo)


def test_core_hookspath_hooks_never_run(repo: Path, tmp_path: Path) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    marker = tmp_path / "hook-ran"
    for name in ("reference-transaction", "post-commit", "pre-commit", "post-index-change"):
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\necho {name} >> {marker}\n")
        hook.chmod(0o755)
    git(repo, "config", "core.hooksPath", str(hooks))
    _checkpoint_keeps_user_state(repo)
    assert not marker.exists()


def test_user_index_lock_held(repo: Path) -> None:
    lock = repo / ".git" / "index.lock"
    lock.write_bytes(b"held by the user")
    _checkpoint_keeps_user_state(repo)
    assert lock.read_bytes() == b"held by the user"


def test_cwd_is_a_subdirectory(repo: Path) -> None:
    sha = _checkpoint_keeps_user_state(repo, cwd=repo / "src")
    assert "README.md" in tree_of(repo, sha)


def test_not_a_git_repository(tmp_path: Path, isolated_env: dict[str, Path]) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_text("a\n")
    assert take_checkpoint(plain, SID, "Stop") is None
    proc = run_hook("PostToolUse", tool_payload(plain, SID))
    assert proc.returncode == 0 and proc.stdout == b""
    errors = isolated_env["state"] / "hook-errors.log"
    assert not errors.exists() or errors.read_text() == ""
    assert not (plain / ".git").exists()


def test_enclosing_git_environment_is_ignored(repo: Path, tmp_path: Path) -> None:
    decoy = make_repo(tmp_path / "decoy")
    env = dict(
        os.environ,
        GIT_DIR=str(decoy / ".git"),
        GIT_INDEX_FILE=str(decoy / ".git" / "index"),
        GIT_WORK_TREE=str(decoy),
    )
    (repo / "agent.txt").write_text("x\n")
    proc = run_hook("PostToolUse", tool_payload(repo, SID), env=env)
    assert proc.returncode == 0
    assert ref_sha(repo, SID) is not None
    assert ref_sha(decoy, SID) is None
