"""The session list as ``cc-guard sessions [--json]`` prints it.

Click-free and import-light (the engine is only a type here), so that
``cc_guard.entry`` can print a cached list, or list sessions after a cache miss,
without loading the CLI framework (see :mod:`.warm`). The table is rendered
from the ``--json`` rows, so both outputs come from one cached text.
"""

from __future__ import annotations

import json
import os
import time

from cc_guard.views import cache as warm

TYPE_CHECKING = False  # typing stays unimported at run time (see splice.py)
if TYPE_CHECKING:
    from typing import Any

    from cc_guard.transcripts.engine import Engine
    from cc_guard.transcripts.model import SessionModel

#: The ``sessions --json`` row: stable, documented in README.md.
SUMMARY_FIELDS = (
    "session_id",
    "project_dir",
    "model",
    "context_tokens",
    "context_window",
    "context_percent",
    "context_source",
    "state",
    "state_reason",
    "first_activity",
    "last_activity",
    "incident_count",
    "turns",
    "git_branch",
    "version",
    "transcript_path",
)


def summary(session: SessionModel) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "project_dir": session.project_dir,
        "model": session.model,
        "context_tokens": session.context_tokens,
        "context_window": session.context_window,
        "context_percent": session.context_percent,
        "context_source": session.context_source,
        "state": session.state.value,
        "state_reason": session.state_reason,
        "first_activity": session.first_activity,
        "last_activity": session.last_activity,
        "incident_count": session.incident_count,
        "turns": session.turns,
        "git_branch": session.git_branch,
        "version": session.version,
        "transcript_path": session.transcript_path,
    }


def list_json(
    engine: Engine, taken: tuple[float, bytes] | None = None
) -> tuple[list[SessionModel], str]:
    """All sessions (brief models, newest first) and the ``sessions --json`` text.

    Stores the text in the result cache for the next run to serve, under
    ``taken`` (time, :func:`warm.fingerprint`) if the caller just took them.
    """
    state = warm.state_dir()
    # Taken before the engine reads: a change during this run only makes the cache stale.
    if taken is None:
        taken = (time.time(), warm.fingerprint(warm.claude_dir(), state))
    started, fp = taken
    found = engine.refresh(brief=True)
    from cc_guard.views.splice import encode_records

    rows = [row_text(s) for s in found]
    text = join_rows(rows)
    records = encode_records(found, rows, engine.judgements, engine.sort_keys)
    warm.store(
        state,
        (text + "\n").encode(),
        fp,
        started,
        engine.valid_until,
        engine.watched_pids,
        records,
    )
    return found, text


def row_text(session: SessionModel) -> str:
    # No indent: json's C encoder only runs without it, and this can be thousands of rows.
    return json.dumps(summary(session))


def join_rows(rows: list[str]) -> str:
    """``json.dumps({"sessions": rows})`` for rows already encoded one by one
    (so the result cache can replace single rows, see :mod:`.splice`)."""
    return '{"sessions": [' + ", ".join(rows) + "]}"


# --- the table ------------------------------------------------------------------

TABLE_HEADER = ["PROJECT", "SESSION", "MODEL", "CONTEXT", "STATE", "LAST ACTIVITY", "INCIDENTS"]


def render_table(rows: list[dict[str, Any]], now: float) -> str:
    """``cc-guard sessions`` for these ``--json`` rows (ages relative to ``now``)."""
    if not rows:
        return "No Claude Code sessions found."
    cells = [TABLE_HEADER]
    for row in rows:
        cells.append(
            [
                home_relative(row["project_dir"]),
                row["session_id"][:8],
                row["model"] or "-",
                context_text(row["context_tokens"], row["context_percent"], row["context_window"]),
                row["state"],
                ago(row["last_activity"], now),
                str(row["incident_count"]),
            ]
        )
    return table(cells)


def tokens_text(n: int | None) -> str:
    if n is None:
        return "-"
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if n >= 1000:
        return f"{n / 1000:.0f}k"
    return str(n)


def context_text(tokens: int | None, percent: float | None, window: int | None) -> str:
    if tokens is None:
        return f"-/{tokens_text(window)}"
    return f"{percent or 0:.0f}% {tokens_text(tokens)}/{tokens_text(window)}"


def ago(iso: str | None, now: float) -> str:
    from cc_guard.transcripts.signals import epoch

    ts = epoch(iso)
    if ts is None:
        return "-"
    seconds = max(0, int(now - ts))
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    return f"{seconds // 86400}d ago"


def home_relative(path: str | None) -> str:
    if not path:
        return "-"
    from pathlib import Path

    home = str(Path.home())
    return "~" + path[len(home) :] if path == home or path.startswith(home + os.sep) else path


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
