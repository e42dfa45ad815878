"""Start a compaction or auto-resume worker in the background, off Claude Code's hook path.

The Stop hook decides in milliseconds; what follows (checkpoint, handoff, waiting
for the pane to be idle, typing, confirming; or probing the upstream until it
answers) takes seconds to minutes, and Claude Code's session only becomes idle
after the hook returns. So the hook starts ``python -m cc_guard.compaction.worker``
detached, in a new session with stdio on /dev/null, inheriting the hook's
environment (Claude Code's: its tmux server, its API settings). Standard library only.
"""

from __future__ import annotations

import os
import sys

KINDS = ("compact", "recover")


def spawn_worker(
    kind: str,
    session_id: str,
    transcript: str,
    *,
    pane: str | None,
    socket: str | None,
    since: str,
    via: str,
) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown worker {kind!r}")
    argv = [
        sys.executable,
        "-m",
        "cc_guard.compaction.worker",
        kind,
        session_id,
        transcript,
        "--since",
        since,
        "--via",
        via,
    ]
    if pane:
        argv += ["--pane", pane]
    if socket:
        argv += ["--socket", socket]
    devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    os.posix_spawn(sys.executable, argv, dict(os.environ), file_actions=devnull, setsid=True)
