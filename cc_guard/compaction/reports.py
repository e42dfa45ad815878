"""A compaction's life, as the hooks see it, and the report it leaves.

Claude Code 2.1.3x runs the hooks of a compaction in this order (measured; the
transcript's boundary and summary records are written only after all of them):
``PreCompact`` -> ``SubagentStop`` (its ``last_assistant_message`` is the summary) ->
``SessionStart`` with source ``compact`` (whose ``additionalContext`` reaches the new
context) -> ``PostCompact`` (``compact_summary``). A failed compaction gives a
``StopFailure`` carrying the forked agent's ``agent_id`` instead.

So: :func:`begin` keeps the key facts at PreCompact, :func:`remember_summary` the
summary at SubagentStop, :func:`finish` compares the two at SessionStart(compact)
(or PostCompact, if that is the first to know) and stores the report, and
:func:`fail` records a failure. Each compaction gets exactly one report.
"""

from __future__ import annotations

from typing import Any

from cc_guard.base.redact import redact
from cc_guard.context.compare import compare, reinjection, summary_part
from cc_guard.context.focus import MARKER, KeyFacts
from cc_guard.state import compaction as store

#: A summary is kept up to this many characters (the comparison needs no more).
MAX_SUMMARY = 200_000
#: A cc-guard compaction counts as cc-guard's when PreCompact comes this soon after it started.
OWN_WINDOW_SECONDS = 15 * 60


def who(trigger: str | None, custom: str | None, typed_at: float | None, now: float) -> str:
    """Who started a compaction: ``cc-guard``, ``user`` (a typed /compact) or ``claude-code``."""
    if custom and MARKER in custom:
        return "cc-guard"
    if trigger == "manual":
        if typed_at is not None and 0 <= now - typed_at < OWN_WINDOW_SECONDS:
            return "cc-guard"
        return "user"
    return "claude-code"


def begin(
    state: str,
    session_id: str,
    *,
    trigger: str | None,
    custom: str | None,
    facts: KeyFacts,
    now: float,
    at: str,
) -> dict[str, Any]:
    """PreCompact: a compaction starts; keep what it must not lose."""
    pending: dict[str, Any] = {}

    def change(data: dict[str, Any]) -> None:
        typed = data.get("typed_at")
        by = who(trigger, custom, typed if isinstance(typed, int | float) else None, now)
        via = (data.get("starting") or {}).get("via") if by == "cc-guard" else None
        pending.update(
            {
                "at": at,
                "trigger": trigger,
                "by": by,
                "via": via,
                "facts": facts.to_json(),
                "summary": None,
            }
        )
        data["pending"] = pending
        data["notice"] = {"at": at, "action": "compacting", "text": "compacting"}

    store.update(state, session_id, change)
    return pending


def remember_summary(state: str, session_id: str, summary: str) -> bool:
    """SubagentStop during a compaction: its reply is the summary. False when none is pending."""
    kept = redact(summary)[:MAX_SUMMARY]
    found = False

    def change(data: dict[str, Any]) -> None:
        nonlocal found
        pending = data.get("pending")
        if isinstance(pending, dict) and not pending.get("summary"):
            pending["summary"] = kept
            found = True

    store.update(state, session_id, change)
    return found


def finish(
    state: str, session_id: str, *, summary: str | None, reinject: bool, at: str
) -> tuple[dict[str, Any] | None, str]:
    """The compaction succeeded: compare, store the report, clear what was pending.

    Returns (the report, the text to re-inject; "" when nothing was dropped, nothing
    may be re-injected, or no compaction was pending).
    """
    report: dict[str, Any] | None = None
    text = ""

    def change(data: dict[str, Any]) -> None:
        nonlocal report, text
        pending = data.pop("pending", None)
        data.pop("starting", None)
        data["outcome"] = {"at": at, "ok": True, "error": None}
        data["notice"] = None
        data["warned"] = False
        data["notified"] = False
        if not isinstance(pending, dict):
            return
        facts = KeyFacts.from_json(pending.get("facts"))
        said = summary if summary is not None else pending.get("summary")
        if isinstance(said, str) and said.strip():
            kept, dropped = compare(said, facts)
            text = reinjection(dropped) if reinject else ""
            summary_chars: int | None = len(summary_part(said))
        else:
            kept, dropped, summary_chars = [], [], None
        report = {
            "time": at,
            "started": pending.get("at"),
            "session_id": session_id,
            "trigger": pending.get("trigger"),
            "by": pending.get("by"),
            "via": pending.get("via"),
            "outcome": "ok",
            "error": None,
            "summary_chars": summary_chars,
            "kept": [f.to_json() for f in kept],
            "dropped": [f.to_json() for f in dropped],
            "reinjected": [f.to_json() for f in dropped] if text else [],
        }
        data["outcome"]["trigger"] = pending.get("trigger")

    store.update(state, session_id, change)
    if report is not None:
        store.add_report(state, session_id, report)
    return report, text


def fail(
    state: str,
    session_id: str,
    error: str,
    *,
    at: str,
    trigger: str | None = None,
    by: str | None = None,
    via: str | None = None,
) -> dict[str, Any] | None:
    """A compaction failed. The report, or None when this failure was already reported
    (Claude Code fires one StopFailure per failed attempt)."""
    report: dict[str, Any] | None = None
    message = redact(" ".join(error.split()))[:500]

    def change(data: dict[str, Any]) -> None:
        nonlocal report
        pending = data.pop("pending", None)
        starting = data.pop("starting", None)
        if not isinstance(pending, dict) and not isinstance(starting, dict) and by is None:
            return  # already reported
        data["outcome"] = {"at": at, "ok": False, "error": message}
        data["notice"] = None  # the statusline shows the failed outcome until one succeeds
        source = pending if isinstance(pending, dict) else {}
        report = {
            "time": at,
            "started": source.get("at") or (starting or {}).get("at"),
            "session_id": session_id,
            "trigger": source.get("trigger") or trigger,
            "by": source.get("by") or by,
            "via": source.get("via") or via or (starting or {}).get("via"),
            "outcome": "failed",
            "error": message,
            "summary_chars": None,
            "kept": [],
            "dropped": [],
            "reinjected": [],
        }

    store.update(state, session_id, change)
    if report is not None:
        store.add_report(state, session_id, report)
    return report
