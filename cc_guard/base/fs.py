"""Private files: atomic writes, appends and directories, with ``os`` alone; and
:func:`open_regular` for reading a file named from outside (a transcript path), and
:func:`read_stdin`, the bounded read of a hook's or the statusline's stdin.

Every file cc-guard keeps is 0600 and every directory 0700. Writes go to a temp
file in the same directory that is renamed over the target, so a reader never
sees half a file and a crash leaves the old one. Temp files are named
``.<name>.<pid>.<n>.tmp`` so :func:`sweep_temp_files` can tell whose they are and
remove those of processes that died before they could (a SIGKILL, a power cut).
"""

from __future__ import annotations

import itertools
import os
import select
import stat
import time

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


def temp_name(path: StrPath, tag: str = "") -> str:
    """A temp file name beside ``path`` that no other process or call uses.

    ``tag`` marks temp files outside cc-guard's own directories (a restore writes in
    the user's work tree), so a sweep there removes only names that carry it.
    """
    head, tail = os.path.split(os.fspath(path))
    suffix = f".{tag}.tmp" if tag else ".tmp"
    return os.path.join(head, f".{tail}.{os.getpid()}.{next(_counter)}{suffix}")


#: A temp file older than this is stale even if a process with its pid runs: the
#: writes that make them take moments, so the pid must have been reused.
STALE_TEMP_SECONDS = 3600.0


def temp_owner(name: str, tag: str = "") -> int | None:
    """The pid in a :func:`temp_name` made with ``tag`` (also with git's ``.lock``
    after it), else None."""
    suffix = f".{tag}.tmp" if tag else ".tmp"
    if not name.startswith("."):
        return None
    if name.endswith(suffix + ".lock"):
        name = name[: -len(".lock")]
    if not name.endswith(suffix):
        return None
    parts = name[: -len(suffix)].rsplit(".", 2)
    if len(parts) != 3 or not parts[0][1:] or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return int(parts[1])


def sweep_temp_files(directory: StrPath, tag: str = "", now: float | None = None) -> list[str]:
    """Remove the temp files in ``directory`` (not below) whose process is gone.

    Only names :func:`temp_name` makes with ``tag``; a file whose pid still runs is
    kept unless it is older than :data:`STALE_TEMP_SECONDS`. Returns the paths
    removed; never raises for a directory that cannot be read.
    """
    import time

    from cc_guard.base.procs import pid_alive

    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        pid = temp_owner(name, tag)
        if pid is None:
            continue
        path = os.path.join(os.fspath(directory), name)
        try:
            if pid_alive(pid) and now - os.lstat(path).st_mtime < STALE_TEMP_SECONDS:
                continue
            os.unlink(path)
        except OSError:
            continue
        removed.append(path)
    return removed


#: What a hook or the statusline reads of its stdin at most: the payload's size and the
#: time its writer gets (Claude Code writes it at once and closes the pipe).
STDIN_LIMIT = 32 * 1024 * 1024
STDIN_SECONDS = 2.0


