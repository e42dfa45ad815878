"""The ``cc-guard sessions [--json]`` result cache: answer a repeat run without the engine.

A repeat run with nothing changed would still load the engine, open the index
and rebuild every summary (~150 ms for 600 sessions) for an answer already
known. So the sessions listing stores its ``--json`` output in
``<state_dir>/sessions-cache`` (0600) together with everything the output
depends on:

- a fingerprint: ``(size, mtime_ns, inode, device)`` of every transcript the
  engine would read (``projects/*/*.jsonl`` and ``*/subagents/*.jsonl``), of
  the hook event log, each statusline feed file and the config file, plus the
  engine's own source files (an upgrade or a local edit changes the output);
- until when the states it judged hold on the clock alone (running -> idle
  after 60 s, mid-turn -> interrupted after 10 min, "N min ago" reasons), see
  :func:`cc_guard.transcripts.build.judgement_valid_until`;
- the Claude Code pids whose liveness a state depends on, and that liveness.

:func:`main` (called from ``cc_guard.entry`` before click is imported)
recomputes the fingerprint (directory listings and stats only) and prints the
stored output when all of it still holds; otherwise it lists the sessions
through the engine (still without click) and stores a fresh cache. The table
of plain ``cc-guard sessions`` is rendered from the same text. The fingerprint
is taken *before* the engine reads, so a file that changes during a run makes
the stored entry stale, never wrong.

Import-light on purpose (os, sys, time only): this is the whole warm run.
"""

from __future__ import annotations

import os
import sys
import time

CACHE_NAME = "sessions-cache"
#: Bump when the cache layout or the ``sessions --json`` output changes.
FORMAT = b"cc-guard sessions cache 2"
_SOURCE_DIR = os.path.dirname(os.path.abspath(__file__))


def claude_dir() -> str:
    """As :func:`cc_guard.base.paths.claude_dir`, as a string, without importing pathlib."""
    env = os.environ.get("CLAUDE_CONFIG_DIR")
    if env:
        return os.path.expanduser(env)
    return os.path.join(os.path.expanduser("~"), ".claude")


def state_dir() -> str:
    env = os.environ.get("CC_GUARD_HOME")
    if env:
        return os.path.expanduser(env)
    import platformdirs

    return str(platformdirs.user_state_dir("cc-guard", appauthor=False))


def config_file() -> str:
    """As :func:`cc_guard.base.paths.config_file`, as a string, without importing pathlib."""
    env = os.environ.get("CC_GUARD_CONFIG")
    if env:
        return os.path.expanduser(env)
    import platformdirs

    return os.path.join(platformdirs.user_config_dir("cc-guard", appauthor=False), "config.toml")


def _entries(path: bytes) -> list[os.DirEntry[bytes]]:
    try:
        with os.scandir(path) as it:
            entries = list(it)
    except OSError:
        return []
    entries.sort(key=lambda e: e.name)
    return entries


def _stat_line(out: list[bytes], path: bytes) -> None:
    try:
        st = os.stat(path)
    except OSError:
        out.append(b"%s\0-\n" % path)
        return
    out.append(b"%s\0%d\0%d\0%d\0%d\n" % (path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev))


def _entry_line(out: list[bytes], entry: os.DirEntry[bytes]) -> None:
    try:
        st = entry.stat()
    except OSError:
        return  # vanished between listing and stat: the engine would skip it too
    out.append(
        b"%s\0%d\0%d\0%d\0%d\n" % (entry.path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)
    )


def fingerprint(claude: str, state: str) -> bytes:
    """Everything ``sessions`` output depends on, apart from the clock and pids.

    A superset of what the engine reads (every subdirectory's ``subagents/`` is
    listed, not only those of known sessions): extra entries can only cause a
    needless miss.
    """
    out: list[bytes] = [FORMAT, b"\n", os.fsencode(claude), b"\n"]
    for project in _entries(os.fsencode(os.path.join(claude, "projects"))):
        if not project.is_dir():
            continue
        out.append(b"project\0%s\n" % project.path)
        for entry in _entries(project.path):
            if entry.name.endswith(b".jsonl"):
                if entry.is_file():
                    _entry_line(out, entry)
            elif entry.is_dir():
                for sub in _entries(os.path.join(entry.path, b"subagents")):
                    if sub.name.endswith(b".jsonl") and sub.is_file():
                        _entry_line(out, sub)
    state_b = os.fsencode(state)
    _stat_line(out, os.path.join(state_b, b"events.jsonl"))
    for feed in _entries(os.path.join(state_b, b"statusline")):
        if feed.name.endswith(b".json"):
            _entry_line(out, feed)
    _stat_line(out, os.fsencode(config_file()))
    for source in _entries(os.fsencode(_SOURCE_DIR)):
        if source.name.endswith(b".py"):
            _entry_line(out, source)
    _stat_line(
        out, os.fsencode(os.path.join(os.path.dirname(_SOURCE_DIR), "commands", "sessions.py"))
    )
    return b"".join(out)


