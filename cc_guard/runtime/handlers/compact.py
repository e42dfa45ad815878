"""Hook handlers of the context policy (registered in ``cc_guard.runtime.hook.HANDLERS``).

- Stop: the policy decision (``cc_guard.context.policy``) on the exact fill of the
  turn that just ended; logged with its reason. A warning is a ``systemMessage``
  (shown to the user, never to the model); a compaction starts a detached worker
  that checkpoints, writes the handoff, waits for the pane to be idle and types
  ``/compact <focus>``. Standard library and light modules only: it runs at the
  end of every turn.
- PreCompact (any trigger): checkpoint (the checkpoint handler before this one) and
  handoff first; keep the key facts; print the focus as plain text (Claude Code
  appends it to the summary instructions).
- SubagentStop during a compaction: keep its summary.
- SessionStart with source ``compact``: compare the summary with the key facts,
  store the report, re-inject what it dropped (``additionalContext``). Any
  SessionStart: remember the process's ``--autocompact`` flag.
- PostCompact: finish the report if SessionStart did not.
- StopFailure: a compaction's own failure (it carries ``agent_id``) is recorded as
  such; a transient failure of a turn starts the auto-resume worker when
  ``[recover] auto`` is on.
"""

from __future__ import annotations

import os
import time

from cc_guard.base.hookio import HookEvent, HookOutput

TYPE_CHECKING = False  # typing's costs the hook path; mypy reads the names below
if TYPE_CHECKING:
    from typing import Any

    from cc_guard.config.sections import CompactConfig
    from cc_guard.context.policy import Decision
    from cc_guard.context.threshold import AutoCompact


#: How long the Stop hook waits for Claude Code to write the answer it is about.
TRANSCRIPT_WAIT = 2.0


def _now_iso() -> str:
    from cc_guard.state.errors import now_iso

    return now_iso()


def _tokens(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.2f}M"
    return f"{n / 1000:.0f}k" if n >= 1000 else str(n)


def in_tmux() -> bool:
    return bool(os.environ.get("TMUX_PANE")) and bool(os.environ.get("TMUX"))


def session_env(data: dict[str, Any]) -> dict[str, str]:
    """The session's auto-compaction settings: this process's environment (Claude
    Code's), the ``--autocompact`` flag SessionStart recorded and the
    ``autoCompactEnabled`` setting the last SessionStart or Stop read."""
    from cc_guard.context import threshold

    return threshold.stored_env(os.environ, data)


def remember_setting(state: str, session_id: str, data: dict[str, Any], cwd: str) -> None:
    """Keep the session's ``autoCompactEnabled`` in its compaction record (the statusline
    reads it there), written only when it changed; ``data`` is updated in place."""
    from cc_guard.base.claude import session_auto_compact_setting
    from cc_guard.state import compaction as store

    setting = session_auto_compact_setting(cwd)
    if data.get("setting") != setting:
        store.update(state, session_id, lambda d: d.update(setting=setting))
        data["setting"] = setting


# ----------------------------------------------------------------------------- Stop


