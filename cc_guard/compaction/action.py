"""Compact one session now: the entry point ``cc-guard compact``, the dashboard and the
Stop hook's worker share.

:func:`plan` decides how (and whether) a session can be compacted and what will be
typed or run; :func:`compact_session` takes a checkpoint, writes the handoff, builds
the focus from it, and then:

- **tmux**: waits until the session's pane shows an idle, empty input box (two
  captures half a second apart; a new prompt or the session ending stops the wait),
  types ``/compact <focus>`` literally, presses Enter, and watches for the outcome
  (a new ``compact_boundary`` in the transcript, the hooks' report, or ``Error
  during compaction`` on screen);
- **headless**: for a session no Claude Code process holds, runs ``claude -p
  "/compact <focus>" --resume <id>`` and reads its result and the transcript.

Every decision is logged (``<state dir>/compaction/decisions.jsonl``) with its reason.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cc_guard.base import paths
from cc_guard.base.procs import claude_process
from cc_guard.base.timefmt import epoch
from cc_guard.compaction import headless, reports
from cc_guard.compaction.facts import current_facts, key_facts
from cc_guard.compaction.pane import Pane, type_line, wait_until_idle
from cc_guard.config import compact_config
from cc_guard.config.sections import CompactConfig
from cc_guard.context.focus import KeyFacts, focus_text, one_line, typed_focus
from cc_guard.state import compaction as store
from cc_guard.state import events as event_log
from cc_guard.state.errors import now_iso
from cc_guard.transcripts.model import SessionModel, SessionState

VIAS = ("auto", "tmux", "headless")
#: With no known Claude Code pid, a transcript quiet this long has no live process.
QUIET_SECONDS = 600.0
#: A headless focus travels as an argument, not keystrokes: it may be longer.
HEADLESS_FOCUS_LIMIT = 2000
#: How often an outcome is looked for.
POLL_SECONDS = 1.0


@dataclass
class CompactPlan:
    """How a session will be compacted, or why it cannot be."""

    session_id: str
    transcript: str
    project: str | None
    via: str | None  # tmux | headless; None: it cannot be compacted now (see ``why``)
    why: str
    focus: str  # what follows /compact
    instructions: str  # what cc-guard's PreCompact hook adds to the summary instructions
    pane: str | None = None
    socket: str | None = None
    command: str = ""  # what will be typed or run, for people
    facts: KeyFacts = field(default_factory=KeyFacts)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["facts"] = self.facts.to_json()
        return data


@dataclass
class CompactResult:
    """What :func:`compact_session` did."""

    session_id: str
    via: str | None
    #: planned (dry run) | refused | not_idle | compacted | failed | started (typed, no outcome yet)
    outcome: str
    ok: bool
    message: str  # one sentence for people: what it did, or why it did not
    plan: CompactPlan

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "via": self.via,
            "outcome": self.outcome,
            "ok": self.ok,
            "message": self.message,
            "plan": self.plan.to_json(),
        }


# ----------------------------------------------------------------------------- planning


def process_state(session: SessionModel, now: float | None = None) -> tuple[bool | None, str]:
    """(alive, how it is known) of the Claude Code process holding ``session``; None: unknown."""
    pid = session.claude_pid
    if pid:
        info = claude_process(pid)
        if info is not None:
            return True, info
        return False, f"its process (pid {pid}) is gone"
    if session.state == SessionState.ENDED:
        return False, "Claude Code reported the session ended"
    if session.state == SessionState.RUNNING:
        return True, "its transcript is changing"
    try:
        age = (time.time() if now is None else now) - os.stat(session.transcript_path).st_mtime
    except OSError:
        age = 0.0
    if age >= QUIET_SECONDS:
        return (
            False,
            f"no hook saw its process and its transcript has been quiet for {age / 60:.0f} min",
        )
    return None, "no Claude Code process is known for it (are cc-guard's hooks installed?)"


def find_pane(session: SessionModel) -> Pane | None:
    """The tmux pane the session runs in: from its hooks, else from ``cc-guard launch``."""
    if session.tmux_pane:
        return Pane(session.tmux_pane, session.tmux_socket)
    from cc_guard.state.panes import pane_for_session

    record = pane_for_session(session.session_id)
    if record is None:
        return None
    return Pane(record.pane_id, record.socket)


def _choose(
    via: str, alive: bool | None, process: str, pane: Pane | None, pane_ok: bool
) -> tuple[str | None, str]:
    where = pane.describe() if pane is not None else ""
    if via == "tmux" or (via == "auto" and alive is not False and pane_ok):
        if pane is None:
            return None, (
                "no tmux pane is recorded for it (it runs outside tmux, or cc-guard's "
                "hooks were not installed when it started)"
            )
        if not pane_ok:
            return None, f"its tmux pane {where} is gone"
        if alive is False:
            return None, f"its Claude Code is not running ({process}): use --via headless"
        return "tmux", f"it runs in tmux pane {where}: /compact is typed there once it is idle"
    if via == "headless" or (via == "auto" and alive is False):
        if alive is True:
            return None, (
                f"a live Claude Code process holds it ({process}); compacting it headless "
                "would fork its transcript: use --via tmux, or close it first"
            )
        if alive is None:
            return None, f"cannot tell whether a Claude Code process holds it: {process}"
        return "headless", f"no Claude Code process holds it ({process})"
    if alive is True:
        return None, (
            "it runs outside tmux (or its pane is gone), so cc-guard cannot type into it: "
            "type the /compact line below into it yourself"
        )
    return None, f"cannot tell whether a Claude Code process holds it: {process}"


def plan(
    session: SessionModel,
    via: str = "auto",
    focus: str | None = None,
    facts: KeyFacts | None = None,
    now: float | None = None,
    binary: str | None = None,
) -> CompactPlan:
    """How ``session`` would be compacted ``via`` (auto | tmux | headless) right now."""
    if via not in VIAS:
        raise ValueError(f"--via must be one of {', '.join(VIAS)}")
    facts = facts or KeyFacts()
    alive, process = process_state(session, now)
    pane = find_pane(session)
    pane_ok = pane is not None and pane.alive()
    chosen, why = _choose(via, alive, process, pane, pane_ok)
    limit = HEADLESS_FOCUS_LIMIT if chosen == "headless" else None
    if focus:
        typed = one_line(focus)[: (limit or 590)]
    else:
        typed = typed_focus(facts, limit) if limit else typed_focus(facts)
    if chosen == "headless":
        shown = binary or "claude"
        command = shlex.join(headless.argv(shown, session.session_id, typed))
    else:
        command = f"/compact {typed}".rstrip()
        if chosen == "tmux" and pane is not None:
            command = f"type into tmux pane {pane.describe()}: {command}"
    return CompactPlan(
        session_id=session.session_id,
        transcript=session.transcript_path,
        project=session.project_dir,
        via=chosen,
        why=why,
        focus=typed,
        instructions=focus_text(facts),
        pane=pane.pane_id if pane is not None else None,
        socket=pane.socket if pane is not None else None,
        command=command,
        facts=facts,
    )


# ----------------------------------------------------------------------------- acting


def _log(state: str, session_id: str, event: str, action: str, reason: str, **extra: Any) -> None:
    store.log_decision(
        state,
        {
            "time": now_iso(),
            "session_id": session_id,
            "event": event,
            "action": action,
            "reason": reason,
            **extra,
        },
    )


def _facts(session: SessionModel, state_dir: Path, write: bool) -> KeyFacts:
    transcript = Path(session.transcript_path)
    if write:
        return current_facts(transcript, session.session_id, state_dir)
    from cc_guard.handoff.store import make_handoff

    return key_facts(make_handoff(transcript, state_dir, use_engine=False, with_checkpoint=False))


def _checkpoint(session: SessionModel) -> None:
    if not session.project_dir or not os.path.isdir(session.project_dir):
        return
    from cc_guard.checkpoints.snapshot import take_checkpoint

    try:
        take_checkpoint(session.project_dir, session.session_id, "Compact")
    except Exception as exc:  # a checkpoint problem must not stop the compaction
        from cc_guard.state import errors

        errors.log("compact", f"checkpoint before compaction failed: {type(exc).__name__}: {exc}")


def compact_session(
    session: SessionModel,
    via: str = "auto",
    focus: str | None = None,
    dry_run: bool = False,
    *,
    config: CompactConfig | None = None,
    state_dir: Path | None = None,
    since: str | None = None,
    started: bool = False,
    event: str = "command",
    progress: Callable[[str], None] | None = None,
) -> CompactResult:
    """Compact ``session`` now (see the module docstring); never raises for a session
    that cannot be compacted: the result says why.

    ``since``: the moment the session was last seen idle (the Stop that decided this);
    a prompt after it stops the wait. ``started``: the caller already recorded the
    start (the Stop hook). ``progress`` gets a line when the wait begins.
    """
    directory = state_dir or paths.state_dir()
    state = str(directory)
    config = config or compact_config(session.project_dir)
    if not dry_run:
        _checkpoint(session)
    facts = _facts(session, directory, write=not dry_run)
    binary = _binary_or_none()
    the_plan = plan(session, via, focus, facts, binary=binary)
    sid = session.session_id
    if dry_run:
        _log(state, sid, event, "dry_run", the_plan.why, via=the_plan.via)
        if the_plan.via is None:
            return CompactResult(
                sid, None, "planned", False, f"would not compact: {the_plan.why}", the_plan
            )
        return CompactResult(
            sid, the_plan.via, "planned", True, f"would compact: {the_plan.why}", the_plan
        )
    if the_plan.via is None:
        _log(state, sid, event, "refused", the_plan.why)
        _notice(state, sid, "notify", f"compact now: cc-guard compact {sid[:8]}")
        return CompactResult(
            sid, None, "refused", False, f"not compacted: {the_plan.why}", the_plan
        )
    at = now_iso()
    if not started:
        store.update(
            state,
            sid,
            lambda d: d.update(
                starting={"at": at, "via": the_plan.via, "reason": event},
                notice={"at": at, "action": "compacting", "text": "compacting soon"},
            ),
        )
    _log(state, sid, event, "compact", the_plan.why, via=the_plan.via)
    if the_plan.via == "tmux":
        return _via_tmux(session, the_plan, config, state, since or at, progress)
    return _via_headless(session, the_plan, state, binary)


def _binary_or_none() -> str | None:
    from cc_guard.base.claude import claude_executable

    try:
        return claude_executable()
    except ValueError:
        return None


def _notice(state: str, session_id: str, action: str | None, text: str = "") -> None:
    def change(data: dict[str, Any]) -> None:
        data.pop("starting", None)
        data["notice"] = {"at": now_iso(), "action": action, "text": text} if action else None

    store.update(state, session_id, change)


def _interrupting(state: str, session_id: str, since: float) -> Callable[[], str | None]:
    """A check that says why to stop waiting: a prompt, or the session's end, after ``since``."""

    def check() -> str | None:
        what = event_log.moved_on(state, session_id, since)
        if what == "prompt":
            return "a new prompt came in: the session is busy again"
        return "the session ended" if what == "ended" else None

    return check


