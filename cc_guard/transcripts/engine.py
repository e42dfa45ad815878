"""The transcript engine: every Claude Code session on the machine, kept current.

``Engine.refresh()`` discovers transcripts under ``<claude dir>/projects``,
reads only what was appended since the last run (offsets and folds live in the
persistent index, see :mod:`cc_guard.transcripts.index`), reads the hook event
log the same way, and builds one :class:`SessionModel` per session.
``load_session(path)`` does the same for one transcript without the index (for
hooks and handoff, which must not contend for it).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cc_guard import paths
from cc_guard.transcripts.fold import MID_TURN, Fold, Phase
from cc_guard.transcripts.index import Index
from cc_guard.transcripts.model import (
    FileTouch,
    Incident,
    ParseStats,
    SessionModel,
    SessionState,
    TokenTotals,
)
from cc_guard.transcripts.reader import Cursor, iter_new, open_at
from cc_guard.transcripts.signals import (
    SessionEvents,
    config_windows,
    epoch,
    events_from_json,
    events_to_json,
    pid_alive,
    statusline_feed,
    table_window,
)

#: A transcript written to this recently belongs to a session that is running.
RECENT_SECONDS = 60.0
#: Mid-turn but silent for this long: the process is gone (unless its pid lives).
STALE_SECONDS = 600.0


@dataclasses.dataclass
class _Discovered:
    path: Path
    stat: os.stat_result
    subagents: list[tuple[Path, os.stat_result]]


def _scan(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


def discover(projects: Path) -> list[_Discovered]:
    """Main transcripts ``<project>/<session>.jsonl`` and their ``<session>/subagents/agent-*.jsonl``."""
    found: list[_Discovered] = []
    for project in _scan(str(projects)):
        if not project.is_dir():
            continue
        entries = _scan(project.path)
        subdirs = {e.name for e in entries if e.is_dir()}
        for entry in entries:
            if not entry.name.endswith(".jsonl") or not entry.is_file():
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            subs: list[tuple[Path, os.stat_result]] = []
            stem = entry.name[: -len(".jsonl")]
            if stem in subdirs:
                for sub in _scan(os.path.join(project.path, stem, "subagents")):
                    if sub.name.endswith(".jsonl") and sub.is_file():
                        try:
                            subs.append((Path(sub.path), sub.stat()))
                        except OSError:
                            continue
                subs.sort(key=lambda item: str(item[0]))
            found.append(_Discovered(Path(entry.path), st, subs))
    return found


def _subagent_files(path: Path) -> list[tuple[Path, os.stat_result]]:
    directory = path.with_suffix("") / "subagents"
    out = []
    for entry in _scan(str(directory)):
        if entry.name.endswith(".jsonl") and entry.is_file():
            try:
                out.append((Path(entry.path), entry.stat()))
            except OSError:
                continue
    return sorted(out, key=lambda item: str(item[0]))


def read_into(path: Path, cursor: Cursor, fold: Fold, run_stats: ParseStats | None = None) -> Fold:
    """Fold what was appended to ``path`` since ``cursor`` (a fresh Fold if it was replaced)."""
    opened = open_at(path, cursor)
    if opened is None:
        return fold
    fh, restarted = opened
    if restarted:
        fold = Fold()
    before = fold.stats.bytes_read
    for item in iter_new(fh, cursor, fold.stats):
        if isinstance(item, bytes):
            fold.add_oversized(item)
        else:
            fold.add(item)
    if run_stats is not None:
        run_stats.bytes_read += fold.stats.bytes_read - before
    return fold


# --- building the model ---------------------------------------------------------


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _judge_state(
    fold: Fold, mtime: float, now: float, events: SessionEvents | None
) -> tuple[SessionState, str]:
    """The session's state and why; definitions in :class:`SessionState` and README."""
    last = epoch(fold.last_ts) or mtime
    phase_time = epoch(fold.phase_ts) or last
    if events is not None:
        ended = epoch(events.ended_at)
        if ended is not None and ended + 1 >= last:
            reason = f"SessionEnd ({events.end_reason})" if events.end_reason else "SessionEnd"
            return SessionState.ENDED, reason
        failed = epoch(events.stop_failure_at)
        if failed is not None and failed + 1 >= phase_time and fold.phase != Phase.END:
            return (
                SessionState.INTERRUPTED,
                f"StopFailure ({events.stop_failure_error or 'unknown'})",
            )
    if fold.phase == Phase.FAILED:
        final = [i for i in fold.incidents if i.final]
        kind = final[-1].kind.value if final else "api_error"
        return SessionState.INTERRUPTED, f"the last turn failed: {kind}"
    if fold.phase == Phase.COMPACTED:
        return SessionState.COMPACTED, "compacted; no turn since"
    age = max(0.0, now - mtime)
    if fold.phase in MID_TURN:
        pid = events.claude_pid if events is not None else None
        if age < STALE_SECONDS or pid_alive(pid):
            return SessionState.RUNNING, f"mid-turn ({fold.phase})"
        pending = [c for c in fold.pending.values() if not c.is_sidechain]
        if pending:
            return SessionState.INTERRUPTED, f"tool call {pending[-1].name} never got a result"
        return SessionState.INTERRUPTED, f"stopped mid-turn ({fold.phase}) {int(age // 60)} min ago"
    if age < RECENT_SECONDS:
        return SessionState.RUNNING, "transcript changed in the last minute"
    if fold.phase == Phase.USER_INTERRUPT:
        return SessionState.IDLE, "interrupted by the user"
    return SessionState.IDLE, "the last turn ended"


