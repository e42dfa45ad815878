"""A small process runner for git on the hook path.

``subprocess`` is a heavy import (threading, selectors, locale, ...), paid on every
hook that may change files. This is the part of ``subprocess.run`` the
checkpoints need: argv list (never a shell), environment, bytes on stdin, stdout
and stderr captured, a hard timeout that kills the child. posix_spawn has no
"change directory" action before Python 3.13, so callers pass ``git -C DIR``.
:func:`run_all` runs several read-only commands at once (the snapshot's two
``ls-files`` scans), which is the same runner with more than one child.
"""

from __future__ import annotations

import os
import select
import time

TYPE_CHECKING = False  # not typing's (import cost on the hook path)

# signal.py wraps the C module's numbers in enums (it imports enum, which the console
# script may not have loaded yet); the numbers are all we use.
if TYPE_CHECKING:
    import signal
else:
    try:
        import _signal as signal
    except ImportError:  # pragma: no cover - other Python implementations
        import signal

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
    return run_all([(argv, env, input)], timeout)[0]


def run_all(
    commands: list[tuple[list[str], dict[str, str], bytes | None]], timeout: float
) -> list[Result]:
    """Run the commands at the same time; their results in the same order.

    One deadline for all: on a timeout (or any exception, e.g. the hook's alarm)
    every child still running is killed and reaped before this returns or raises.
    """
    end = time.monotonic() + timeout
    fds: set[int] = set()
    # Per command: (stdin read end, stdin write end or -1, stdout pipe, stderr pipe).
    plumbing: list[tuple[int, int, tuple[int, int], tuple[int, int]]] = []
    try:
        for _argv, _env, data in commands:
            out = os.pipe()
            fds.update(out)
            err = os.pipe()
            fds.update(err)
            if data is None:
                in_r, in_w = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC), -1
                fds.add(in_r)
            else:
                in_r, in_w = os.pipe()
                fds.update((in_r, in_w))
            plumbing.append((in_r, in_w, out, err))
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    if min(fds) < 3:
        # Our own stdin/stdout/stderr were closed, so a pipe landed on 0-2, where
        # dup2 semantics get subtle: leave it to subprocess (one at a time).
        for fd in fds:
            os.close(fd)
        return [_run_subprocess(a, e, d, max(0.0, end - time.monotonic())) for a, e, d in commands]
    pids: list[int] = []
    try:
        for (argv, env, _data), (in_r, _in_w, out, err) in zip(commands, plumbing, strict=True):
            pids.append(
                os.posix_spawnp(
                    argv[0],
                    argv,
                    env,
                    file_actions=[
                        (os.POSIX_SPAWN_DUP2, in_r, 0),
                        (os.POSIX_SPAWN_DUP2, out[1], 1),
                        (os.POSIX_SPAWN_DUP2, err[1], 2),
                    ],
                    setsigdef=(signal.SIGPIPE, signal.SIGALRM),
                    # Its own process group, so a kill also takes the filters and
                    # other helpers git started (they would hold the session lock).
                    setpgroup=0,
                )
            )
        # The children have their ends (pipes are close-on-exec, so no child holds
        # another's): close ours, or EOF never comes.
        for in_r, _in_w, out, err in plumbing:
            for fd in (in_r, out[1], err[1]):
                os.close(fd)
                fds.discard(fd)
        outputs = _communicate(plumbing, [d for _a, _e, d in commands], end, fds)
        results = []
        for i, pid in enumerate(pids):
            _, status = os.waitpid(pid, 0)
            pids[i] = -1
            results.append(Result(os.waitstatus_to_exitcode(status), *outputs[i]))
        return results
    except BaseException:
        # Timeout or a signal (the hook's deadline): never leave git running. The
        # children are not reaped yet, so the pids are still ours to kill.
        for pid in pids:
            if pid > 0:
                kill_and_clean(pid)
        raise
    finally:
        for fd in fds:
            os.close(fd)