def on_stop(event: HookEvent) -> HookOutput | None:
    """The policy decision at the end of a turn."""
    if not event.session_id or not event.transcript_path:
        return None
    from cc_guard.base.claude import feed_window, table_window
    from cc_guard.base.paths import state_root
    from cc_guard.config import compact_config
    from cc_guard.context import policy, threshold
    from cc_guard.state import compaction as store
    from cc_guard.state import feeds
    from cc_guard.transcripts.lastusage import holds, last_usage

    usage = last_usage(event.transcript_path)
    answer = event.payload.get("last_assistant_message")
    if isinstance(answer, str):
        # Claude Code writes the transcript in the background: the answer this Stop
        # is about may land a moment after the hook starts.
        waited = 0.0
        while not holds(usage, answer) and waited < TRANSCRIPT_WAIT:
            time.sleep(0.05)
            waited += 0.05
            usage = last_usage(event.transcript_path)
    if usage is None:
        return None
    state = state_root()
    sid = event.session_id
    data = store.read(state, sid)
    remember_setting(state, sid, data, event.cwd)
    window = feed_window(feeds.read(state, sid), usage.model)
    if window is None:
        window = table_window(usage.model, usage.fill)
    config = compact_config(event.cwd or None)
    auto = threshold.auto_compact(
        window, usage.model, session_env(data), config.auto_compact_tokens
    )
    now = time.time()
    typed = data.get("typed_at")
    decision = policy.decide(
        usage.total,
        auto,
        config,
        now=now,
        in_tmux=in_tmux(),
        process_alive=True,
        last_compact_at=typed if isinstance(typed, int | float) else None,
        warned=data.get("warned") is True,
    )
    return _act(event, decision, auto, usage.total, config, data, now)


def _act(
    event: HookEvent,
    decision: Decision,
    auto: AutoCompact,
    tokens: int,
    config: CompactConfig,
    data: dict[str, Any],
    now: float,
) -> HookOutput | None:
    from cc_guard.base.paths import state_root
    from cc_guard.context import policy
    from cc_guard.state import compaction as store

    state = state_root()
    sid = event.session_id
    at = _now_iso()
    store.log_decision(
        state,
        {
            "time": at,
            "session_id": sid,
            "event": "Stop",
            **decision.to_json(),
            "tokens": tokens,
            "point": auto.point,
            "window": auto.window,
        },
    )
    percent = decision.percent or 0.0
    below_warn = percent < config.warn_percent and percent < config.auto_percent
    below_auto = percent < config.auto_percent
    message: str | None = None
    changes: dict[str, Any] = {}
    where = f"context at {percent:.0f}% of the auto-compact point ({_tokens(tokens)} of {_tokens(auto.point)})"
    if not auto.proactive and auto.enabled:
        where += "; Claude Code will not compact this model by itself"
    short = sid[:8]
    if below_warn and (data.get("warned") or data.get("notified") or data.get("notice")):
        changes = {"warned": False, "notified": False, "notice": None}
    elif below_auto and data.get("notified"):
        changes = {"notified": False}
    if decision.action == policy.WARN:
        mode = policy.effective_mode(config.mode, in_tmux())
        then = (
            f"cc-guard compacts at {config.auto_percent:g}%"
            if mode in ("tmux", "headless")
            else f"compact before {config.auto_percent:g}%: type /compact, or run cc-guard compact {short}"
        )
        message = f"cc-guard: {where}; {then}."
        changes.update(warned=True, notice={"at": at, "action": "warn", "text": "context high"})
    elif decision.action == policy.NOTIFY:
        text = f"compact now: cc-guard compact {short}"
        changes.update(warned=True, notice={"at": at, "action": "notify", "text": text})
        if not data.get("notified"):
            message = f"cc-guard: {where}: {decision.reason.split('; ')[-1]}. Compact now: type /compact, or run cc-guard compact {short}."
            changes["notified"] = True
    elif decision.action == policy.COMPACT:
        changes.update(
            warned=True,
            starting={"at": at, "via": decision.via, "reason": decision.reason},
            notice={"at": at, "action": "compacting", "text": "compacting soon"},
        )
        message = (
            f"cc-guard: {where}: compacting now (a checkpoint and the handoff first), "
            "with a focus on the current work, as soon as the session is idle."
        )
    # The turn ends the statusline's "~N turns" forecast rests on (cc_guard.context.pace).
    from cc_guard.context.pace import WINDOW_TURNS

    ends = data.get("turns")
    ends = [n for n in ends if isinstance(n, int)] if isinstance(ends, list) else []
    changes["turns"] = [*ends[-WINDOW_TURNS:], tokens]
    store.update(state, sid, lambda d: d.update(changes))
    if decision.action == policy.COMPACT:
        from cc_guard.compaction.spawn import spawn_worker

        spawn_worker(
            "compact",
            sid,
            event.transcript_path,
            pane=os.environ.get("TMUX_PANE"),
            socket=os.environ.get("TMUX", "").split(",")[0] or None,
            since=at,
            via=decision.via or "tmux",
        )
    return HookOutput(system_message=message) if message else None


