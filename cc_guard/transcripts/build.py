"""Turn folds (and their briefs) into SessionModels: merge subagents, judge the
state, size the context window. Pure functions; the engine decides what to read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from _typeshed import StrPath

import dataclasses
import os

from cc_guard.base.claude import feed_window, table_window
from cc_guard.base.procs import pid_alive
from cc_guard.base.timefmt import epoch, iso
from cc_guard.incidents import IncidentKind, kind_for_name
from cc_guard.state.events import SessionEvents
from cc_guard.transcripts.fold import MID_TURN, Brief, Fold, Phase
from cc_guard.transcripts.model import (
    FileTouch,
    Incident,
    ParseStats,
    SessionModel,
    SessionState,
    TokenTotals,
)


def session_id_of(path: StrPath) -> str:
    """The session a transcript belongs to: Claude Code names it ``<session id>.jsonl``."""
    name = os.path.basename(os.fspath(path))
    return name[: -len(".jsonl")] if name.endswith(".jsonl") else name


#: A transcript written to this recently belongs to a session that is running.
RECENT_SECONDS = 60.0
#: Mid-turn but silent for this long: the process is gone (unless its pid lives).
STALE_SECONDS = 600.0


def _ended_reason(brief: Brief, mtime: float, events: SessionEvents | None) -> str | None:
    """``SessionEnd (...)`` when Claude Code said the session ended after its last record."""
    if events is None:
        return None
    ended = epoch(events.ended_at)
    if ended is None or ended + 1 < (epoch(brief.last_ts) or mtime):
        return None
    return f"SessionEnd ({events.end_reason})" if events.end_reason else "SessionEnd"


def _stopped(brief: Brief, events: SessionEvents | None) -> bool:
    """Claude Code's Stop hook fired after the turn's last record and no prompt came since:
    the turn is over (a fact; the transcript's age is only a guess)."""
    if events is None or brief.phase in MID_TURN:
        return False
    stopped = epoch(events.stop_at)
    if stopped is None or stopped + 1 < (epoch(brief.phase_ts) or 0.0):
        return False
    prompted = epoch(events.prompt_at)
    return prompted is None or prompted <= stopped


def _stop_failed(brief: Brief, events: SessionEvents | None) -> bool:
    """A StopFailure hook (of the turn, not of a compaction's agent) came after the
    record that last moved the turn on."""
    if events is None:
        return False
    failed = epoch(events.stop_failure_at)
    return failed is not None and failed + 1 >= (epoch(brief.phase_ts) or epoch(brief.last_ts) or 0)


def _mid_turn_kind(brief: Brief) -> str:
    return IncidentKind.STREAM_TRUNCATED.value if brief.cut_in_turn else IncidentKind.UNKNOWN.value


#: What a stuck session's reason ends with: the way out.
STUCK_WAY_OUT = "start fresh from the handoff: cc-guard resume --mode fresh"


def _stuck(brief: Brief, events: SessionEvents | None) -> str | None:
    """Why the session is stuck (see :class:`SessionState`), or None.

    The transcript's synthetic error record says "prompt is too long"; or the hook
    saw a StopFailure saying so after the last thing the transcript recorded
    (Claude Code does not always write the record before the hook fires).
    """
    if brief.phase == Phase.FAILED and brief.too_long:
        return f"the prompt is too long for the window and compaction failed; {STUCK_WAY_OUT}"
    if events is None or brief.phase in (Phase.END, Phase.COMPACTED):
        return None
    too_long = epoch(events.too_long_at)
    phase_time = epoch(brief.phase_ts) or epoch(brief.last_ts) or 0.0
    if too_long is not None and too_long + 1 >= phase_time:
        return (
            "a request failed: prompt is too long, and compaction did not recover it; "
            + STUCK_WAY_OUT
        )
    return None


def judge_state(
    brief: Brief, mtime: float, now: float, events: SessionEvents | None
) -> tuple[SessionState, str, str | None]:
    """The session's state, why, and (when interrupted) the kind of the failure.

    The one judgement every view shows (definitions in :class:`SessionState` and
    docs/sessions.md). Hook facts come first: a failure, SessionEnd, Stop; the transcript's age
    decides only what no hook said.
    """
    ended_reason = _ended_reason(brief, mtime, events)
    stuck = _stuck(brief, events)
    if stuck is not None:
        reason = stuck + (f"; then {ended_reason}" if ended_reason else "")
        return SessionState.STUCK, reason, IncidentKind.INVALID_REQUEST.value
    # A failed last turn outranks SessionEnd: print mode ends the session right after
    # a final 529 or cut stream, and what the user needs to know is that it failed.
    if brief.phase == Phase.FAILED:
        kind = brief.last_final_kind or IncidentKind.UNKNOWN.value
        reason = f"the last turn failed: {kind}"
        return (
            SessionState.INTERRUPTED,
            reason + (f"; then {ended_reason}" if ended_reason else ""),
            kind,
        )
    if events is not None and _stop_failed(brief, events):
        named = kind_for_name(events.stop_failure_error)
        kind = events.stop_failure_kind or (
            named.value if named is not None else _mid_turn_kind(brief)
        )
        return SessionState.INTERRUPTED, f"the last turn failed: {kind} (StopFailure)", kind
    if ended_reason is not None:
        if brief.phase in MID_TURN:
            # The process went away with a prompt or a tool call unanswered: the
            # terminal closed mid-turn.
            return (
                SessionState.INTERRUPTED,
                f"{ended_reason} mid-turn ({brief.phase})",
                _mid_turn_kind(brief),
            )
        return SessionState.ENDED, ended_reason, None
    if brief.phase == Phase.COMPACTED:
        return SessionState.COMPACTED, "compacted; no turn since", None
    age = max(0.0, now - mtime)
    if brief.phase in MID_TURN:
        pid = events.claude_pid if events is not None else None
        if pid is not None:
            # Its Claude Code process is known: alive or gone is a fact.
            if pid_alive(pid):
                return SessionState.RUNNING, f"mid-turn ({brief.phase})", None
            gone = f"Claude Code (pid {pid}) is gone"
        elif age < STALE_SECONDS:
            return SessionState.RUNNING, f"mid-turn ({brief.phase})", None
        else:
            gone = f"stopped mid-turn ({brief.phase}), silent for over {STALE_SECONDS // 60:.0f} min"
        if brief.last_pending_tool:
            return (
                SessionState.INTERRUPTED,
                f"tool call {brief.last_pending_tool} never got a result; {gone}",
                _mid_turn_kind(brief),
            )
        return SessionState.INTERRUPTED, f"{gone} mid-turn ({brief.phase})" if pid else gone, (
            _mid_turn_kind(brief)
        )
    if _stopped(brief, events):
        if brief.phase == Phase.USER_INTERRUPT:
            return SessionState.IDLE, "interrupted by the user", None
        return SessionState.IDLE, "the last turn ended (Stop)", None
    if age < RECENT_SECONDS:
        return SessionState.RUNNING, "transcript changed in the last minute", None
    if brief.phase == Phase.USER_INTERRUPT:
        return SessionState.IDLE, "interrupted by the user", None
    return SessionState.IDLE, "the last turn ended", None


def judgement_valid_until(
    brief: Brief, mtime: float, now: float, events: SessionEvents | None
) -> tuple[float, int | None]:
    """Until when :func:`judge_state` gives the same answer at a later ``now``
    (transcript and signals unchanged), and the Claude Code pid whose
    liveness it also depends on (None: no pid matters).

    Mirrors judge_state's clock use: the 60 s "recently changed" and 10 min
    "stale mid-turn" thresholds (a reason never counts minutes: it would change
    every minute, and with it the output of every listing). It ignores the earlier, clock-free answers (ended, failed, ...), so it
    can only expire too early, never too late. The ``sessions`` result cache
    relies on it; keep the two in step (a test sweeps the clock over both).
    """
    age = max(0.0, now - mtime)
    if brief.phase in MID_TURN:
        pid = events.claude_pid if events is not None else None
        if pid is not None:
            return float("inf"), pid  # only the process's life or death changes it
        if age < STALE_SECONDS:
            return mtime + STALE_SECONDS, pid
        return float("inf"), pid
    if _stopped(brief, events):
        return float("inf"), None
    if age < RECENT_SECONDS:
        return mtime + RECENT_SECONDS, None
    return float("inf"), None


def finish(
    model: SessionModel,
    brief: Brief,
    mtime: float,
    now: float,
    events: SessionEvents | None,
    feed: dict[str, Any] | None,
    windows: dict[str, int],
) -> SessionModel:
    """Set what depends on the clock and on signals outside the transcript.

    Cheap, so the engine re-runs it on cached models at every refresh.
    """
    model.state, model.state_reason, model.failure_kind = judge_state(brief, mtime, now, events)
    model.claude_pid = events.claude_pid if events is not None else None
    model.tmux_pane = events.tmux_pane if events is not None else None
    model.tmux_socket = events.tmux_socket if events is not None else None
    model.compact_env = dict(events.compact_env or {}) if events is not None else {}
    name = brief.context_model
    model.context_tokens = brief.context_tokens
    model.context_output_tokens = brief.context_output
    window, source = table_window(name, brief.context_tokens), "transcript"
    if name and name in windows:
        window, source = windows[name], "config"
    reported = feed_window(feed, name)
    if reported is not None:
        window, source = reported, "statusline"
    model.context_window = window
    model.context_source = source
    model.context_percent = (
        round(100.0 * brief.context_tokens / window, 1)
        if brief.context_tokens is not None
        else None
    )
    return model


def merged_brief(main: Brief, subs: list[Brief]) -> Brief:
    """The main transcript's brief with its subagents' counts and activity added."""
    if not subs:
        return main
    out = dataclasses.replace(main, tokens=list(main.tokens))
    for sub in subs:
        out.api_calls += sub.api_calls
        out.incident_count += sub.incident_count
        out.tokens = [a + b for a, b in zip(out.tokens, sub.tokens, strict=False)]
        if sub.last_ts and (out.last_ts or "") < sub.last_ts:
            out.last_ts = sub.last_ts
    return out


def brief_model(path: StrPath, brief: Brief, subagents: list[str], mtime: float) -> SessionModel:
    """A SessionModel with the summary fields only (lists empty, counts set)."""
    model = SessionModel(session_id=session_id_of(path), transcript_path=os.fspath(path))
    model.project_dir = brief.cwd
    model.git_branch = brief.git_branch
    model.model = brief.model
    model.version = brief.version
    model.first_activity = brief.first_ts or iso(mtime)
    model.last_activity = brief.last_ts or iso(mtime)
    model.turns = brief.turns
    model.api_calls = brief.api_calls
    model.incident_count = brief.incident_count
    model.title = brief.title
    model.tokens = TokenTotals(*brief.tokens)
    model.subagents = subagents
    return model


def full_model(
    path: StrPath, fold: Fold, subagents: Sequence[tuple[StrPath, Fold]], mtime: float
) -> SessionModel:

    """Merge a main transcript's fold and its subagents' folds into one SessionModel
    (everything but what :func:`finish` sets)."""
    model = SessionModel(session_id=session_id_of(path), transcript_path=os.fspath(path))
    model.project_dir = fold.cwd
    model.git_branch = fold.git_branch
    model.model = fold.model or fold.requested_model
    model.version = fold.version
    model.first_activity = fold.first_ts or iso(mtime)
    model.last_activity = fold.last_ts or iso(mtime)
    model.turns = fold.turns
    model.api_calls = fold.api_calls
    model.compactions = list(fold.compactions)
    model.fill_history = list(fold.fill)
    model.todos = list(fold.todos)
    model.prompts = list(fold.prompts)
    model.last_assistant_text = fold.last_assistant_text
    model.title = fold.title
    model.pending_tool_calls = [c for c in fold.pending.values() if not c.is_sidechain]
    model.subagents = [os.fspath(p) for p, _ in subagents]
    tokens = dataclasses.replace(fold.tokens)
    incidents: list[Incident] = list(fold.incidents)
    files: dict[str, FileTouch] = {
        p: dataclasses.replace(t, tools=list(t.tools)) for p, t in fold.files.items()
    }
    stats = dataclasses.replace(
        fold.stats,
        unknown_record_types=dict(fold.stats.unknown_record_types),
        unknown_fields=dict(fold.stats.unknown_fields),
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
    model.incident_count = len(model.incidents)
    model.files_touched = sorted(files.values(), key=lambda t: t.last_time or "")
    model.stats = stats
    return model


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
    for key, count in other.unknown_fields.items():
        into.unknown_fields[key] = into.unknown_fields.get(key, 0) + count


def sort_key(model: SessionModel) -> float:
    return epoch(model.last_activity) or 0.0