def _via_tmux(
    session: SessionModel,
    the_plan: CompactPlan,
    config: CompactConfig,
    state: str,
    since: str,
    progress: Callable[[str], None] | None,
) -> CompactResult:
    sid = session.session_id
    assert the_plan.pane is not None
    pane = Pane(the_plan.pane, the_plan.socket)
    if progress is not None:
        progress(
            f"waiting for the session to be idle in tmux pane {pane.describe()} "
            f"(up to {config.idle_wait_seconds:g} s)"
        )
    waited = wait_until_idle(
        pane,
        config.idle_wait_seconds,
        settle=config.settle_seconds,
        abort=_interrupting(state, sid, epoch(since) or time.time()),
    )
    if not waited.idle:
        _log(state, sid, "tmux", "nothing", f"did not type /compact: {waited.reason}")
        _notice(state, sid, "notify", f"compact now: cc-guard compact {sid[:8]}")
        return CompactResult(
            sid, "tmux", "not_idle", False, f"did not type /compact: {waited.reason}", the_plan
        )
    transcript = Path(session.transcript_path)
    before = headless.boundaries(transcript)
    shown_errors = _error_lines(pane)
    started_at = time.time()
    typed, why = type_line(pane, f"/compact {the_plan.focus}".rstrip())
    if not typed:
        _log(state, sid, "tmux", "nothing", why)
        _notice(state, sid, "notify", f"compact now: cc-guard compact {sid[:8]}")
        return CompactResult(sid, "tmux", "failed", False, f"did not compact: {why}", the_plan)
    store.update(state, sid, lambda d: d.update(typed_at=started_at))
    _log(state, sid, "tmux", "typed", f"typed /compact into pane {pane.describe()}")
    ok, message = _confirm(
        pane, transcript, state, sid, started_at, before, shown_errors, config.confirm_seconds
    )
    if ok is None:
        return CompactResult(sid, "tmux", "started", True, message, the_plan)
    if ok:
        _ensure_report(state, session, the_plan, "tmux", started_at)
        return CompactResult(sid, "tmux", "compacted", True, message, the_plan)
    reports.fail(state, sid, message, at=now_iso(), trigger="manual", by="cc-guard", via="tmux")
    return CompactResult(
        sid, "tmux", "failed", False, f"the compaction failed: {message}", the_plan
    )