# ----------------------------------------------------------------------------- PreCompact


def on_pre_compact(event: HookEvent) -> HookOutput | None:
    """Handoff first; keep the key facts; print the focus (plain text)."""
    if not event.session_id or not event.transcript_path:
        return None
    from pathlib import Path

    from cc_guard.base import paths
    from cc_guard.compaction import reports
    from cc_guard.compaction.facts import current_facts
    from cc_guard.config import compact_config
    from cc_guard.context.focus import focus_text
    from cc_guard.state import compaction as store

    transcript = Path(event.transcript_path)
    if not transcript.exists():
        return None
    state_dir = paths.state_dir()
    facts = current_facts(transcript, event.session_id, state_dir)
    trigger = event.payload.get("trigger")
    custom = event.payload.get("custom_instructions")
    pending = reports.begin(
        str(state_dir),
        event.session_id,
        trigger=trigger if isinstance(trigger, str) else None,
        custom=custom if isinstance(custom, str) else None,
        facts=facts,
        now=time.time(),
        at=_now_iso(),
    )
    config = compact_config(event.cwd or None)
    text = focus_text(facts) if config.focus else ""
    store.log_decision(
        str(state_dir),
        {
            "time": _now_iso(),
            "session_id": event.session_id,
            "event": "PreCompact",
            "action": "focus" if text else "nothing",
            "reason": f"{trigger or '?'} compaction started by {pending.get('by')}; "
            + (f"focus of {len(text)} characters printed" if text else "no focus to print"),
        },
    )
    return HookOutput(plain_text=text) if text else None


# ----------------------------------------------------------------------------- SubagentStop


def on_subagent_stop(event: HookEvent) -> HookOutput | None:
    """The compaction's forked agent finished: its reply is the summary."""
    if not event.session_id or event.payload.get("agent_type"):
        return None
    summary = event.payload.get("last_assistant_message")
    if not isinstance(summary, str) or not summary.strip():
        return None
    from cc_guard.base.paths import state_root
    from cc_guard.state import compaction as store

    state = state_root()
    if not isinstance(store.read(state, event.session_id).get("pending"), dict):
        return None
    from cc_guard.compaction import reports

    reports.remember_summary(state, event.session_id, summary)
    return None


# ----------------------------------------------------------------------------- SessionStart


def on_session_start(event: HookEvent) -> HookOutput | None:
    if not event.session_id:
        return None
    from cc_guard.base.paths import state_root
    from cc_guard.base.procs import find_claude_pid, option_value, process_argv
    from cc_guard.context.threshold import FLAG_KEY
    from cc_guard.state import compaction as store

    state = state_root()
    flag = option_value(process_argv(find_claude_pid()), FLAG_KEY)
    data = store.read(state, event.session_id)
    if (data.get("flag") or None) != flag:
        store.update(state, event.session_id, lambda d: d.update(flag=flag))
    remember_setting(state, event.session_id, data, event.cwd)
    if event.payload.get("source") != "compact":
        return None
    pending = data.get("pending")
    if not isinstance(pending, dict) or not pending.get("summary"):
        # No summary yet (hooks installed before SubagentStop was among them): PostCompact,
        # which carries it, writes the report; nothing can be re-injected then.
        return None
    from cc_guard.compaction import reports
    from cc_guard.config import compact_config

    config = compact_config(event.cwd or None)
    report, text = reports.finish(
        state, event.session_id, summary=None, reinject=config.reinject, at=_now_iso()
    )
    if report is None:
        return None
    store.log_decision(
        state,
        {
            "time": _now_iso(),
            "session_id": event.session_id,
            "event": "SessionStart",
            "action": "reinject" if text else "nothing",
            "reason": f"the summary kept {len(report['kept'])} key facts and dropped "
            f"{len(report['dropped'])}"
            + ("" if text or not report["dropped"] else " (compact.reinject is off)"),
        },
    )
    if not text:
        return None
    names = ", ".join(f["text"][:60] for f in report["reinjected"][:3])
    return HookOutput(
        additional_context=text,
        system_message=f"cc-guard: the summary dropped {len(report['reinjected'])} key "
        f"facts; put back: {names}",
    )


