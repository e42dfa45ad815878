"""The ``cc-guard sessions [--json]`` result cache: answer a repeat run without the engine.

A repeat run with nothing changed would still load the engine, open the index and
rebuild every summary for an answer already known. So the listing stores its
``--json`` output in ``<state dir>/sessions-cache`` (0600) with everything the
output depends on:

- a fingerprint: ``(size, mtime_ns, inode, device)`` of every transcript the engine
  would read (``projects/*/*.jsonl`` and ``*/subagents/*.jsonl``), of the hook event
  log, each statusline feed file and the config file, plus cc-guard's own source
  files (an upgrade or a local edit changes the output);
- until when the states it judged hold on the clock alone (running -> idle after
  60 s, mid-turn -> interrupted after 10 min), see
  :func:`cc_guard.transcripts.build.judgement_valid_until`;
- the Claude Code pids whose liveness a state depends on, and that liveness.

:func:`main` (called by ``cc_guard.entry`` before click is imported) recomputes the
fingerprint (directory listings and stats only) and prints the stored output when
all of it still holds; otherwise it lists the sessions through the engine and
stores a fresh cache. The fingerprint is taken *before* the engine reads, so a file
that changes during a run makes the stored entry stale, never wrong.

This module is the only reader and writer of the cache file. Its warm path (a hit)
imports only ``os``, ``sys`` and ``time``: the whole run is a few stats, and the
warm budget (a tenth of ccusage's time) leaves no room for more.
"""

from __future__ import annotations

import os
import sys
import time

from cc_guard.base.paths import claude_root, config_path, state_root

TYPE_CHECKING = False  # typing's costs the warm path; mypy reads the names below
if TYPE_CHECKING:
    from cc_guard.transcripts.engine import Engine
    from cc_guard.transcripts.model import SessionModel

CACHE_NAME = "sessions-cache"
#: Bump when the cache layout or the ``sessions --json`` output changes.
FORMAT = b"cc-guard sessions cache 3"
#: The cc_guard package: its sources are part of the fingerprint.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def _is_dir(entry: os.DirEntry[bytes]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a looping symlink (ELOOP) and the like: not a directory we read
        return False


