"""Processes: is a pid alive, and which Claude Code process is ours."""

from __future__ import annotations

import os


def pid_alive(pid: int | None) -> bool:
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    except OSError:
        return False
    return True


def find_claude_pid(start: int | None = None, max_depth: int = 10) -> int | None:
    """The Claude Code process above us: hooks run as ``sh -c`` children of it."""
    pid = os.getppid() if start is None else start
    for _ in range(max_depth):
        if pid <= 1:
            return None
        if _looks_like_claude(pid):
            return pid
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            return None
        # Fields after the ")" that closes the command name: state, ppid, ...
        after = stat[stat.rfind(b")") + 2 :].split()
        if len(after) < 2:
            return None
        pid = int(after[1])
    return None


def _looks_like_claude(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/comm", "rb") as fh:
            if b"claude" in fh.read().lower():
                return True
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\0")[:2]
    except OSError:
        return False
    return any(b"claude" in os.path.basename(a).lower() for a in argv if a)


def claude_process(pid: int) -> str | None:
    """``"pid N (cmdline)"`` when ``pid`` is a live Claude Code process, else None
    (dead, or the pid was reused by another program)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            raw = fh.read()
    except OSError:
        return f"pid {pid}" if pid_alive(pid) else None
    cmdline = raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            comm = fh.read().strip()
    except OSError:
        comm = ""
    if "claude" not in cmdline.lower() and "claude" not in comm.lower():
        return None
    return f"pid {pid} ({cmdline[:200]})"