def read_stdin(fd: int, limit: int = STDIN_LIMIT, seconds: float = STDIN_SECONDS) -> bytes:
    """Read until EOF, at most ``limit`` bytes and ``seconds`` of waiting.

    Claude Code closes stdin after writing the payload; a terminal or a writer that
    never closes must not hang the hook.
    """
    chunks: list[bytes] = []
    size = 0
    end = time.monotonic() + seconds
    try:
        if os.isatty(fd):
            return b""
        while size < limit:
            remaining = end - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                break
            chunk = os.read(fd, min(1 << 20, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError:  # a closed or odd stdin: what arrived is all there is
        pass
    return b"".join(chunks)


def write_atomic(path: StrPath, data: bytes | str, mode: int = 0o600, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically, with ``mode``.

    ``durable``: fsync before the rename (state a user keeps); caches rewritten every
    few seconds pass False. A failure leaves the old file and no temp file behind.
    """
    try:
        tmp = _write_temp(path, data, mode, durable)
        try:
            os.replace(tmp, path)
        except BaseException:
            _discard(tmp)
            raise
    except OSError as exc:
        if exc.filename is None or os.path.basename(str(exc.filename)).startswith("."):
            # os.write and fsync name no file, os.open the temp one: name the target
            raise OSError(exc.errno, exc.strerror, os.fspath(path)) from exc
        raise


def write_atomic_if(path: StrPath, data: bytes | str, expected: bytes | None, mode: int) -> bool:
    """:func:`write_atomic` (durable), but only if ``path`` still holds ``expected``
    (None: it does not exist), checked right before the rename. False, with nothing
    written, when another writer changed it since it was read."""
    tmp = _write_temp(path, data, mode, True)
    try:
        try:
            with open(path, "rb") as fh:
                current: bytes | None = fh.read()
        except FileNotFoundError:
            current = None
        if current != expected:
            _discard(tmp)
            return False
        os.replace(tmp, path)
    except BaseException:
        _discard(tmp)
        raise
    return True


def _write_temp(path: StrPath, data: bytes | str, mode: int, durable: bool) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
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
    except BaseException:
        _discard(tmp)  # a full disk must not leave temp files behind
        raise
    return tmp


def _discard(tmp: str) -> None:
    try:  # noqa: SIM105 - contextlib is not imported on the hook path
        os.unlink(tmp)
    except OSError:
        pass


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


def sweep_temp_tree(root: StrPath, depth: int = 2, now: float | None = None) -> list[str]:
    """:func:`sweep_temp_files` in ``root`` and its directories ``depth`` levels down
    (cc-guard's state dir: ``statusline/``, ``handoff/``, ``checkpoints/<repo>/``...)."""
    removed = sweep_temp_files(root, now=now)
    if depth <= 0:
        return removed
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            removed += sweep_temp_tree(entry.path, depth - 1, now)
    return removed


class BoundedFile:
    """A transcript opened for reading that ends where the file ended when it was opened.

    Bytes appended later are left for the next read (the cursor says where it stopped);
    a file whose size says nothing about its content (``/proc``) reads as empty.
    """

    __slots__ = ("_fh", "_limit", "_pos")

    def __init__(self, fd: int, limit: int) -> None:
        self._fh = os.fdopen(fd, "rb")
        self._limit = limit
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        room = self._limit - self._pos
        if room <= 0:
            return b""
        data = self._fh.read(room if size < 0 else min(size, room))
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._pos = self._fh.seek(offset, whence)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def fileno(self) -> int:
        return self._fh.fileno()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> BoundedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_regular(path: StrPath) -> BoundedFile | None:
    """Open a transcript for reading, or None when it is not a regular file.

    Transcript paths come from outside (a hook payload, a directory listing that can
    change under us): a FIFO must not block the open, a device or a ``/proc`` file
    must not be read forever. So: a non-blocking open, a regular file required, and
    reads bounded by the size seen at open.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            return None
        os.set_blocking(fd, True)
        return BoundedFile(fd, st.st_size)
    except BaseException:
        os.close(fd)
        raise


def tail_lines(path: StrPath, max_bytes: int) -> list[bytes] | None:
    """The last ``max_bytes`` of a transcript, split at newlines; None when ``path`` is
    not a regular file (see :func:`open_regular`) or cannot be read.

    A first line the window cuts is left out. The last item is what follows the final
    newline: ``b""`` when the file ends with one, else a line still being written.
    """
    fh = open_regular(path)
    if fh is None:
        return None
    try:
        with fh:
            size = os.fstat(fh.fileno()).st_size
            start = max(0, size - max_bytes)
            fh.seek(start)
            data = fh.read(size - start)
    except OSError:
        return None
    lines = data.split(b"\n")
    return lines[1:] if start else lines
