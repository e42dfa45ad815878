"""Git hooks, installed the way pre-commit installs them.

The hooks directory comes from ``git rev-parse --git-path hooks`` (so linked
worktrees and ``core.hooksPath`` are honoured). A hook that is already there and
is not cc-guard's is moved to ``<name>.legacy`` and run first, with the same
arguments and stdin; its exit code counts. cc-guard's own file is recognised by
the ``MARKER`` line; uninstall removes it and moves the old hook back.

The installed file is a small shell script that runs ``python -m
cc_guard.runtime.githook run <name>`` with the Python cc-guard was installed
with; if that Python or cc-guard is gone, it still runs the legacy hook.

- ``pre-push``: when ``[backup] remote`` names a remote of the repository's git
  config, also pushes ``refs/cc-guard/*`` to that remote (and to no other). A failed backup push is
  reported but never blocks the user's push.
- ``prepare-commit-msg`` (installed when ``[git] commit_trailer = true``): adds
  ``CC-Guard-Session: <id>`` (and ``CC-Guard-Checkpoint: <sha>`` when that session
  has a checkpoint) to commits made while a Claude Code session is active in the repo.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from cc_guard.base import fs

MARKER = "# cc-guard-managed-git-hook: remove with `cc-guard uninstall --git-hooks`"
HOOK_NAMES = ("pre-push", "prepare-commit-msg")

TEMPLATE = """#!/bin/sh
{marker}
# Runs the hook that was here before (moved to {name}.legacy) first, then cc-guard's.
PY={python}
if [ -x "$PY" ] && "$PY" -c 'import cc_guard.runtime.githook' 2>/dev/null; then
    exec "$PY" -m cc_guard.runtime.githook run {name} "$0" "$@"
fi
# cc-guard is not importable any more: keep the previous hook working.
if [ -x "$0.legacy" ]; then
    exec "$0.legacy" "$@"
fi
exit 0
"""


class GitHookError(Exception):
    """Git hooks cannot be installed or removed here; nothing was changed for that hook."""


def _git(args: list[str], cwd: Path) -> str:
    """git with the repository's own configuration (its hooks path is the answer sought)."""
    from cc_guard.git import GitError, plain

    try:
        return plain(cwd, *args)
    except GitError as exc:
        raise GitHookError(f"{cwd} is not in a git repository ({exc})") from None


def hooks_dir(cwd: Path) -> Path:
    raw = _git(["rev-parse", "--git-path", "hooks"], cwd)
    return (cwd / raw).resolve() if not os.path.isabs(raw) else Path(raw)


def is_own(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return MARKER.encode() in head


def script(name: str) -> str:
    return TEMPLATE.format(marker=MARKER, name=name, python=shlex.quote(sys.executable))


def wanted_hooks(cwd: Path) -> list[str]:
    from cc_guard.config.load import load_config

    config = load_config(cwd)
    return [n for n in HOOK_NAMES if n != "prepare-commit-msg" or config.git.commit_trailer]


def install(cwd: Path, *, dry_run: bool = False) -> list[str]:
    """Install cc-guard's git hooks for the repo at ``cwd``; returns lines to show."""
    from cc_guard.config.load import ConfigError, load_config

    directory = hooks_dir(cwd)
    try:
        names = wanted_hooks(cwd)
        remote = load_config(cwd).backup.remote
    except ConfigError as exc:
        raise GitHookError(str(exc)) from None
    lines = []
    for name in names:
        path = directory / name
        legacy = directory / f"{name}.legacy"
        foreign = (path.exists() or path.is_symlink()) and not is_own(path)
        if foreign and (legacy.exists() or legacy.is_symlink()):
            raise GitHookError(
                f"both {path} and {legacy} exist; move one of them aside and run install again"
            )
        verb = "would install" if dry_run else "installed"
        if dry_run:
            lines.append(f"{verb} {path}" + (f" (yours moved to {legacy.name})" if foreign else ""))
            continue
        directory.mkdir(parents=True, exist_ok=True)
        if foreign:
            path.rename(legacy)
        fs.write_atomic(path, script(name), mode=0o755)
        note = f" (your previous hook now runs first, from {legacy.name})" if foreign else ""
        lines.append(f"{verb} {path}{note}")
    if "pre-push" in names and not remote:
        lines.append("pre-push backs up nothing until [backup] remote is set in cc-guard's config")
    elif "pre-push" in names and remote not in _git(["remote"], cwd).split():
        lines.append(
            f"pre-push backs up nothing: [backup] remote {remote!r} is not a git remote "
            "of this repository (see git remote -v)"
        )
    return lines


def uninstall(cwd: Path, *, dry_run: bool = False) -> list[str]:
    directory = hooks_dir(cwd)
    lines = []
    for name in HOOK_NAMES:
        path = directory / name
        legacy = directory / f"{name}.legacy"
        if not is_own(path):
            if path.exists() and legacy.exists():
                lines.append(f"left {path} alone: it is not cc-guard's")
            continue
        if dry_run:
            lines.append(f"would remove {path}" + (" and restore yours" if legacy.exists() else ""))
            continue
        path.unlink()
        if legacy.exists() or legacy.is_symlink():
            legacy.rename(path)
            lines.append(f"removed cc-guard's {name}; restored your previous {path}")
        else:
            lines.append(f"removed {path}")
    return lines


def main(argv: list[str]) -> int:
    """What git hooks installed by cc-guard 0.1.0 run (``python -m cc_guard.install.githooks
    run ...``): the hook-time code now lives in cc_guard.runtime.githook."""
    from cc_guard.runtime.githook import main as run_main

    return run_main(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
