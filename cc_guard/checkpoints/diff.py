"""What changed between a checkpoint and the work tree, or between two checkpoints."""

from __future__ import annotations

from pathlib import Path

from cc_guard.checkpoints.history import resolve_checkpoint, user_git
from cc_guard.checkpoints.worktree import worktree_tree
from cc_guard.git import Git, GitError


def diff_text(
    cwd: Path,
    spec: str,
    paths: tuple[str, ...] | list[str] = (),
    *,
    stat: bool = False,
    color: bool = False,
) -> bytes:
    """``git diff`` output for ``spec``: a checkpoint (against the work tree as a
    checkpoint would record it now) or ``A..B`` (two checkpoints).

    ``paths`` are relative to ``cwd``, as git's own pathspecs. LookupError for an
    unknown checkpoint or a directory outside a repository; GitError when git fails.
    """
    if ".." in spec:
        a, b = spec.split("..", 1)
        left, right = resolve_checkpoint(cwd, a).sha, resolve_checkpoint(cwd, b).sha
    else:
        left = resolve_checkpoint(cwd, spec).sha
        right = worktree_tree(cwd)
    user_git(cwd)  # a repository, or LookupError
    argv = ["diff", "--no-ext-diff", "--color=always" if color else "--no-color"]
    if stat:
        argv.append("--stat")
    argv += [left, right, "--", *paths]
    # Run from the user's directory so paths are relative to it, like git's own.
    proc = Git.for_command(cwd).run(*argv, check=False)
    if proc.returncode not in (0, 1):
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or "git diff failed")
    return proc.stdout
