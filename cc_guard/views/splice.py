"""Refresh a stale ``sessions --json`` cache by redoing only the sessions that changed.

When one transcript grew by a line, the full listing (load the engine, decode
every session's brief from the index, rebuild and re-render 600 rows) costs
several times what the one changed session does. So the result cache
(:mod:`.warm`) also keeps, per session, its rendered ``--json`` row, its sort
key, and until when its state holds on the clock (and the Claude Code pid it
watches). On a miss, :func:`refresh` compares the stored fingerprint with the
current one, line by line, and maps every difference to the sessions it can
affect:

- a main transcript or one of its ``subagents/`` files: that session (a new
  file: a new session; a vanished main transcript: its row goes);
- new lines in the hook event log: the sessions they name;
- a statusline feed: the session of that id;
- a state whose clock ran out, or a watched pid that lived or died: that session.

Only those sessions go through the engine (:meth:`Engine.refresh` with
``only``); their rows replace the stored ones and the list is re-sorted the
engine's way (newest first, ties by path). Anything else that changed (the
config, cc-guard's source, the Claude dir, an event log that was created or
rewritten, an old-style project-level ``agent-*.jsonl``), an unreadable
record, or many changed sessions at once return None: the caller then lists
everything.

Import-light until a session has to be redone (os; json for new event lines).
"""

from __future__ import annotations

import os

from cc_guard.views import cache as warm

TYPE_CHECKING = False  # typing costs ~5 ms to import: this is the hot path
if TYPE_CHECKING:
    from cc_guard.transcripts.model import SessionModel

#: Above this many changed sessions, listing everything is about as fast.
MAX_SESSIONS = 64

#: (key, sort key, valid until, watched pid or None, the stored record line), newest first
Record = tuple[str, float, float, int | None, bytes]


def encode_records(
    sessions: list[SessionModel],
    rows: list[str],
    judgements: dict[str, tuple[float, int | None]],
    sort_keys: dict[str, float],
) -> bytes:
    """The per-session part of the cache for a full listing (empty if it cannot be kept)."""
    out: list[bytes] = []
    for session, row in zip(sessions, rows, strict=True):
        judged = judgements.get(session.transcript_path)
        sort = sort_keys.get(session.transcript_path)
        key = os.fsencode(session.transcript_path)
        if judged is None or sort is None or b"\n" in key or b"\0" in key:
            return b""  # a session the records could not describe: no partial refresh
        out.append(_record(key, sort, judged[0], judged[1], row.encode()))
    return b"".join(out)


def _record(key: bytes, sort: float, until: float, pid: int | None, row: bytes) -> bytes:
    pid_text = b"" if pid is None else b"%d" % pid
    return b"%s\0%s\0%s\0%s\0%s\n" % (key, repr(sort).encode(), repr(until).encode(), pid_text, row)


def decode_records(blob: bytes) -> list[Record] | None:
    records: list[Record] = []
    try:
        for line in blob.splitlines(keepends=True):
            key, sort, until, pid, _ = line.split(b"\0", 4)
            records.append(
                (os.fsdecode(key), float(sort), float(until), int(pid) if pid else None, line)
            )
    except ValueError:
        return None
    return records


def _row(line: bytes) -> bytes:
    """The rendered ``--json`` row of a record line (JSON text holds no NUL)."""
    return line[line.rindex(b"\0") + 1 : -1]


def _lines(fp: bytes) -> tuple[list[bytes], set[bytes]]:
    lines = fp.split(b"\n")
    return lines[:2], set(lines[2:])


def refresh(entry: warm.Entry, fp: bytes, now: float) -> bytes | None:
    """The ``sessions --json`` output after redoing the changed sessions (and the
    next cache stored), or None when only a full listing can tell."""
    _, old_fp, computed_at, _, pids, blob = entry
    if not blob or not computed_at <= now:
        return None
    records = decode_records(blob)
    old_head, old_lines = _lines(old_fp)
    new_head, new_lines = _lines(fp)
    if records is None or old_head != new_head:  # format or Claude dir changed
        return None
    claude, state = warm.claude_dir(), warm.state_dir()
    projects = os.fsencode(os.path.join(claude, "projects")) + b"/"
    feeds = os.fsencode(os.path.join(state, "statusline")) + b"/"
    events = os.fsencode(os.path.join(state, "events.jsonl"))
    for line in old_lines | new_lines:
        # An old-style subagent transcript beside the sessions belongs to another
        # session (whose row then depends on it even while it is unchanged).
        rel = line[len(projects) :].split(b"\0")[0] if line.startswith(projects) else b""
        if rel.count(b"/") == 1 and rel.split(b"/")[1].startswith(b"agent-"):
            return None
    changed_files: set[tuple[bytes, ...]] = set()
    sids: set[str] = set()
    old_events: bytes | None = None
    new_events: bytes | None = None
    for line in old_lines ^ new_lines:
        path = line.split(b"\0")[0]
        if path == b"project":
            continue  # a project directory: its files have lines of their own
        if path.startswith(projects):
            parts = tuple(path[len(projects) :].split(b"/"))
            if len(parts) == 2 or (len(parts) == 4 and parts[2] == b"subagents"):
                changed_files.add(parts)
                continue
            return None
        if path.startswith(feeds) and path.endswith(b".json"):
            sids.add(os.fsdecode(path[len(feeds) : -len(b".json")]))
            continue
        if path == events:
            if line in old_lines:
                old_events = line
            else:
                new_events = line
            continue
        return None  # config, cc-guard's source, anything unforeseen
    if old_events is not None or new_events is not None:
        named = _new_event_sessions(events, old_events, new_events)
        if named is None:
            return None
        sids |= named
    return _redo(records, changed_files, sids, pids, now, fp)


