"""Git hooks, installed the way pre-commit installs them.

The hooks directory comes from ``git rev-parse --git-path hooks`` (so linked
worktrees and ``core.hooksPath`` are honoured). A hook that is already there and
is not cc-guard's is moved to ``<name>.legacy`` and run first, with the same
arguments and stdin; its exit code counts. cc-guard's own file is recognised by
the ``MARKER`` line; uninstall removes it and moves the old hook back.

The installed file is a small shell script that runs ``python -m
cc_guard.install.githooks run <name>`` with the Python cc-guard was installed
with; if that Python or cc-guard is gone, it still runs the legacy hook.

- ``pre-push``: when ``[backup] remote`` names a remote of the repository's git
  config, also pushes ``refs/cc-guard/*`` to that remote (and to no other). A failed backup push is
  reported but never blocks the user's push.
- ``prepare-commit-msg`` (installed when ``[git] commit_trailer = true``): adds
  ``CC-Guard-Session: <id>`` (and ``CC-Guard-Checkpoint: <sha>`` when that session
  has a checkpoint) to commits made while a Claude Code session is active in the repo.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

MARKER = "# cc-guard-managed-git-hook: remove with `cc-guard uninstall --git-hooks`"
HOOK_NAMES = ("pre-push", "prepare-commit-msg")
#: A session with no event for this long is taken to be gone even without a SessionEnd.
ACTIVE_WINDOW_SECONDS = 6 * 3600
#: How much of the end of events.jsonl prepare-commit-msg looks at.
EVENTS_TAIL_BYTES = 512 * 1024

TEMPLATE = """#!/bin/sh
{marker}
# Runs the hook that was here before (moved to {name}.legacy) first, then cc-guard's.
PY={python}
if [ -x "$PY" ] && "$PY" -c 'import cc_guard.install.githooks' 2>/dev/null; then
    exec "$PY" -m cc_guard.install.githooks run {name} "$0" "$@"
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
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitHookError(f"git {' '.join(args)} failed: {exc}") from None
    if out.returncode != 0:
        raise GitHookError(f"{cwd} is not in a git repository ({out.stderr.strip()})")
    return out.stdout.strip()


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
    from cc_guard.config import load_config

    config = load_config(cwd)
    return [n for n in HOOK_NAMES if n != "prepare-commit-msg" or config.git.commit_trailer]


def install(cwd: Path, *, dry_run: bool = False) -> list[str]:
    """Install cc-guard's git hooks for the repo at ``cwd``; returns lines to show."""
    from cc_guard.config import ConfigError, load_config

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
        tmp = path.with_name(f".{name}.cc-guard.tmp")
        tmp.write_text(script(name))
        tmp.chmod(0o755)
        tmp.replace(path)
        note = f" (your previous hook now runs first, from {legacy.name})" if foreign else ""
        lines.append(f"{verb} {path}{note}")
    if "pre-push" in names and not remote:
        lines.append("pre-push backs up nothing until [backup] remote is set in cc-guard's config")
    elif "pre-push" in names and remote not in _remotes(cwd):
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


# --- at hook time ------------------------------------------------------------------------


def run(name: str, hook_path: str, args: list[str]) -> int:
    """What the installed hook does: the legacy hook first, then cc-guard's part."""
    legacy = f"{hook_path}.legacy"
    if os.access(legacy, os.X_OK):
        # Only pre-push gets data on stdin (git gives other hooks /dev/null); read it
        # there and hand the legacy hook a copy, else let it inherit stdin as is.
        stdin = sys.stdin.buffer.read() if name == "pre-push" else None
        code = subprocess.run([legacy, *args], input=stdin, check=False).returncode
        if code != 0:
            return code
    try:
        if name == "pre-push":
            _backup_push()
        elif name == "prepare-commit-msg" and args:
            _add_trailer(Path(args[0]))
    except Exception as exc:  # cc-guard's extra must never break the user's git
        print(f"cc-guard {name}: {exc}", file=sys.stderr)
    return 0


def _top() -> Path:
    return Path(_git(["rev-parse", "--show-toplevel"], Path.cwd()))


def _backup_push() -> None:
    from cc_guard.config import load_config_safe

    top = _top()
    remote = load_config_safe(top).backup.remote
    if not remote:
        return
    if remote not in _remotes(top):
        # Only a remote of this repository's own git config, which a clone never brings
        # along: a URL in a cloned project's .cc-guard.toml must not pick where checkpoints
        # (snapshots of uncommitted work) are sent.
        print(
            f"cc-guard: [backup] remote {remote!r} is not a git remote of this repository "
            "(see git remote -v); checkpoints not backed up",
            file=sys.stderr,
        )
        return
    if not _git(["for-each-ref", "--count=1", "--format=%(refname)", "refs/cc-guard/"], top):
        return
    # --no-verify: this push must not run this hook again.
    out = subprocess.run(
        ["git", "push", "--no-verify", "--quiet", remote, "+refs/cc-guard/*:refs/cc-guard/*"],
        cwd=top,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if out.returncode != 0:
        print(
            f"cc-guard: backing up checkpoints to {remote!r} failed: {out.stderr.strip()}",
            file=sys.stderr,
        )


def _remotes(repo: Path) -> set[str]:
    return set(_git(["remote"], repo).split())


def active_session(repo: Path, now: float | None = None) -> str | None:
    """The most recent Claude Code session with events inside ``repo`` and no SessionEnd."""
    from cc_guard.base.paths import state_dir

    log = state_dir(create=False) / "events.jsonl"
    try:
        with log.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - EVENTS_TAIL_BYTES))
            tail = fh.read()
    except OSError:
        return None
    now = time.time() if now is None else now
    repo_text = str(repo.resolve())
    last: dict[str, tuple[float, str]] = {}
    for line in tail.splitlines():
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            event = json.loads(line)
            cwd, sid = event.get("cwd"), event.get("session_id")
            if not isinstance(sid, str) or not isinstance(cwd, str):
                continue
            if cwd != repo_text and not cwd.startswith(repo_text.rstrip("/") + "/"):
                continue
            stamp = _parse_time(event.get("time"))
            last[sid] = (stamp, str(event.get("event")))
    live = [
        (stamp, sid)
        for sid, (stamp, name) in last.items()
        if name != "SessionEnd" and now - stamp < ACTIVE_WINDOW_SECONDS
    ]
    return max(live)[1] if live else None


def _parse_time(value: object) -> float:
    from datetime import datetime

    if not isinstance(value, str):
        raise ValueError("no time")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _add_trailer(message_file: Path) -> None:
    from cc_guard.config import load_config_safe

    top = _top()
    if not load_config_safe(top).git.commit_trailer:
        return
    session = active_session(top)
    if session is None:
        return
    args = ["interpret-trailers", "--in-place", "--if-exists", "doNothing"]
    args += ["--trailer", f"CC-Guard-Session: {session}"]
    with contextlib.suppress(GitHookError):
        sha = _git(["rev-parse", "-q", "--verify", f"refs/cc-guard/{session}^{{commit}}"], top)
        if sha:
            args += ["--trailer", f"CC-Guard-Checkpoint: {sha}"]
    _git([*args, str(message_file)], top)


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "run":
        return run(argv[1], argv[2], argv[3:])
    print("usage: python -m cc_guard.install.githooks run <hook-name> <hook-path> [args...]")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
