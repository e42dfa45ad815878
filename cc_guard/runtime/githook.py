"""What cc-guard's git hooks do when git runs them (installed by ``cc-guard install --git-hooks``).

- ``pre-push``: when ``[backup] remote`` names a remote of the repository's git
  config, also pushes ``refs/cc-guard/*`` to that remote (and to no other). A failed
  backup push is reported but never blocks the user's push.
- ``prepare-commit-msg`` (when ``[git] commit_trailer = true``): adds
  ``CC-Guard-Session: <id>`` (and ``CC-Guard-Checkpoint: <sha>`` when that session
  has a checkpoint) to commits made while a Claude Code session is active in the repo.

The hook that was there before cc-guard's (``<name>.legacy``) runs first, with the
same arguments and stdin; its exit code counts.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from cc_guard.git import GitError, plain

#: A session with no event for this long is taken to be gone even without a SessionEnd.
ACTIVE_WINDOW_SECONDS = 6 * 3600
#: How much of the end of events.jsonl prepare-commit-msg looks at.
EVENTS_TAIL_BYTES = 512 * 1024


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
    return Path(plain(Path.cwd(), "rev-parse", "--show-toplevel"))


def _backup_push() -> None:
    from cc_guard.config.load import load_config_safe

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
    if not plain(top, "for-each-ref", "--count=1", "--format=%(refname)", "refs/cc-guard/"):
        return
    # --no-verify: this push must not run this hook again.
    from cc_guard.git import Git

    git = Git.for_command(top, timeout=120, overrides=False)
    out = git.run(
        "push", "--no-verify", "--quiet", remote, "+refs/cc-guard/*:refs/cc-guard/*", check=False
    )
    if out.returncode != 0:
        err = out.stderr.decode("utf-8", "replace").strip()
        print(f"cc-guard: backing up checkpoints to {remote!r} failed: {err}", file=sys.stderr)


def _remotes(repo: Path) -> set[str]:
    return set(plain(repo, "remote").split())


def active_session(repo: Path, now: float | None = None) -> str | None:
    """The most recent Claude Code session with events inside ``repo`` and no SessionEnd."""
    from cc_guard.base.claude import valid_session_id
    from cc_guard.base.paths import state_root
    from cc_guard.state import events

    now = time.time() if now is None else now
    repo_text = str(repo.resolve())
    last: dict[str, tuple[float, str]] = {}
    for event in events.tail(state_root(create=False), max_bytes=EVENTS_TAIL_BYTES):
        cwd, sid = event.get("cwd"), event.get("session_id")
        # A line written before ids were checked (or by hand) must not put a line
        # of its own into the user's commit message, nor name a ref.
        if not valid_session_id(sid) or not isinstance(cwd, str):
            continue
        if cwd != repo_text and not cwd.startswith(repo_text.rstrip("/") + "/"):
            continue
        with contextlib.suppress(ValueError):
            last[sid] = (_parse_time(event.get("time")), str(event.get("event")))
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
    from cc_guard.config.load import load_config_safe

    top = _top()
    if not load_config_safe(top).git.commit_trailer:
        return
    session = active_session(top)
    if session is None:
        return
    args = ["interpret-trailers", "--in-place", "--if-exists", "doNothing"]
    args += ["--trailer", f"CC-Guard-Session: {session}"]
    with contextlib.suppress(GitError):
        sha = plain(top, "rev-parse", "-q", "--verify", f"refs/cc-guard/{session}^{{commit}}")
        if sha:
            args += ["--trailer", f"CC-Guard-Checkpoint: {sha}"]
    plain(top, *args, str(message_file))


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "run":
        return run(argv[1], argv[2], argv[3:])
    print("usage: python -m cc_guard.runtime.githook run <hook-name> <hook-path> [args...]")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