def build_model(
    path: Path,
    fold: Fold,
    subagents: list[tuple[Path, Fold]],
    mtime: float,
    now: float,
    events: SessionEvents | None = None,
    feed: dict[str, object] | None = None,
    windows: dict[str, int] | None = None,
) -> SessionModel:
    """Merge a main transcript's fold and its subagents' folds into one SessionModel."""
    session_id = path.stem
    model = SessionModel(session_id=session_id, transcript_path=str(path))
    model.project_dir = fold.cwd
    model.git_branch = fold.git_branch
    model.model = fold.model or fold.requested_model
    model.version = fold.version
    model.first_activity = fold.first_ts or _iso(mtime)
    model.last_activity = fold.last_ts or _iso(mtime)
    model.turns = fold.turns
    model.api_calls = fold.api_calls
    model.compactions = list(fold.compactions)
    model.todos = list(fold.todos)
    model.prompts = list(fold.prompts)
    model.last_assistant_text = fold.last_assistant_text
    model.pending_tool_calls = [c for c in fold.pending.values() if not c.is_sidechain]
    model.subagents = [str(p) for p, _ in subagents]
    tokens = dataclasses.replace(fold.tokens)
    incidents: list[Incident] = list(fold.incidents)
    files: dict[str, FileTouch] = {
        p: dataclasses.replace(t, tools=list(t.tools)) for p, t in fold.files.items()
    }
    stats = dataclasses.replace(
        fold.stats, unknown_record_types=dict(fold.stats.unknown_record_types)
    )
    for _sub_path, sub in subagents:
        _add_tokens(tokens, sub.tokens)
        model.api_calls += sub.api_calls
        incidents.extend(dataclasses.replace(i, source="subagent") for i in sub.incidents)
        for p, touch in sub.files.items():
            mine = files.get(p)
            if mine is None:
                files[p] = dataclasses.replace(touch, tools=list(touch.tools))
            else:
                mine.count += touch.count
                mine.tools.extend(t for t in touch.tools if t not in mine.tools)
                if (touch.last_time or "") > (mine.last_time or ""):
                    mine.last_time = touch.last_time
        _add_stats(stats, sub.stats)
        if sub.last_ts and (model.last_activity or "") < sub.last_ts:
            model.last_activity = sub.last_ts
    model.tokens = tokens
    model.incidents = sorted(incidents, key=lambda i: i.time or "")
    model.files_touched = sorted(files.values(), key=lambda t: t.last_time or "")
    model.stats = stats
    model.state, model.state_reason = _judge_state(fold, mtime, now, events)
    if events is not None:
        model.claude_pid = events.claude_pid
    _context(model, fold, feed, windows or {})
    return model


def _context(
    model: SessionModel, fold: Fold, feed: dict[str, object] | None, windows: dict[str, int]
) -> None:
    """Context fill, and the window: statusline feed > config override > model table."""
    name = fold.context_model or fold.model or fold.requested_model
    model.context_tokens = fold.context_tokens
    window, source = table_window(name, fold.context_tokens), "transcript"
    if name and name in windows:
        window, source = windows[name], "config"
    if feed is not None:
        size = feed.get("context_window_size")
        feed_model = feed.get("model_id")
        if (
            isinstance(size, int)
            and size > 0
            and (not feed_model or not name or feed_model == name)
        ):
            window, source = size, "statusline"
    model.context_window = window
    model.context_source = source
    if fold.context_tokens is not None and window:
        model.context_percent = round(100.0 * fold.context_tokens / window, 1)


def _add_tokens(into: TokenTotals, other: TokenTotals) -> None:
    into.input_tokens += other.input_tokens
    into.output_tokens += other.output_tokens
    into.cache_creation_input_tokens += other.cache_creation_input_tokens
    into.cache_read_input_tokens += other.cache_read_input_tokens


def _add_stats(into: ParseStats, other: ParseStats) -> None:
    into.lines += other.lines
    into.bytes_read += other.bytes_read
    into.malformed_lines += other.malformed_lines
    into.non_utf8_lines += other.non_utf8_lines
    into.oversized_lines += other.oversized_lines
    for key, count in other.unknown_record_types.items():
        into.unknown_record_types[key] = into.unknown_record_types.get(key, 0) + count


def _sort_key(model: SessionModel) -> float:
    return epoch(model.last_activity) or 0.0


# --- public API -------------------------------------------------------------------


