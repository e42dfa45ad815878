"""Files the user's index flags ``assume-unchanged`` or ``skip-worktree`` are checkpointed.

The private index starts as a copy of the user's, flags and all; git then never looks
at a flagged file, so its changes would never reach a checkpoint. The flags are
cleared in the private index, except ``skip-worktree`` on entries a sparse checkout
really left out of the work tree (those are not deleted files).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_guard.checkpoints.snapshot import take_checkpoint
from tests.support.checkpoints import expected_tree, git, make_repo, tree_of, user_state

SID = "c0ffee00-1234-4abc-8def-00000000000f"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_a_flagged_file_the_session_changes_is_checkpointed(repo: Path, flag: str) -> None:
    git(repo, "update-index", flag, "src/app.py")
    before = user_state(repo)
    (repo / "src" / "app.py").write_text("print('changed by the session')\n")
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None
    assert git(repo, "show", f"{sha}:src/app.py") == "print('changed by the session')\n"
    assert tree_of(repo, sha) == expected_tree(repo)
    # The user's index keeps its flag.
    after = user_state(repo)
    assert after["special"]["index"] == before["special"]["index"]
    (repo / "src" / "app.py").write_text("print('changed again')\n")
    second = take_checkpoint(repo, SID, "Stop")
    assert second is not None
    assert git(repo, "show", f"{second}:src/app.py") == "print('changed again')\n"


def test_a_flagged_file_that_is_deleted_is_recorded_as_deleted(repo: Path) -> None:
    git(repo, "update-index", "--assume-unchanged", "README.md")
    (repo / "README.md").unlink()
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None and "README.md" not in tree_of(repo, sha)


def test_sparse_checkout_entries_left_out_are_not_deletions(repo: Path) -> None:
    (repo / "docs").mkdir()
    (repo / "docs" / "guide.md").write_text("guide\n")
    git(repo, "add", "docs")
    git(repo, "commit", "-q", "-m", "docs")
    git(repo, "sparse-checkout", "set", "--no-cone", "/src/", "/*.md", "/.gitignore", "/run.sh")
    assert not (repo / "docs" / "guide.md").exists()
    (repo / "src" / "app.py").write_text("print('sparse')\n")
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None
    tree = tree_of(repo, sha)
    assert "docs/guide.md" in tree  # outside the sparse checkout: still what HEAD has
    assert git(repo, "show", f"{sha}:src/app.py") == "print('sparse')\n"
    # The user brings a left-out file into the work tree and changes it.
    (repo / "docs").mkdir()
    (repo / "docs" / "guide.md").write_text("guide, edited\n")
    second = take_checkpoint(repo, SID, "Stop")
    assert second is not None
    assert git(repo, "show", f"{second}:docs/guide.md") == "guide, edited\n"


def test_a_private_index_seeded_by_an_older_version_is_seeded_again(repo: Path) -> None:
    import os
    import time

    from cc_guard.checkpoints.snapshot import index_path
    from cc_guard.git import find_repo

    assert take_checkpoint(repo, SID, "Stop") is not None
    found = find_repo(repo, time.monotonic() + 60)
    assert found is not None
    index = index_path(found, SID)
    # What 0.1's seed left: the user's flag copied, and a tip cache of three fields.
    git(repo, "update-index", "--assume-unchanged", "src/app.py")
    env = dict(os.environ, GIT_INDEX_FILE=str(index))
    git(repo, "update-index", "--assume-unchanged", "src/app.py", env=env)
    tip = Path(f"{index}.tip")
    tip.write_text(" ".join(tip.read_text().split()[:3]) + "\n")
    (repo / "src" / "app.py").write_text("print('after the upgrade')\n")
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None
    assert git(repo, "show", f"{sha}:src/app.py") == "print('after the upgrade')\n"
