"""A small process runner for git on the hook path.

``subprocess`` costs ~5 ms to import (threading, selectors, locale, ...), paid on
every hook that may change files. This is the part of ``subprocess.run`` the
checkpoints need: argv list (never a shell), environment, bytes on stdin, stdout
and stderr captured, a hard timeout that kills the child. posix_spawn has no
"change directory" action before Python 3.13, so callers pass ``git -C DIR``.
"""

from __future__ import annotations

import os
import select
import signal
import time

_CHUNK = 1 << 16


class Result:
    __slots__ = ("returncode", "stderr", "stdout")

    def __init__(self, returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


class Timeout(Exception):
    """The child ran past its time; it has been killed and reaped."""


def run(argv: list[str], env: dict[str, str], input: bytes | None, timeout: float) -> Result:
    end = time.monotonic() + timeout
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    if input is None:
        in_r, in_w = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC), -1
    else:
        in_r, in_w = os.pipe()
    fds = {out_r, out_w, err_r, err_w, in_r} | ({in_w} if in_w >= 0 else set())
    if min(fds) < 3:
        # Our own stdin/stdout/stderr were closed, so a pipe landed on 0-2, where
        # dup2 semantics get subtle: leave it to subprocess.
        for fd in fds:
            os.close(fd)
        return _run_subprocess(argv, env, input, timeout)
    pid = -1
    try:
        pid = os.posix_spawnp(
            argv[0],
            argv,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, in_r, 0),
                (os.POSIX_SPAWN_DUP2, out_w, 1),
                (os.POSIX_SPAWN_DUP2, err_w, 2),
            ],
            setsigdef=(signal.SIGPIPE, signal.SIGALRM),
        )
        for fd in (in_r, out_w, err_w):
            os.close(fd)
            fds.discard(fd)
        stdout, stderr = _communicate(out_r, err_r, in_w, input or b"", end, fds)
        _, status = os.waitpid(pid, 0)
        pid = -1
        return Result(os.waitstatus_to_exitcode(status), stdout, stderr)
    except BaseException:
        if pid > 0:
            # Timeout or a signal (the hook's deadline): never leave git running. The
            # child is not reaped yet, so the pid is still ours to kill.
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        raise
    finally:
        for fd in fds:
            os.close(fd)


def _communicate(
    out_r: int, err_r: int, in_w: int, data: bytes, end: float, fds: set[int]
) -> tuple[bytes, bytes]:
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    poller = select.poll()
    poller.register(out_r, select.POLLIN)
    poller.register(err_r, select.POLLIN)
    reading = {out_r, err_r}
    view = memoryview(data)
    pos = 0
    if in_w >= 0:
        if data:
            os.set_blocking(in_w, False)
            poller.register(in_w, select.POLLOUT)
        else:
            os.close(in_w)
            fds.discard(in_w)
            in_w = -1
    while reading or in_w >= 0:
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise Timeout()
        for fd, events in poller.poll(max(1, int(remaining * 1000))):
            if fd == in_w:
                done = bool(events & (select.POLLERR | select.POLLHUP))
                if not done:
                    try:
                        pos += os.write(in_w, view[pos : pos + _CHUNK])
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:
                        done = True
                if done or pos >= len(view):
                    poller.unregister(in_w)
                    os.close(in_w)
                    fds.discard(in_w)
                    in_w = -1
            else:
                chunk = os.read(fd, _CHUNK)
                if chunk:
                    chunks[fd].append(chunk)
                else:
                    poller.unregister(fd)
                    reading.discard(fd)
    return b"".join(chunks[out_r]), b"".join(chunks[err_r])


def _run_subprocess(
    argv: list[str], env: dict[str, str], input: bytes | None, timeout: float
) -> Result:
    import subprocess

    try:
        proc = subprocess.run(
            argv,
            env=env,
            input=input,
            capture_output=True,
            stdin=None if input is not None else subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise Timeout() from exc
    return Result(proc.returncode, proc.stdout, proc.stderr)
