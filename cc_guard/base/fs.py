"""Private files: atomic writes, appends and directories, with ``os`` alone.

Every file cc-guard keeps is 0600 and every directory 0700. Writes go to a temp
file in the same directory that is renamed over the target, so a reader never
sees half a file and a crash leaves the old one. Temp files are named
``.<name>.<pid>.<n>.tmp`` so a sweep can tell whose they are.
"""

from __future__ import annotations

import itertools
import os

TYPE_CHECKING = False  # typing's costs the hook path; mypy reads the names below
if TYPE_CHECKING:
    StrPath = str | os.PathLike[str]

_counter = itertools.count()


def ensure_private_dir(path: StrPath) -> None:
    """Create ``path`` (and parents) with mode 0700; tighten it if it exists looser."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        os.makedirs(path, mode=0o700, exist_ok=True)
        return
    if mode & 0o077:
        try:  # noqa: SIM105 - contextlib is not imported on the hook path
            os.chmod(path, 0o700)
        except OSError:
            pass  # not ours to change (a shared parent): using it is still fine


def temp_name(path: StrPath) -> str:
    """A temp file name beside ``path`` that no other process or call uses."""
    head, tail = os.path.split(os.fspath(path))
    return os.path.join(head, f".{tail}.{os.getpid()}.{next(_counter)}.tmp")


def write_atomic(path: StrPath, data: bytes | str, mode: int = 0o600, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically, with ``mode``.

    ``durable``: fsync before the rename (state a user keeps); caches rewritten every
    few seconds pass False. A failure leaves the old file and no temp file behind.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        _write_into(fd, tmp, path, data, mode, durable)
    except OSError as exc:
        if exc.filename in (None, tmp):  # name the file the caller asked for
            raise OSError(exc.errno, exc.strerror, os.fspath(path)) from exc
        raise


def _write_into(fd: int, tmp: str, path: StrPath, data: bytes, mode: int, durable: bool) -> None:
    try:
        try:
            os.fchmod(fd, mode)  # the umask must not loosen it
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:  # noqa: SIM105 - contextlib is not imported on the hook path
            os.unlink(tmp)  # a full disk must not leave temp files behind
        except OSError:
            pass
        raise


def write_private(path: StrPath, data: bytes | str) -> None:
    """Atomically write a 0600 file, creating its directory (0700) if needed."""
    ensure_private_dir(os.path.dirname(os.fspath(path)) or ".")
    write_atomic(path, data, 0o600)


def append_line(path: StrPath, line: str) -> None:
    """Append one line to a 0600 file (created if missing) with one write."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8", "surrogateescape"))
    finally:
        os.close(fd)


def append_private(path: StrPath, line: str) -> None:
    """:func:`append_line`, creating the file's directory (0700) if needed."""
    ensure_private_dir(os.path.dirname(os.fspath(path)) or ".")
    append_line(path, line)
