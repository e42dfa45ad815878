"""cc_guard.base.paths' state-dir helpers without its imports, for the hook path.

cc_guard.base.paths pulls in pathlib, tempfile and (without ``$CC_GUARD_HOME``)
platformdirs: several milliseconds on every hook call. These give the same
answers with ``os`` alone; tests/test_hook_fastpaths.py checks they agree.
"""

from __future__ import annotations

import os
import sys


def state_dir() -> str:
    """Same as ``str(cc_guard.base.paths.state_dir())``.

    ``$CC_GUARD_HOME``, else on Linux platformdirs' user state dir
    (``$XDG_STATE_HOME/cc-guard`` or ``~/.local/state/cc-guard``); elsewhere it asks
    cc_guard.base.paths. Created 0700.
    """
    env = os.environ.get("CC_GUARD_HOME")
    if env:
        path = os.path.expanduser(env)
    elif sys.platform == "linux":
        xdg = os.environ.get("XDG_STATE_HOME", "").strip()
        base = xdg if xdg else os.path.expanduser("~/.local/state")
        path = os.path.join(base, "cc-guard")
    else:
        from cc_guard.base import paths

        return str(paths.state_dir())
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def state_subdir(name: str) -> str:
    path = os.path.join(state_dir(), name)
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def append_line(path: str, line: str) -> None:
    """Append one line to a 0600 file (like cc_guard.base.paths.append_private)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def write_small(path: str, data: str) -> None:
    """Atomically replace a small 0600 file (temp file + rename; no fsync: it is a cache)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            os.write(fd, data.encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:  # noqa: SIM105 - contextlib is not imported on the hook path
            os.unlink(tmp)  # a full disk must not leave temp files behind
        except OSError:
            pass
        raise
