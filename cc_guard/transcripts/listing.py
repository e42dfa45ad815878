"""The session list as ``cc-guard sessions --json`` prints it.

Click-free, so that ``cc_guard.entry`` can run a ``sessions --json`` whose
result cache missed without loading the CLI framework (see :mod:`.warm`).
"""

from __future__ import annotations

import json
import time
from typing import Any

from cc_guard.transcripts import warm
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


def list_json(engine: Engine) -> tuple[list[SessionModel], str]:
    """All sessions (brief models, newest first) and the ``sessions --json`` text.

    Stores the text in the result cache for the next run to serve.
    """
    # Taken before the engine reads: a change during this run only makes the cache stale.
    started = time.time()
    state = warm.state_dir()
    fp = warm.fingerprint(warm.claude_dir(), state)
    found = engine.refresh(brief=True)
    # No indent: json's C encoder only runs without it, and this can be thousands of rows.
    text = json.dumps({"sessions": [summary(s) for s in found]})
    warm.store(state, (text + "\n").encode(), fp, started, engine.valid_until, engine.watched_pids)
    return found, text