def pid_alive(pid: int) -> bool:
    """As :func:`cc_guard.transcripts.signals.pid_alive` (kept here: no imports)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def encode(
    print_: bytes,
    fp: bytes,
    computed_at: float,
    valid_until: float,
    pids: dict[int, bool],
    sessions: bytes = b"",
) -> bytes:
    """The cache file: a header, the fingerprint, the per-session records
    (:mod:`.splice`; empty: none kept), then the output to print."""
    pid_text = b",".join(b"%d:%d" % (pid, alive) for pid, alive in sorted(pids.items()))
    header = b"%s\n%s\n%s\n%s\n%d\n%d\n" % (
        FORMAT,
        repr(computed_at).encode(),
        repr(valid_until).encode(),
        pid_text,
        len(fp),
        len(sessions),
    )
    return header + fp + sessions + print_


Entry = tuple[bytes, bytes, float, float, dict[int, bool], bytes]


def decode_all(data: bytes) -> Entry | None:
    """(output, fingerprint, computed_at, valid_until, pids, session records),
    or None if unreadable."""
    try:
        fmt, computed, until, pid_text, fp_len, sessions_len, rest = data.split(b"\n", 6)
        if fmt != FORMAT:
            return None
        n, m = int(fp_len), int(sessions_len)
        pids: dict[int, bool] = {}
        for item in pid_text.split(b",") if pid_text else ():
            pid, alive = item.split(b":")
            pids[int(pid)] = alive == b"1"
        if n < 0 or m < 0 or len(rest) < n + m:
            return None
        return rest[n + m :], rest[:n], float(computed), float(until), pids, rest[n : n + m]
    except ValueError:
        return None


def decode(data: bytes) -> tuple[bytes, bytes, float, float, dict[int, bool]] | None:
    """(output, fingerprint, computed_at, valid_until, pids), or None if unreadable."""
    entry = decode_all(data)
    return None if entry is None else entry[:5]


def still_valid(entry: Entry, fp: bytes, now: float) -> bool:
    _, stored_fp, computed_at, valid_until, pids, _ = entry
    if stored_fp != fp or not computed_at <= now < valid_until:
        return False  # something changed, a state may have flipped, or the clock went back
    return all(pid_alive(pid) == alive for pid, alive in pids.items())


def cache_path(state: str) -> str:
    return os.path.join(state, CACHE_NAME)


def main(as_json: bool = True) -> int | None:
    """``cc-guard sessions [--json]`` without click: the cached list if it still
    holds, else a fresh listing (which stores the next cache). None when the
    Claude directory is missing: the CLI reports that."""
    if not os.path.isdir(claude_dir()):
        return None
    started = time.time()
    output, fp, stale = lookup(started)
    if output is None and stale is not None:
        # Redo only the sessions that changed, keep the other stored rows (splice.py).
        import gc

        from cc_guard.views.splice import refresh

        # Importing the engine makes thousands of long-lived, acyclic objects: the
        # cyclic collector's passes over them are ~5% of this path, for nothing.
        gc.disable()
        try:
            output = refresh(stale, fp, started)
        finally:
            gc.enable()
    if output is None:
        from cc_guard.transcripts.engine import Engine
        from cc_guard.views.sessions import list_json

        # The fingerprint just taken predates the engine's reads: store it as is.
        try:
            _, text = list_json(Engine(), (started, fp))
        except OSError:
            return None  # e.g. an unusable state dir: the CLI says so in one line
        output = (text + "\n").encode()
    if not as_json:
        import json

        from cc_guard.views.sessions import render_table

        rows = json.loads(output)["sessions"]
        output = (render_table(rows, time.time()) + "\n").encode()
    _write(output)
    return 0


def lookup(now: float | None = None) -> tuple[bytes | None, bytes, Entry | None]:
    """The stored ``sessions --json`` output if it still holds (else None), the
    current fingerprint, and the stored entry when it no longer holds."""
    state = state_dir()
    fp = fingerprint(claude_dir(), state)
    try:
        with open(cache_path(state), "rb") as fh:
            data = fh.read()
    except OSError:
        return None, fp, None
    entry = decode_all(data)
    if entry is None:
        return None, fp, None
    if not still_valid(entry, fp, time.time() if now is None else now):
        return None, fp, entry
    return entry[0], fp, None


def _write(data: bytes) -> None:
    try:
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
    except BrokenPipeError:
        # As the CLI does: a reader that went away (``| head``) is not an error.
        # stdout now points at /dev/null so the interpreter's last flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def serve(now: float | None = None) -> bool:
    """Print the cached ``sessions --json`` output if it still holds; False if not."""
    if not os.path.isdir(claude_dir()):
        return False
    output, _, _ = lookup(now)
    if output is None:
        return False
    _write(output)
    return True


def store(
    state: str,
    output: bytes,
    fp: bytes,
    computed_at: float,
    valid_until: float,
    pids: dict[int, bool],
    sessions: bytes = b"",
) -> None:
    """Write the cache (0600, atomically: temp file + rename; no fsync, as a
    lost cache only costs one slow run). Failures are ignored for the same reason."""
    path = cache_path(state)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(encode(output, fp, computed_at, valid_until, pids, sessions))
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        import contextlib  # only on this rare path: the warm run imports nothing it can avoid

        with contextlib.suppress(OSError):
            os.unlink(tmp)