def _is_file(entry: os.DirEntry[bytes]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _sources(out: list[bytes], directory: bytes) -> None:
    for entry in _entries(directory):
        if entry.name.endswith(b".py"):
            _entry_line(out, entry)
        elif _is_dir(entry) and not entry.name.startswith((b".", b"__")):
            _sources(out, entry.path)


def fingerprint(claude: str, state: str) -> bytes:
    """Everything ``sessions`` output depends on, apart from the clock and pids.

    A superset of what the engine reads (every subdirectory's ``subagents/`` is
    listed, not only those of known sessions): extra entries can only cause a
    needless miss.
    """
    out: list[bytes] = [FORMAT, b"\n", os.fsencode(claude), b"\n"]
    line = b"%s\0%d\0%d\0%d\0%d\n"
    for project in _entries(os.fsencode(os.path.join(claude, "projects"))):
        if not _is_dir(project):
            continue
        out.append(b"project\0%s\n" % project.path)
        # Inlined (one stat per transcript, no helper calls): this loop is most of a
        # warm run over thousands of sessions.
        for entry in _entries(project.path):
            if entry.name.endswith(b".jsonl"):
                try:
                    st = entry.stat()
                except OSError:
                    continue  # vanished, or a looping symlink: the engine skips it too
                if st.st_mode & 0o170000 == 0o100000:  # a regular file
                    out.append(
                        line % (entry.path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)
                    )
            elif _is_dir(entry):
                for sub in _entries(os.path.join(entry.path, b"subagents")):
                    if sub.name.endswith(b".jsonl") and _is_file(sub):
                        _entry_line(out, sub)
    state_b = os.fsencode(state)
    _stat_line(out, os.path.join(state_b, b"events.jsonl"))
    for feed in _entries(os.path.join(state_b, b"statusline")):
        if feed.name.endswith(b".json"):
            _entry_line(out, feed)
    _stat_line(out, os.fsencode(config_path()))
    _sources(out, os.fsencode(_PACKAGE_DIR))
    return b"".join(out)


def _pid_alive(pid: int) -> bool:
    from cc_guard.base.procs import pid_alive

    return pid_alive(pid)


def encode(
    output: bytes, fp: bytes, computed_at: float, valid_until: float, pids: dict[int, bool]
) -> bytes:
    """The cache file: a header, the fingerprint, then the output to print."""
    pid_text = b",".join(b"%d:%d" % (pid, alive) for pid, alive in sorted(pids.items()))
    header = b"%s\n%s\n%s\n%s\n%d\n" % (
        FORMAT,
        repr(computed_at).encode(),
        repr(valid_until).encode(),
        pid_text,
        len(fp),
    )
    return header + fp + output


Entry = tuple[bytes, bytes, float, float, dict[int, bool]]


def decode(data: bytes) -> Entry | None:
    """(output, fingerprint, computed_at, valid_until, pids), or None if unreadable."""
    try:
        fmt, computed, until, pid_text, fp_len, rest = data.split(b"\n", 5)
        if fmt != FORMAT:
            return None
        n = int(fp_len)
        pids: dict[int, bool] = {}
        for item in pid_text.split(b",") if pid_text else ():
            pid, alive = item.split(b":")
            pids[int(pid)] = alive == b"1"
        if n < 0 or len(rest) < n:
            return None
        return rest[n:], rest[:n], float(computed), float(until), pids
    except ValueError:
        return None


def still_valid(entry: Entry, fp: bytes, now: float) -> bool:
    _, stored_fp, computed_at, valid_until, pids = entry
    if stored_fp != fp or not computed_at <= now < valid_until:
        return False  # something changed, a state may have flipped, or the clock went back
    return all(_pid_alive(pid) == alive for pid, alive in pids.items())


def cache_path(state: str) -> str:
    return os.path.join(state, CACHE_NAME)


def lookup(now: float | None = None) -> tuple[bytes | None, bytes]:
    """The stored ``sessions --json`` output if it still holds (else None), and the
    current fingerprint."""
    state = state_root(create=False)
    fp = fingerprint(claude_root(), state)
    try:
        with open(cache_path(state), "rb") as fh:
            data = fh.read()
    except OSError:
        return None, fp
    entry = decode(data)
    if entry is None or not still_valid(entry, fp, time.time() if now is None else now):
        return None, fp
    return entry[0], fp


def store(
    state: str,
    output: bytes,
    fp: bytes,
    computed_at: float,
    valid_until: float,
    pids: dict[int, bool],
) -> None:
    """Write the cache (0600, atomic, no fsync: a lost cache only costs one slow run).
    Failures are ignored for the same reason."""
    from cc_guard.base.fs import write_atomic

    try:  # noqa: SIM105 - contextlib is one more import on the warm path
        write_atomic(
            cache_path(state),
            encode(output, fp, computed_at, valid_until, pids),
            durable=False,
        )
    except OSError:
        pass


def refresh(engine: Engine, taken: tuple[float, bytes] | None = None) -> tuple[list[SessionModel], str]:
    """All sessions (brief models, newest first) and the ``sessions --json`` text,
    stored for the next run under ``taken`` (time, :func:`fingerprint`) when the
    caller took them before the engine read anything."""
    from cc_guard.views.sessions import join_rows, row_text

    state = str(engine.state_dir)
    if taken is None:
        taken = (time.time(), fingerprint(str(engine.claude_dir), state))
    started, fp = taken
    found = engine.refresh(brief=True)
    text = join_rows([row_text(s) for s in found])
    store(state, (text + "\n").encode(), fp, started, engine.valid_until, engine.watched_pids)
    return found, text


def index_note(engine: Engine) -> str | None:
    """One line for stderr when the engine could not use or update its index."""
    if engine.index_problem is None:
        return None
    return f"cc-guard: {engine.index_problem}; the transcripts were read without it."


def _write(data: bytes) -> None:
    try:
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
    except BrokenPipeError:
        # As the CLI does: a reader that went away (``| head``) is not an error.
        # stdout now points at /dev/null so the interpreter's last flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (AttributeError, ValueError, OSError):
        pass  # no stdout at all (closed): nothing to show it on


def main(as_json: bool = True) -> int | None:
    """``cc-guard sessions [--json]`` without click: the cached list if it still
    holds, else a fresh listing (which stores the next cache). None when the
    Claude directory is missing or the state dir unusable: the CLI reports that."""
    if not os.path.isdir(claude_root()):
        return None
    started = time.time()
    output, fp = lookup(started)
    if output is None:
        from cc_guard.transcripts.engine import Engine

        engine = Engine()
        try:
            _, text = refresh(engine, (started, fp))
        except OSError:
            return None  # e.g. an unusable state dir: the CLI says so in one line
        output = (text + "\n").encode()
        note = index_note(engine)
        if note is not None:
            try:  # noqa: SIM105 - contextlib is one more import here
                sys.stderr.write(note + "\n")
            except (AttributeError, OSError, ValueError):
                pass
    if not as_json:
        import json

        from cc_guard.views.sessions import render_table

        rows = json.loads(output)["sessions"]
        projects = os.path.join(claude_root(), "projects")
        output = (render_table(rows, time.time(), projects) + "\n").encode()
    _write(output)
    return 0