# ----------------------------------------------------------------------------- PostCompact


def on_post_compact(event: HookEvent) -> HookOutput | None:
    if not event.session_id:
        return None
    from cc_guard.base.paths import state_root
    from cc_guard.state import compaction as store

    state = state_root()
    if not isinstance(store.read(state, event.session_id).get("pending"), dict):
        return None  # SessionStart(compact) finished it
    from cc_guard.compaction import reports

    summary = event.payload.get("compact_summary")
    reports.finish(
        state,
        event.session_id,
        summary=summary if isinstance(summary, str) else None,
        reinject=False,  # too late: the new context has begun
        at=_now_iso(),
    )
    return None


# ----------------------------------------------------------------------------- StopFailure


def on_stop_failure(event: HookEvent) -> HookOutput | None:
    if not event.session_id:
        return None
    from cc_guard.base.paths import state_root

    state = state_root()
    error = str(event.payload.get("error") or "unknown")
    if event.payload.get("agent_id"):
        from cc_guard.state import compaction as store

        data = store.read(state, event.session_id)
        if not isinstance(data.get("pending"), dict):
            return None
        from cc_guard.base.redact import redact
        from cc_guard.compaction import reports

        said = event.payload.get("last_assistant_message")
        said = redact(said).strip() if isinstance(said, str) else ""
        first = said.splitlines()[0] if said else ""
        report = reports.fail(
            state, event.session_id, f"{error}: {first}" if first else error, at=_now_iso()
        )
        if report is not None:
            store.log_decision(
                state,
                {
                    "time": _now_iso(),
                    "session_id": event.session_id,
                    "event": "StopFailure",
                    "action": "compaction_failed",
                    "reason": f"the compaction's request failed ({report['error']}); Claude "
                    "Code goes on uncompacted and tries again next turn",
                },
            )
        return None
    _maybe_recover(event, error)
    return None


#: StopFailure error names of failures a later retry can fix (a cut stream is "unknown").
TRANSIENT_ERRORS = frozenset({"server_error", "overloaded", "unknown", "api_error", "timeout"})


def _maybe_recover(event: HookEvent, error: str) -> None:
    from cc_guard.config import recover_config

    if not recover_config(event.cwd or None).auto:
        return
    from cc_guard.base.paths import state_root
    from cc_guard.state import compaction as store

    reason = None
    if error not in TRANSIENT_ERRORS:
        reason = f"not a transient failure ({error}): auth, billing, rate-limit and invalid requests are never resumed"
    elif not in_tmux():
        reason = "the session does not run in tmux"
    elif not event.transcript_path:
        reason = "no transcript"
    store.log_decision(
        state_root(),
        {
            "time": _now_iso(),
            "session_id": event.session_id,
            "event": "StopFailure",
            "action": "nothing" if reason else "recover",
            "reason": reason or f"{error}: waiting for the upstream to answer again",
        },
    )
    if reason:
        return
    from cc_guard.compaction.spawn import spawn_worker

    spawn_worker(
        "recover",
        event.session_id,
        event.transcript_path,
        pane=os.environ.get("TMUX_PANE"),
        socket=os.environ.get("TMUX", "").split(",")[0] or None,
        since=_now_iso(),
        via=error,
    )