def load_session(
    path: Path, state_dir: Path | None = None, now: float | None = None
) -> SessionModel:
    """One transcript (plus its subagents) read from the start, without the index.

    Uses the statusline feed from ``state_dir`` (default: cc-guard's, if it
    exists) for the window; hook events are not read (callers on the hook path
    already know the event).
    """
    path = Path(path)
    fold = read_into(path, Cursor(), Fold())
    subs = [(p, read_into(p, Cursor(), Fold())) for p, _ in _subagent_files(path)]
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    directory = state_dir if state_dir is not None else paths.state_dir(create=False)
    feed = statusline_feed(directory).get(path.stem) if directory.exists() else None
    return build_model(
        path, fold, subs, mtime, time.time() if now is None else now, None, feed, config_windows()
    )


class Engine:
    """All sessions under a Claude directory, refreshed incrementally via the index."""

    def __init__(
        self,
        claude_dir: Path | None = None,
        state_dir: Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.claude_dir = Path(claude_dir) if claude_dir is not None else paths.claude_dir()
        self._state_dir = Path(state_dir) if state_dir is not None else None
        self._clock = clock
        #: What the last refresh read (bytes_read: new bytes only; files_read: files opened).
        self.last_refresh = ParseStats()
        self.files_read = 0
        self.sessions: list[SessionModel] = []

    @property
    def state_dir(self) -> Path:
        if self._state_dir is not None:
            paths.ensure_private_dir(self._state_dir)
            return self._state_dir
        return paths.state_dir()

    def refresh(self) -> list[SessionModel]:
        """All sessions, newest first, reading only bytes appended since the last refresh."""
        run = ParseStats()
        self.files_read = 0
        state_dir = self.state_dir
        index = Index(state_dir / "index")
        try:
            stored = index.load_files()
            found = discover(self.claude_dir / "projects")
            updates: list[tuple[str, dict[str, object], dict[str, object]]] = []

            def current(path: Path, st: os.stat_result) -> Fold:
                key = str(path)
                row = stored.pop(key, None)
                cursor = Cursor.from_json(json.loads(row[0])) if row else Cursor()
                fold = Fold.from_json(json.loads(row[1])) if row else Fold()
                if row is not None and cursor.unchanged(st):
                    return fold
                self.files_read += 1
                fold = read_into(path, cursor, fold, run)
                updates.append((key, cursor.to_json(), fold.to_json()))
                return fold

            built: list[tuple[_Discovered, Fold, list[tuple[Path, Fold]]]] = []
            for item in found:
                main = current(item.path, item.stat)
                subs = [(p, current(p, st)) for p, st in item.subagents]
                built.append((item, main, subs))
            index.save_files(updates, removed=list(stored))
            events = self._read_events(index, state_dir, run)
        finally:
            index.close()
        feeds = statusline_feed(state_dir)
        windows = config_windows()
        now = self._clock()
        sessions = [
            build_model(
                item.path,
                main,
                subs,
                max([item.stat.st_mtime, *(st.st_mtime for _, st in item.subagents)]),
                now,
                events.get(item.path.stem),
                feeds.get(item.path.stem),
                windows,
            )
            for item, main, subs in built
        ]
        sessions.sort(key=_sort_key, reverse=True)
        self.last_refresh = run
        self.sessions = sessions
        return sessions

    def _read_events(
        self, index: Index, state_dir: Path, run: ParseStats
    ) -> dict[str, SessionEvents]:
        """Fold new lines of the hook event log into the per-session event summary."""
        log = state_dir / "events.jsonl"
        raw_cursor = index.get_meta("events_cursor")
        cursor = Cursor.from_json(raw_cursor) if isinstance(raw_cursor, dict) else Cursor()
        events = events_from_json(index.get_meta("events"))
        try:
            st = log.stat()
        except OSError:
            return events
        if cursor.unchanged(st):
            return events
        opened = open_at(log, cursor)
        if opened is None:
            return events
        fh, restarted = opened
        if restarted:
            events = {}
        stats = ParseStats()
        for record in iter_new(fh, cursor, stats, keep=lambda _hint: True, only_types=None):
            if isinstance(record, dict):
                sid = record.get("session_id")
                if isinstance(sid, str) and sid:
                    events.setdefault(sid, SessionEvents()).add(record)
        run.bytes_read += stats.bytes_read
        index.set_meta("events_cursor", cursor.to_json())
        index.set_meta("events", events_to_json(events))
        return events

    def find(self, session_id_or_prefix: str) -> SessionModel:
        """The session with this id or unique id prefix; LookupError otherwise."""
        wanted = session_id_or_prefix.strip()
        if not wanted:
            raise LookupError("empty session id")
        sessions = self.refresh()
        for session in sessions:
            if session.session_id == wanted:
                return session
        matches = [s for s in sessions if s.session_id.startswith(wanted)]
        if not matches:
            raise LookupError(f"no session matches {wanted!r}")
        if len(matches) > 1:
            shown = ", ".join(s.session_id for s in matches[:5])
            more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
            raise LookupError(f"{wanted!r} is ambiguous: it matches {shown}{more}")
        return matches[0]