def _error_lines(pane: Pane) -> int:
    try:
        return sum(1 for line in pane.look().text.splitlines() if "Error during compaction" in line)
    except Exception:
        return 0


def _confirm(
    pane: Pane,
    transcript: Path,
    state: str,
    session_id: str,
    started_at: float,
    before: int,
    shown_errors: int,
    timeout: float,
) -> tuple[bool | None, str]:
    """(True: compacted, False: failed, None: no outcome in time, message)."""
    deadline = time.monotonic() + timeout
    while True:
        if headless.boundaries(transcript) > before:
            return True, "compacted (a new compaction boundary is in the transcript)"
        outcome = store.read(state, session_id).get("outcome")
        if (
            isinstance(outcome, dict)
            and (epoch(outcome.get("at")) or 0) >= started_at - 1
            and outcome.get("ok") is False
        ):
            return False, str(outcome.get("error") or "unknown error")
        try:
            screen = pane.look()
            errors = [
                line.strip()
                for line in screen.text.splitlines()
                if "Error during compaction" in line
            ]
            if len(errors) > shown_errors:
                return False, errors[-1].lstrip("⎿ ").strip()
        except Exception:
            if not pane.alive():
                return False, f"the tmux pane {pane.describe()} went away"
        if time.monotonic() >= deadline:
            return (
                None,
                f"typed /compact; no outcome seen within {timeout:g} s (see cc-guard status)",
            )
        time.sleep(POLL_SECONDS)


