"""The transcript engine: every Claude Code session on the machine, kept current.

``Engine.refresh()`` discovers transcripts under ``<claude dir>/projects``,
reads only what was appended since the last run (offsets and folds live in the
persistent index, see :mod:`cc_guard.transcripts.index`), reads the hook event
log the same way, and builds one :class:`SessionModel` per session.
``load_session(path)`` does the same for one transcript without the index (for
hooks and handoff, which must not contend for it).
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import StrPath

from cc_guard.base.fs import ensure_private_dir
from cc_guard.base.procs import pid_alive
from cc_guard.state import events as event_log
from cc_guard.state import feeds
from cc_guard.state.events import SessionEvents
from cc_guard.transcripts.build import (
    brief_model,
    finish,
    full_model,
    judgement_valid_until,
    merged_brief,
    session_id_of,
    sort_key,
)
from cc_guard.transcripts.fanout import (
    PARALLEL_MIN_BYTES,
    collect,
    dumps,
    env_int,
    file_size,
    loads,
    read_into,
)
from cc_guard.transcripts.fanout import fork_reader as _fork_reader
from cc_guard.transcripts.fold import Brief, Fold
from cc_guard.transcripts.index import INDEX_NAME, Index, IndexUnavailable
from cc_guard.transcripts.model import ParseStats, SessionModel
from cc_guard.transcripts.reader import Cursor, open_at


def config_windows() -> dict[str, int]:
    """``[context] windows`` from cc-guard's config; {} when there is none or it is
    broken (``cc-guard config`` reports a broken file; a listing goes on without it)."""
    from cc_guard.config.load import ConfigError, load_config

    try:
        return dict(load_config().context.windows)
    except ConfigError:
        return {}


class _CorruptIndex(Exception):
    """An index row that does not decode: the index is rebuilt from the transcripts."""


def _row(text: str | bytes) -> dict[str, Any]:
    """One JSON object of an index row; :class:`_CorruptIndex` if it is not one."""
    try:
        value = loads(text)
    except ValueError:
        raise _CorruptIndex from None
    if not isinstance(value, dict):
        raise _CorruptIndex
    return value


class _Discovered:
    """A main transcript found on disk, with its subagent transcripts."""

    __slots__ = ("path", "session_id", "stat", "subagents")

    def __init__(
        self, path: str, stat: os.stat_result, subagents: list[tuple[str, os.stat_result]]
    ) -> None:
        self.path = path
        self.session_id = session_id_of(path)
        self.stat = stat
        self.subagents = subagents


def _norm(path: StrPath) -> str:
    """Paths named one way however the Claude directory was spelled (``//``, ``./``)."""
    return str(Path(path))


def _scan(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a looping symlink (ELOOP), a name too long: not one we read
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def discover(projects: str) -> list[_Discovered]:
    """Main transcripts ``<project>/<session>.jsonl`` and their ``<session>/subagents/agent-*.jsonl``."""
    found: list[_Discovered] = []
    for project in _scan(projects):
        if not _is_dir(project):
            continue
        entries = _scan(project.path)
        subdirs = {e.name for e in entries if _is_dir(e)}
        for entry in entries:
            if not entry.name.endswith(".jsonl") or not _is_file(entry):
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            subs: list[tuple[str, os.stat_result]] = []
            name = entry.name[: -len(".jsonl")]
            if name in subdirs:
                for sub in _scan(os.path.join(project.path, name, "subagents")):
                    if sub.name.endswith(".jsonl") and _is_file(sub):
                        try:
                            subs.append((sub.path, sub.stat()))
                        except OSError:
                            continue
                subs.sort(key=lambda item: item[0])
            found.append(_Discovered(entry.path, st, subs))
    return found


_Group = tuple[_Discovered, "_Entry", list[tuple[str, "_Entry"]]]


def _attach_project_level_agents(groups: list[_Group]) -> list[_Group]:
    """Older Claude Code (2.0.x) wrote subagent transcripts beside the sessions as
    ``<project>/agent-*.jsonl``; attach each to the session its records name."""
    if not any(item.session_id.startswith("agent-") for item, _, _ in groups):
        return groups
    by_id = {item.session_id: subs_of for item, _, subs_of in groups}
    by_item = {item.session_id: item for item, _, _ in groups}
    kept: list[_Group] = []
    for item, entry, subs in groups:
        parent = entry.brief.session_id
        if (
            item.session_id.startswith("agent-")
            and parent
            and parent != item.session_id
            and parent in by_id
        ):
            by_id[parent].append((item.path, entry))
            by_item[parent].subagents.append((item.path, item.stat))
            continue
        kept.append((item, entry, subs))
    return kept


def discover_some(keys: list[str]) -> list[_Discovered]:
    """As :func:`discover`, for these main transcripts only (missing ones are left out)."""
    found: list[_Discovered] = []
    for key in keys:
        try:
            st = os.stat(key)
        except OSError:
            continue
        key = _norm(key)
        found.append(_Discovered(key, st, _subagent_files(key)))
    return found


def _subagent_files(path: str) -> list[tuple[str, os.stat_result]]:
    """``<dir>/<session>/subagents/*.jsonl`` of the transcript ``<dir>/<session>.jsonl``."""
    directory = os.path.join(os.path.dirname(path), session_id_of(path), "subagents")
    out = []
    for entry in _scan(directory):
        if entry.name.endswith(".jsonl") and _is_file(entry):
            try:
                out.append((entry.path, entry.stat()))
            except OSError:
                continue
    return sorted(out, key=lambda item: item[0])


def _threaded() -> bool:
    import threading  # only asked before a big first read: a refresh never loads it

    return threading.active_count() > 1


# --- public API -------------------------------------------------------------------


def load_session(
    path: Path, state_dir: Path | None = None, now: float | None = None
) -> SessionModel:
    """One transcript (plus its subagents) read from the start, without the index.

    Uses the statusline feed and the hook event log from ``state_dir`` (default:
    cc-guard's, if it exists): the window, and the facts (Stop, StopFailure,
    SessionEnd, Claude Code's pid) the state is judged from.
    """

    from cc_guard.base import paths

    path = Path(path)
    fold = read_into(path, Cursor(), Fold())
    subs = [(p, read_into(p, Cursor(), Fold())) for p, _ in _subagent_files(str(path))]
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    directory = state_dir if state_dir is not None else paths.state_dir(create=False)
    feed = feeds.read(str(directory), path.stem)
    session_events = session_facts(str(directory), path.stem)
    model = full_model(path, fold, subs, mtime)
    brief = merged_brief(fold.brief(), [sub.brief() for _, sub in subs])
    return finish(
        model,
        brief,
        mtime,
        time.time() if now is None else now,
        session_events,
        feed,
        config_windows(),
    )


def session_facts(state_dir: str, session_id: str) -> SessionEvents | None:
    """What the end of the hook event log says about one session (None: nothing)."""
    records = event_log.tail(state_dir, session_id)
    if not records:
        return None
    facts = SessionEvents()
    for record in records:
        facts.add(record)
    return facts


class _Entry:
    """One transcript file as the engine knows it between refreshes."""

    __slots__ = ("brief", "cursor", "fold", "fold_json", "version")

    def __init__(
        self, cursor: Cursor, brief: Brief, fold: Fold | None = None, fold_json: str | None = None
    ) -> None:
        self.cursor = cursor
        self.brief = brief
        self.fold = fold
        self.fold_json = fold_json  # from the index, decoded on first need
        self.version = 0  # bumped whenever new bytes were folded in (model cache key)


class Engine:
    """All sessions under a Claude directory, refreshed incrementally via the index.

    A long-lived Engine (the dashboard) keeps cursors, folds and built models in
    memory, so a refresh after one appended line reads that line, rewrites one
    index row, and rebuilds one model. Returned models are shared between
    refreshes while their transcript is unchanged: treat them as read-only.
    """

    def __init__(
        self,
        claude_dir: StrPath | None = None,
        state_dir: StrPath | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # cc_guard.base.paths only when needed: it imports tempfile (the result cache passes both).
        if claude_dir is None:
            from cc_guard.base import paths

            claude_dir = paths.claude_dir()
        self._claude_dir = _norm(claude_dir)
        self._state_dir = _norm(state_dir) if state_dir is not None else None
        self._clock = clock
        #: What the last refresh read (``bytes_read``: new transcript and event-log bytes).
        self.last_refresh = ParseStats()
        #: Transcript files the last refresh opened (unchanged ones are only stat'ed).
        self.files_read = 0
        #: Processes that read files in the last refresh (1, or more for big first reads).
        self.processes_used = 1
        self.sessions: list[SessionModel] = []
        #: Until when the last refresh's states hold on the clock alone (see
        #: build.judgement_valid_until), and the Claude Code pids whose liveness
        #: they also depend on, with that liveness (taken before judging).
        self.valid_until = float("inf")
        self.watched_pids: dict[int, bool] = {}
        #: The same per session (transcript path -> (valid until, pid or None)),
        #: so the result cache can redo only the sessions whose judgement expired.
        self.judgements: dict[str, tuple[float, int | None]] = {}
        #: transcript path -> the newest-first sort key (last activity, epoch seconds).
        self.sort_keys: dict[str, float] = {}
        self._entries: dict[str, _Entry] | None = None
        self._events: dict[str, SessionEvents] | None = None
        self._events_cursor = Cursor()
        self._models: dict[str, tuple[tuple[float, ...], SessionModel]] = {}
        self._brief_models: dict[str, tuple[tuple[float, ...], SessionModel]] = {}
        #: Why the on-disk index was not used or not updated (None: it was). With an
        #: unusable index the engine keeps one in memory: the answers stay the same.
        self.index_problem: str | None = None
        self._memory_index: Index | None = None
        #: Parallel reading pays off only for big first reads (forking has a fixed cost).
        self.parallel_min_bytes = PARALLEL_MIN_BYTES
        #: Reader processes for big first reads (``CC_GUARD_WORKERS`` overrides; 1 = never fork).
        self.max_workers = env_int("CC_GUARD_WORKERS", 2)

    @property
    def claude_dir(self) -> Path:

        return Path(self._claude_dir)

    @property
    def state_dir(self) -> Path:

        return Path(self._state())

    def _state(self) -> str:
        """The state directory (created 0700 if missing), as a string."""
        if self._state_dir is not None:
            ensure_private_dir(self._state_dir)
            return self._state_dir
        from cc_guard.base import paths

        return str(paths.state_dir())

    def refresh(self, brief: bool = False, only: list[str] | None = None) -> list[SessionModel]:
        """All sessions, newest first (see :meth:`_refresh`); an index row that
        does not decode rebuilds the index from the transcripts."""
        # A refresh makes hundreds of thousands of short-lived, acyclic objects (records,
        # folds, models): the cyclic collector would rescan the growing heap for nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._refresh_once(brief, only)
        finally:
            if collecting:
                gc.enable()

    def _refresh_once(self, brief: bool, only: list[str] | None) -> list[SessionModel]:
        try:
            return self._refresh(brief, only)
        except _CorruptIndex:
            self._rebuild_index()
            return self._refresh(brief, only)
        except IndexUnavailable as exc:
            if self._memory_index is not None:
                raise
            self._without_index(str(exc))
            return self._refresh(brief, only)

    def _without_index(self, problem: str) -> None:
        """Go on with an index in memory: the file is locked, read-only or on a full disk."""
        self.index_problem = problem
        self._memory_index = Index(None)
        self._entries, self._events, self._events_cursor = None, None, Cursor()
        self._models.clear()
        self._brief_models.clear()

    def _open_index(self) -> Index:
        if self._memory_index is not None:
            return self._memory_index
        return Index(os.path.join(self._state(), "index"))

    def _close_index(self, index: Index) -> None:
        if index.problem is not None:
            self.index_problem = index.problem
        if index is not self._memory_index:
            index.close()

    def _rebuild_index(self) -> None:
        """Forget the index (file and what this Engine took from it)."""
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(self._state(), "index", INDEX_NAME + suffix))
        self._entries, self._events, self._events_cursor = None, None, Cursor()
        self._models.clear()
        self._brief_models.clear()

    def _refresh(self, brief: bool, only: list[str] | None) -> list[SessionModel]:
        """All sessions, newest first, reading only bytes appended since the last refresh.

        ``brief=True`` returns summary models (ids, project, model, context,
        state, activity, counts; lists left empty): what a session list needs,
        without decoding every session's full fold from the index.

        ``only`` (main transcript paths; a fresh Engine, brief models) limits
        the refresh to those sessions, for a caller that keeps the rest of a
        stored list.
        Index rows of other files are neither read nor dropped.
        """
        run = ParseStats()
        self.files_read = 0
        state_dir = self._state()
        index = self._open_index()
        try:
            if only is not None:
                if self._entries is not None or not brief:
                    raise ValueError("a partial refresh needs a fresh Engine and brief=True")
                found = discover_some(only)
                keys = [str(i.path) for i in found]
                keys += [str(p) for i in found for p, _ in i.subagents]
                loaded = index.load_files(with_folds=False, paths=keys)
            elif self._entries is None:
                loaded = index.load_files(with_folds=not brief)
            if self._entries is None:
                self._entries = {
                    key: _Entry(Cursor.from_json(_row(c)), Brief.from_json(_row(b)), None, f)
                    for key, (c, b, f) in loaded.items()
                }
            entries = self._entries
            if only is None:
                found = discover(_norm(os.path.join(self._claude_dir, "projects")))
            jobs: list[tuple[str, _Entry]] = []
            seen: set[str] = set()

            def current(key: str, st: os.stat_result) -> _Entry:
                seen.add(key)
                entry = entries.get(key)
                if entry is None:
                    entry = entries[key] = _Entry(Cursor(), Brief())
                if not entry.cursor.unchanged(st):
                    jobs.append((key, entry))
                return entry

            groups = [
                (
                    item,
                    current(item.path, item.stat),
                    [(p, current(p, st)) for p, st in item.subagents],
                )
                for item in found
            ]
            updates = self._read_changed(jobs, index, run)
            if only is None:
                groups = _attach_project_level_agents(groups)
            removed = [key for key in entries if key not in seen]
            for key in removed:
                del entries[key]
                self._models.pop(key, None)
                self._brief_models.pop(key, None)
            index.save_files(updates, removed)
            events = self._read_events(index, state_dir, run)
            if not brief:
                for item, main, subs in groups:
                    self._fold(main, str(item.path), index)
                    for p, sub in subs:
                        self._fold(sub, str(p), index)
        finally:
            self._close_index(index)
        statusline = feeds.read_all(state_dir)
        windows = config_windows()
        now = self._clock()
        sessions: list[SessionModel] = []
        valid_until = float("inf")
        watched: dict[int, bool] = {}
        judgements: dict[str, tuple[float, int | None]] = {}
        for item, main, subs in groups:
            key = str(item.path)
            mtime = max([item.stat.st_mtime, *(st.st_mtime for _, st in item.subagents)])
            merged = merged_brief(main.brief, [sub.brief for _, sub in subs])
            version = (main.version, *(sub.version for _, sub in subs), len(subs), mtime)
            if brief:
                # Unchanged sessions keep their model: only finish() (clock, signals) reruns.
                cached_brief = self._brief_models.get(key)
                if cached_brief is not None and cached_brief[0] == version:
                    model = cached_brief[1]
                else:
                    model = brief_model(item.path, merged, [p for p, _ in subs], mtime)
                    self._brief_models[key] = (version, model)
            else:
                cached = self._models.get(key)
                if cached is not None and cached[0] == version:
                    model = cached[1]
                else:
                    assert main.fold is not None
                    model = full_model(
                        item.path, main.fold, [(p, s.fold or Fold()) for p, s in subs], mtime
                    )
                    self._models[key] = (version, model)
            sid = item.session_id
            session_events = events.get(sid)
            until, pid = judgement_valid_until(merged, mtime, now, session_events)
            judgements[key] = (until, pid)
            valid_until = min(valid_until, until)
            if pid is not None and pid not in watched:
                watched[pid] = pid_alive(pid)
            sessions.append(
                finish(model, merged, mtime, now, session_events, statusline.get(sid), windows)
            )
        # Ties (same last activity) by path, not by directory listing order, so the
        # order is the same however the files were found.
        newest = {s.transcript_path: sort_key(s) for s in sessions}
        sessions.sort(key=lambda s: s.transcript_path, reverse=True)
        sessions.sort(key=lambda s: newest[s.transcript_path], reverse=True)
        self.valid_until, self.watched_pids = valid_until, watched
        self.judgements, self.sort_keys = judgements, newest
        self.last_refresh = run
        self.sessions = sessions
        return sessions

    def _fold(self, entry: _Entry, key: str, index: Index) -> Fold:
        """The entry's fold, decoded from the index on first need."""
        if entry.fold is None:
            if entry.fold_json is None and entry.cursor.offset == 0:
                entry.fold = Fold()  # nothing read yet: no stored fold worth a query
                return entry.fold
            raw = entry.fold_json if entry.fold_json is not None else index.load_fold(key)
            entry.fold = Fold.from_json(_row(raw)) if raw else Fold()
            entry.fold_json = None
        return entry.fold

    def _read_changed(
        self, jobs: list[tuple[str, _Entry]], index: Index, run: ParseStats
    ) -> list[tuple[str, str, str, str]]:
        """Fold the new bytes of every changed file; rows for the index.

        With many bytes to read (a first run over a big history), the files are
        split by size between this process and forked children, one per core:
        parsing is CPU-bound and the files are independent. A child's rows come
        back over a pipe (marshal); a child that fails is redone here.
        """
        self.files_read += len(jobs)
        return self._read_jobs(jobs, index, run)

    def _read_jobs(
        self, jobs: list[tuple[str, _Entry]], index: Index, run: ParseStats
    ) -> list[tuple[str, str, str, str]]:
        todo = {key: max(0, file_size(key) - e.cursor.offset) for key, e in jobs}
        workers = min(os.cpu_count() or 1, self.max_workers, len(jobs))
        if (
            workers < 2
            or sum(todo.values()) < self.parallel_min_bytes
            or not hasattr(os, "fork")
            or _threaded()  # forking a threaded process can deadlock the child
        ):
            self.processes_used = 1
            return [self._read_one(key, entry, index, run) for key, entry in jobs]
        self.processes_used = workers
        shares: list[list[tuple[str, _Entry]]] = [[] for _ in range(workers)]
        weights = [0] * workers
        for key, entry in sorted(jobs, key=lambda job: -todo[job[0]]):
            least = weights.index(min(weights))
            shares[least].append((key, entry))
            weights[least] += todo[key]
        for share in shares[1:]:  # children cannot use the index connection: load folds first
            for key, entry in share:
                self._fold(entry, key, index)
        children = [
            (_fork_reader([(k, e.cursor, e.fold) for k, e in share]), share) for share in shares[1:]
        ]
        rows = [self._read_one(key, entry, index, run) for key, entry in shares[0]]
        for (pid, fd), share in children:
            result = collect(pid, fd)
            if result is None:
                rows.extend(self._read_one(key, entry, index, run) for key, entry in share)
                continue
            child_rows, read = result
            by_key = dict(share)
            for key, cursor_json, brief_json, fold_json in child_rows:
                entry = by_key[key]
                entry.cursor = Cursor.from_json(loads(cursor_json))
                entry.brief = Brief.from_json(loads(brief_json))
                entry.fold, entry.fold_json = None, fold_json
                entry.version += 1
                rows.append((key, cursor_json, brief_json, fold_json))
            run.bytes_read += read
        return rows

    def _read_one(
        self, key: str, entry: _Entry, index: Index | None, run: ParseStats
    ) -> tuple[str, str, str, str]:
        fold = entry.fold if index is None else self._fold(entry, key, index)
        fold = read_into(key, entry.cursor, fold or Fold(), run)
        entry.fold, entry.fold_json, entry.brief = fold, None, fold.brief()
        entry.version += 1
        return (
            key,
            dumps(entry.cursor.to_json()),
            dumps(entry.brief.to_json()),
            dumps(fold.to_json()),
        )

    def _read_events(
        self, index: Index, state_dir: str, run: ParseStats
    ) -> dict[str, SessionEvents]:
        """Fold new lines of the hook event log into the per-session event summary."""
        if self._events is None:
            raw_cursor = index.get_meta("events_cursor")
            self._events_cursor = (
                Cursor.from_json(raw_cursor) if isinstance(raw_cursor, dict) else Cursor()
            )
            self._events = event_log.summaries_from_json(index.get_meta("events"))
        log = os.path.join(state_dir, "events.jsonl")
        try:
            st = os.stat(log)
        except OSError:
            return self._events
        cursor = self._events_cursor
        if cursor.unchanged(st):
            return self._events
        opened = open_at(log, cursor)
        if opened is None:
            return self._events
        fh, restarted = opened
        if restarted:
            self._events = {}
        with fh:
            data = fh.read()
        records, consumed = event_log.parse_chunk(data)
        cursor.offset += consumed
        for record in records:
            sid = record.get("session_id")
            if isinstance(sid, str) and sid:
                self._events.setdefault(sid, SessionEvents()).add(record)
        run.bytes_read += consumed
        index.set_meta("events_cursor", cursor.to_json())
        index.set_meta("events", event_log.summaries_to_json(self._events))
        return self._events

    def find(self, session_id_or_prefix: str) -> SessionModel:
        """The session (full model) with this id or unique id prefix; LookupError otherwise.

        Resolves the id on brief models, then decodes only that session's folds.
        """
        wanted = session_id_or_prefix.strip()
        if not wanted:
            raise LookupError("empty session id")
        sessions = self.refresh(brief=True)
        match = next((s for s in sessions if s.session_id == wanted), None)
        if match is None:
            matches = [s for s in sessions if s.session_id.startswith(wanted)]
            if not matches:
                raise LookupError(f"no session matches {wanted!r}")
            if len(matches) > 1:
                shown = ", ".join(s.session_id for s in matches[:5])
                more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
                raise LookupError(f"{wanted!r} is ambiguous: it matches {shown}{more}")
            match = matches[0]
        try:
            return self._full(match)
        except _CorruptIndex:
            self._rebuild_index()
            self._refresh(brief=True, only=None)
            return self._full(match)
        except IndexUnavailable as exc:
            if self._memory_index is not None:
                raise
            self._without_index(str(exc))
            self._refresh(brief=True, only=None)
            return self._full(match)

    def _full(self, summary: SessionModel) -> SessionModel:
        """The full model for a session the last refresh listed (briefly or not)."""
        assert self._entries is not None
        index = self._open_index()
        try:
            main = self._fold(
                self._entries[summary.transcript_path], summary.transcript_path, index
            )
            subs = [
                (p, self._fold(self._entries[p], p, index))
                for p in summary.subagents
                if p in self._entries
            ]
        finally:
            self._close_index(index)
        path = summary.transcript_path
        try:
            mtime = max([os.stat(path).st_mtime, *(os.stat(p).st_mtime for p, _ in subs)])
        except OSError:
            mtime = self._clock()
        model = full_model(path, main, subs, mtime)
        merged = merged_brief(main.brief(), [sub.brief() for _, sub in subs])
        events = (self._events or {}).get(session_id_of(path))
        feed = feeds.read(self._state(), session_id_of(path))
        return finish(model, merged, mtime, self._clock(), events, feed, config_windows())
