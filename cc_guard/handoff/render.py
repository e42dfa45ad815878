"""Render a handoff as Markdown (full and short) and JSON, redacted.

Same handoff in, same bytes out: no wall clock, stable ordering, sorted nothing that
has a natural order. The short form is what a new session gets injected; it keeps the
sections that let the model pick the work up first and drops or trims the rest to
stay under :data:`SHORT_LIMIT` characters.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from cc_guard.base.redact import redact, redact_obj
from cc_guard.handoff.assemble import Handoff, one_line, trim

SHORT_LIMIT = 8000
#: The sha length every view shows (cc_guard.views.fmt.SHA_CHARS; views sit above this layer).
SHA_CHARS = 10


def to_json(handoff: Handoff) -> str:
    data = asdict(handoff)
    data["health"]["interrupted"] = handoff.health.interrupted
    data.pop("extra", None)
    return json.dumps(redact_obj(data), indent=2, ensure_ascii=False) + "\n"


def _session_lines(h: Handoff) -> list[str]:
    health = h.health
    if health.interrupted:
        why = f"interrupted ({health.kind or 'unknown'})" + (
            f": {health.reason}" if health.reason else ""
        )
        if health.time:
            why += f" at {health.time}"
    else:
        why = f"healthy ({health.state})"
        if health.process:
            why += f", running as {health.process}"
    lines = [
        f"- Session: `{h.session_id}`",
        f"- Project: `{h.project or '?'}`"
        + (f" (branch `{h.git_branch}`)" if h.git_branch else ""),
        f"- Model: {h.model or '?'} · Claude Code {h.claude_code_version or '?'}",
        f"- Activity: {h.first_activity or '?'} → {h.last_activity or '?'}",
        f"- Health: {why}",
    ]
    if h.compactions:
        lines.append(f"- Compactions: {h.compactions}")
    if h.subagents:
        lines.append(f"- Subagents: {h.subagents}")
    return lines


def _files_lines(h: Handoff, limit: int | None = None) -> list[str]:
    files = h.files if limit is None else h.files[-limit:]
    lines = [
        f"- `{f.path}`"
        # Line counts come from Write/Edit inputs; a file only a shell command touched has none.
        + (f" +{f.added} -{f.removed}" if set(f.tools) - {"Bash"} else "")
        + f" ({', '.join(f.tools)}"
        + (", subagent" if f.subagent else "")
        + ")"
        for f in files
    ]
    if limit is not None and len(h.files) > limit:
        lines.insert(0, f"- … {len(h.files) - limit} earlier files omitted")
    if h.checkpoint is not None:
        lines.append(
            f"- Newest checkpoint: `{h.checkpoint.sha[:SHA_CHARS]}`"
            + (f" ({h.checkpoint.event}, {h.checkpoint.time})" if h.checkpoint.time else "")
            + " — restore with `cc-guard restore "
            + h.checkpoint.sha[:SHA_CHARS]
            + "`"
        )
    return lines or ["- (none)"]


_TODO_MARK = {"completed": "[x]", "in_progress": "[~]", "pending": "[ ]"}


def _todo_lines(h: Handoff) -> list[str]:
    if not h.todos:
        return ["- (none recorded)"]
    return [f"- {_TODO_MARK.get(t.status, '[?]')} {t.content} ({t.status})" for t in h.todos]


def _in_flight_lines(h: Handoff) -> list[str]:
    lines = []
    if h.partial_text:
        lines.append("- Partial text of the response that was cut off:")
        lines.append("")
        lines.extend("  > " + line for line in h.partial_text.splitlines())
        lines.append("")
    if h.in_flight_note:
        lines.append(f"- {h.in_flight_note}")
    for call in h.pending_tool_calls:
        lines.append(
            f"- Tool call started without a result: {call.summary}"
            + (f" ({call.time})" if call.time else "")
        )
    return lines or ["- Nothing in flight."]


def to_markdown(h: Handoff) -> str:
    out: list[str] = [f"# Handoff: session {h.session_id}", ""]
    out += ["## Session", *_session_lines(h), ""]
    out += [
        "## Goal",
        f"- First request: {one_line(h.goal_first or '(none)', 600)}",
        f"- Latest request: {one_line(h.goal_latest or '(none)', 600)}",
        "",
    ]
    out += ["## User messages"]
    out += [
        f"{i}. ({m.time or '?'}) {one_line(m.text, 600)}" for i, m in enumerate(h.user_messages, 1)
    ] or ["(none)"]
    out += ["", "## Current work"]
    if h.last_assistant_text:
        out += [
            "Last assistant text:",
            "",
            *("> " + line for line in h.last_assistant_text.splitlines()),
            "",
        ]
    if h.recent_actions:
        out += ["Last actions:"]
        out += [f"- {a.summary} → {a.outcome}" for a in h.recent_actions]
    if not h.last_assistant_text and not h.recent_actions:
        out += ["- (nothing yet)"]
    out += ["", "## In flight", *_in_flight_lines(h), ""]
    out += ["## Files touched", *_files_lines(h), ""]
    out += [f"## Todos{f' ({h.todos_source})' if h.todos_source else ''}", *_todo_lines(h), ""]
    out += ["## Errors and fixes"]
    out += [
        f"- {e.action}: {e.error}" + (f" → fixed: {e.fix}" if e.fix else " → not fixed yet")
        for e in h.errors
    ] or ["- (none)"]
    out += ["", "## Commands run"]
    out += [
        f"- `{one_line(c.command, 200)}` [{c.kind}] → {c.outcome}"
        + (f" (exit {c.exit_code})" if c.exit_code not in (None, 0) else "")
        for c in h.commands
    ] or ["- (none)"]
    out += ["", "## Constraints the user stated"]
    out += [f"- {c}" for c in h.constraints] or ["- (none detected)"]
    out += ["", "## Next step", h.next_step, ""]
    return redact("\n".join(out))


def _short_files(h: Handoff, limit: int = 40) -> str:
    lines = _files_lines(h)
    checkpoint = [lines.pop()] if h.checkpoint is not None else []
    files = [] if lines == ["- (none)"] else lines[::-1]
    if len(files) > limit:
        files = [*files[:limit], f"- … and {len(files) - limit} older files"]
    return "\n".join(checkpoint + (files or ["- No file changes recorded in the transcript."]))


def to_short(h: Handoff, limit: int = SHORT_LIMIT) -> str:
    """The injectable form: most important sections first, each trimmed to fit ``limit``."""
    header = (
        f"[cc-guard handoff] You are continuing Claude Code session {h.session_id} "
        f"in {h.project or '?'}. It stopped: "
        + (
            f"interrupted ({h.health.kind}){': ' + h.health.reason if h.health.reason else ''}."
            if h.health.interrupted
            else f"{h.health.state}."
        )
        + " Its working state follows; verify files on disk before redoing work."
    )
    # (title, body, budget): filled in priority order, each capped, then the rest.
    sections: list[tuple[str, str, int]] = [
        ("Next step", h.next_step, 600),
        ("Latest user request", h.goal_latest or "(none)", 1500),
        ("Files touched (newest first)", _short_files(h), 1800),
        ("In flight", "\n".join(_in_flight_lines(h)), 1200),
        ("Todos", "\n".join(_todo_lines(h)), 1000),
        ("First request (goal)", h.goal_first or "(none)", 800),
        (
            "Constraints the user stated",
            "\n".join(f"- {c}" for c in h.constraints) or "- (none detected)",
            700,
        ),
        (
            "Errors and fixes",
            "\n".join(
                f"- {e.action}: {one_line(e.error, 160)}"
                + (" → fixed" if e.fix else " → not fixed")
                for e in h.errors[-6:]
            )
            or "- (none)",
            700,
        ),
        (
            "Commands run",
            "\n".join(f"- `{one_line(c.command, 120)}` → {c.outcome}" for c in h.commands[-8:])
            or "- (none)",
            700,
        ),
        ("Last assistant text", h.last_assistant_text or "(none)", 800),
        (
            "Earlier user messages",
            "\n".join(f"- {one_line(m.text, 200)}" for m in h.user_messages[-8:-1]) or "- (none)",
            900,
        ),
    ]
    parts = [redact(header)]
    used = len(parts[0])
    for title, body, budget in sections:
        block = redact(f"\n\n## {title}\n{trim(body, budget)}")
        room = limit - used
        if room <= 40:
            break
        if len(block) > room:
            block = trim(block, room)
            block = redact(block)[:room]
        parts.append(block)
        used += len(block)
    return "".join(parts)[:limit]


def render(h: Handoff, fmt: str) -> str:
    if fmt == "json":
        return to_json(h)
    if fmt == "short":
        return to_short(h)
    return to_markdown(h)


def as_dict(h: Handoff) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(to_json(h))
    return data