def _via_headless(
    session: SessionModel, the_plan: CompactPlan, state: str, binary: str | None
) -> CompactResult:
    sid = session.session_id
    if binary is None:
        message = "no claude executable (install Claude Code, or set CC_GUARD_CLAUDE)"
        _notice(state, sid, None)
        return CompactResult(
            sid, "headless", "refused", False, f"not compacted: {message}", the_plan
        )
    project = Path(session.project_dir) if session.project_dir else Path.cwd()
    started_at = time.time()
    store.update(state, sid, lambda d: d.update(typed_at=started_at))
    run = headless.run(binary, sid, project, the_plan.focus, Path(session.transcript_path))
    if run.ok:
        _ensure_report(state, session, the_plan, "headless", started_at)
        _log(state, sid, "headless", "compacted", run.message)
        return CompactResult(sid, "headless", "compacted", True, "compacted (headless)", the_plan)
    reports.fail(
        state, sid, run.message, at=now_iso(), trigger="manual", by="cc-guard", via="headless"
    )
    _log(state, sid, "headless", "failed", run.message)
    return CompactResult(
        sid, "headless", "failed", False, f"the compaction failed: {run.message}", the_plan
    )


def _ensure_report(
    state: str, session: SessionModel, the_plan: CompactPlan, via: str, started_at: float
) -> None:
    """Without cc-guard's hooks nobody reported this compaction: compare its summary
    (from the transcript) with the key facts here."""
    sid = session.session_id
    outcome = store.read(state, sid).get("outcome")
    if isinstance(outcome, dict) and (epoch(outcome.get("at")) or 0) >= started_at - 1:
        return  # the hooks reported it
    summary = newest_summary(Path(session.transcript_path))
    reports.begin(
        state,
        sid,
        trigger="manual",
        custom=the_plan.focus,
        facts=the_plan.facts,
        now=time.time(),
        at=now_iso(),
    )
    store.update(state, sid, lambda d: (d.get("pending") or {}).update(via=via))
    reports.finish(state, sid, summary=summary, reinject=False, at=now_iso())


def newest_summary(transcript: Path) -> str | None:
    """The text of the newest compaction summary record in the transcript."""
    from cc_guard.context.fill import appended_text
    from cc_guard.transcripts.reader import iter_records

    found: str | None = None
    try:
        for record in iter_records(transcript):
            if record.get("isCompactSummary") is True:
                found = appended_text(record)
    except OSError:
        return None
    return found
