"""The key facts of a session (:class:`~cc_guard.context.focus.KeyFacts`), from its handoff.

The handoff already knows them: the latest request, the files touched, the todos,
the constraints the user stated and the next step. A compaction keeps its focus on
them; the comparison after it checks them in the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cc_guard.context.focus import KeyFacts
from cc_guard.handoff.assemble import Handoff

#: Files named: the newest ones the session changed.
MAX_FILES = 25
MAX_CONSTRAINTS = 10


def key_facts(handoff: Handoff) -> KeyFacts:
    files = sorted(handoff.files, key=lambda f: f.last_time or "", reverse=True)
    return KeyFacts(
        latest_request=handoff.goal_latest,
        files=[f.path for f in files[:MAX_FILES]],
        todos=[t.content for t in handoff.todos if t.status == "in_progress"],
        constraints=list(handoff.constraints[-MAX_CONSTRAINTS:]),
        next_step=handoff.next_step or None,
        project=handoff.project,
    )


def key_facts_from_json(data: Any) -> KeyFacts:
    """The same from a handoff's JSON (``<state dir>/handoff/<id>.json``)."""
    if not isinstance(data, dict):
        return KeyFacts()
    files = [
        f for f in data.get("files") or [] if isinstance(f, dict) and isinstance(f.get("path"), str)
    ]
    files.sort(key=lambda f: str(f.get("last_time") or ""), reverse=True)
    todos = [
        str(t.get("content"))
        for t in data.get("todos") or []
        if isinstance(t, dict) and t.get("status") == "in_progress" and t.get("content")
    ]
    constraints = [c for c in data.get("constraints") or [] if isinstance(c, str)]
    latest = data.get("goal_latest")
    step = data.get("next_step")
    project = data.get("project")
    return KeyFacts(
        latest_request=latest if isinstance(latest, str) else None,
        files=[f["path"] for f in files[:MAX_FILES]],
        todos=todos,
        constraints=constraints[-MAX_CONSTRAINTS:],
        next_step=step if isinstance(step, str) and step else None,
        project=project if isinstance(project, str) else None,
    )


def current_facts(transcript: Path, session_id: str, state_dir: Path) -> KeyFacts:
    """Write the session's handoff if the transcript changed since the last one (waiting
    for a background build in progress), and return its key facts."""
    from cc_guard.handoff.store import write_handoff
    from cc_guard.handoff.worker import build_lock

    with build_lock(session_id, state_dir):
        written = write_handoff(transcript, state_dir, session_id=session_id, use_engine=False)
    if written.handoff is not None:
        return key_facts(written.handoff)
    import json

    try:
        data = json.loads(written.json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return KeyFacts()
    return key_facts_from_json(data)
