"""The work tree as a git tree object, without touching any index but a scratch one."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from cc_guard.base import fs
from cc_guard.checkpoints.snapshot import repo_state_dir, snapshot_tree
from cc_guard.config import checkpoints_config
from cc_guard.git import Git, clean_env, find_repo


def worktree_tree(cwd: Path, budget: float = 300.0) -> str:
    """Tree sha of the work tree at ``cwd`` as a checkpoint would record it."""
    deadline = time.monotonic() + budget
    repo = find_repo(cwd, deadline)
    if repo is None:
        raise LookupError(f"{cwd} is not inside a git work tree")
    # A temp name, so a sweep removes it when this process dies before it can;
    # snapshot_tree seeds the missing index from the user's.
    name = fs.temp_name(repo_state_dir(repo) / "scratch.index")
    index = Path(name)
    try:
        git = Git(repo.toplevel, deadline, clean_env({"GIT_INDEX_FILE": name}))
        return snapshot_tree(repo, git, index, checkpoints_config(repo.toplevel)).tree
    finally:
        for leftover in (index, Path(name + ".lock")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