def _new_event_sessions(path: bytes, old: bytes | None, new: bytes | None) -> set[str] | None:
    """Session ids named by lines appended to the event log since ``old`` (its
    fingerprint line), or None if it was rewritten rather than appended to."""
    if new is None or new.endswith(b"\0-"):
        return set()  # the log is gone: the engine keeps what it had read
    if old is None or old.endswith(b"\0-"):
        # A log that (re)appeared: the engine's cursor may point into a former
        # one, and it then forgets every session's events, not only these.
        return None
    _, old_size, _, old_ino, old_dev = old.split(b"\0")
    start = int(old_size)
    _, new_size, _, new_ino, new_dev = new.split(b"\0")
    if (old_ino, old_dev) != (new_ino, new_dev):
        return None
    if int(new_size) <= start:
        return None
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, start - 1))
            data = fh.read(int(new_size) - start + 1 if start else int(new_size))
    except OSError:
        return None
    if start:
        if data[:1] != b"\n":
            return None  # the stored size cut a line: who knows what it said
        data = data[1:]
    import json

    found: set[str] = set()
    # The last piece has no newline yet: the engine leaves it for the next read too.
    for line in data.split(b"\n")[:-1]:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the engine skips it as well
        if isinstance(record, dict):
            sid = record.get("session_id")
            if isinstance(sid, str) and sid:
                found.add(sid)
    return found


def _redo(
    records: list[Record],
    changed_files: set[tuple[bytes, ...]],
    sids: set[str],
    pids: dict[int, bool],
    now: float,
    fp: bytes,
) -> bytes | None:
    redo: set[str] = set()
    alive = {pid: warm.pid_alive(pid) for pid in pids}
    for key, _, until, pid, _ in records:
        expired = not now < until or (pid is not None and alive.get(pid) != pids.get(pid))
        if expired or (sids and os.path.basename(key)[: -len(".jsonl")] in sids):
            redo.add(key)
    if len(redo) + len(changed_files) > MAX_SESSIONS:
        return None
    kept = records
    watched: dict[int, bool] = {}
    if redo or changed_files:
        from cc_guard.transcripts.engine import Engine, normal_path
        from cc_guard.views.sessions import row_text

        claude = warm.claude_dir()
        engine = Engine(claude, warm.state_dir())
        for parts in changed_files:
            name = parts[1] if len(parts) == 2 else parts[1] + b".jsonl"
            # Named as the engine names them (discover() joins onto the normalised dir).
            path = os.path.join(claude, "projects", os.fsdecode(parts[0]), os.fsdecode(name))
            redo.add(normal_path(path))
        kept = [record for record in records if record[0] not in redo]
        for session in engine.refresh(brief=True, only=sorted(redo)):
            key = session.transcript_path
            until, pid = engine.judgements[key]
            sort = engine.sort_keys[key]
            line = _record(os.fsencode(key), sort, until, pid, row_text(session).encode())
            kept.append((key, sort, until, pid, line))
        watched.update(engine.watched_pids)
        # The engine's order: newest first, ties by path (descending, as it sorts).
        kept.sort(key=lambda record: (record[1], record[0]), reverse=True)
    # Kept rows' pids were just checked unchanged; redone rows' pids the engine judged by.
    for _, _, _, pid, _ in kept:
        if pid is not None and pid not in watched:
            watched[pid] = alive.get(pid, False)
    watched = {pid: watched[pid] for pid in {record[3] for record in kept} if pid is not None}
    output = b'{"sessions": [' + b", ".join(_row(record[4]) for record in kept) + b"]}\n"
    valid_until = min((record[2] for record in kept), default=float("inf"))
    blob = b"".join(record[4] for record in kept)
    warm.store(warm.state_dir(), output, fp, now, valid_until, watched, blob)
    return output