def kill_and_clean(pid: int) -> list[str]:
    """Kill a child (not yet reaped) and its process group, and remove the temp files
    it was writing.

    A git killed mid-write leaves ``objects/xx/tmp_obj_*`` (as big as the object
    it was writing) and its ``*.lock`` files behind. The child is stopped first so
    the files it has open can be read from ``/proc`` without a race: each one is its
    own (git makes them with O_EXCL), so removing them once it is dead is safe,
    while another git's temp files are never touched. Returns the paths removed.
    """
    leftovers: list[str] = []
    try:
        os.kill(pid, signal.SIGSTOP)
        _wait_stopped(pid)
        leftovers = _open_temp_files(pid)
    except OSError:
        pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    removed = []
    for path in leftovers:
        try:
            os.unlink(path)
        except OSError:
            continue
        removed.append(path)
    return removed


def _wait_stopped(pid: int) -> None:
    """Until ``pid`` shows as stopped (SIGSTOP is delivered asynchronously)."""
    for _ in range(200):
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        if stat[stat.rfind(b")") + 2 :][:1] in (b"T", b"t", b"Z", b"X"):
            return
        time.sleep(0.0005)


def _open_files(pid: int | str) -> set[str]:
    directory = f"/proc/{pid}/fd"
    found = set()
    for fd in os.listdir(directory):
        try:
            found.add(os.readlink(os.path.join(directory, fd)))
        except OSError:
            continue
    return found


def _open_temp_files(pid: int) -> list[str]:
    """The lock and temp object files ``pid`` made and has open: not those it got
    from us (an inherited lock file is ours to keep)."""
    inherited = _open_files("self")
    found = []
    for target in _open_files(pid) - inherited:
        if not target.startswith("/") or target.endswith(" (deleted)"):
            continue
        name = target.rsplit("/", 1)[-1]
        if name.endswith(".lock") or name.startswith(("tmp_obj_", "tmp_pack_", "tmp_idx_")):
            found.append(target)
    return found


def _communicate(
    plumbing: list[tuple[int, int, tuple[int, int], tuple[int, int]]],
    inputs: list[bytes | None],
    end: float,
    fds: set[int],
) -> list[tuple[bytes, bytes]]:
    chunks: dict[int, list[bytes]] = {}
    writing: dict[int, tuple[memoryview, list[int]]] = {}  # fd -> (data, [position])
    poller = select.poll()
    for (_in_r, in_w, out, err), data in zip(plumbing, inputs, strict=True):
        for fd in (out[0], err[0]):
            chunks[fd] = []
            poller.register(fd, select.POLLIN)
        if in_w < 0:
            continue
        if data:
            os.set_blocking(in_w, False)
            poller.register(in_w, select.POLLOUT)
            writing[in_w] = (memoryview(data), [0])
        else:
            os.close(in_w)
            fds.discard(in_w)
    reading = set(chunks)
    while reading or writing:
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise Timeout()
        for fd, events in poller.poll(max(1, int(remaining * 1000))):
            if fd in writing:
                view, pos = writing[fd]
                done = bool(events & (select.POLLERR | select.POLLHUP))
                if not done:
                    try:
                        pos[0] += os.write(fd, view[pos[0] : pos[0] + _CHUNK])
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:
                        done = True
                if done or pos[0] >= len(view):
                    poller.unregister(fd)
                    os.close(fd)
                    fds.discard(fd)
                    del writing[fd]
            else:
                chunk = os.read(fd, _CHUNK)
                if chunk:
                    chunks[fd].append(chunk)
                else:
                    poller.unregister(fd)
                    reading.discard(fd)
    return [(b"".join(chunks[out[0]]), b"".join(chunks[err[0]])) for _r, _w, out, err in plumbing]


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
            # As posix_spawn does: fds the caller made inheritable (the checkpoint's
            # session lock) stay open in git, so the lock lives as long as git does.
            close_fds=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise Timeout() from exc
    return Result(proc.returncode, proc.stdout, proc.stderr)
