"""The tmux panes Claude Code runs in, as ``cc-guard launch`` recorded them.

``<state dir>/panes.json`` (0600, written atomically) lists one record per
launch, newest last: the Claude Code pane, the tmux server socket it lives on,
the session id it was started with (when cc-guard chose it), its project
directory and the dashboard pane beside it. Other features (typing ``/compact``
into the right pane) look a session's pane up here; the hook event log's
``tmux_pane`` says the same for sessions cc-guard did not launch.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from cc_guard.base.fs import write_private
from cc_guard.base.paths import state_dir

PANES_FILE = "panes.json"
#: Launch records kept; older ones are dropped (their panes are long gone).
MAX_RECORDS = 50


@dataclass(frozen=True)
class PaneRecord:
    """One Claude Code pane started by ``cc-guard launch``."""

    pane_id: str  # tmux's ``%N``
    socket: str | None  # the tmux server's socket path (first field of $TMUX), None: default
    session_id: str | None  # the Claude Code session id it was started with, if known
    project_dir: str
    launched_at: float  # epoch seconds
    dashboard_pane: str | None = None
    claude_pid: int | None = None


def panes_path(directory: Path | None = None) -> Path:
    return (directory if directory is not None else state_dir()) / PANES_FILE


def read_panes(directory: Path | None = None) -> list[PaneRecord]:
    """Every recorded pane, oldest first; [] when the file is missing or unreadable."""
    try:
        data = json.loads(panes_path(directory).read_text("utf-8"))
    except (OSError, ValueError):
        return []
    records = data.get("panes") if isinstance(data, dict) else None
    out: list[PaneRecord] = []
    for item in records if isinstance(records, list) else []:
        record = _record(item)
        if record is not None:
            out.append(record)
    return out


def _record(item: object) -> PaneRecord | None:
    if not isinstance(item, dict):
        return None
    pane = item.get("pane_id")
    project = item.get("project_dir")
    launched = item.get("launched_at")
    if not isinstance(pane, str) or not pane.startswith("%") or not isinstance(project, str):
        return None
    if not isinstance(launched, int | float) or isinstance(launched, bool):
        return None

    def text(key: str) -> str | None:
        value = item.get(key)
        return value if isinstance(value, str) and value else None

    pid = item.get("claude_pid")
    return PaneRecord(
        pane_id=pane,
        socket=text("socket"),
        session_id=text("session_id"),
        project_dir=project,
        launched_at=float(launched),
        dashboard_pane=text("dashboard_pane"),
        claude_pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
    )


def record_pane(record: PaneRecord, directory: Path | None = None) -> Path:
    """Add ``record`` (replacing an older record of the same pane on the same server)."""
    kept = [
        r
        for r in read_panes(directory)
        if not (r.pane_id == record.pane_id and r.socket == record.socket)
    ]
    kept.append(record)
    path = panes_path(directory)
    body = {"panes": [asdict(r) for r in kept[-MAX_RECORDS:]]}
    write_private(path, json.dumps(body, indent=2, sort_keys=True) + "\n")
    return path


def pane_for_session(session_id: str, directory: Path | None = None) -> PaneRecord | None:
    """The newest pane launched for ``session_id``, if ``launch`` recorded one."""
    for record in reversed(read_panes(directory)):
        if record.session_id == session_id:
            return record
    return None


def new_record(
    pane_id: str,
    project_dir: str,
    *,
    session_id: str | None = None,
    dashboard_pane: str | None = None,
    tmux_env: str | None = None,
) -> PaneRecord:
    """A record for a pane launched now; ``tmux_env`` is the ``$TMUX`` value (socket first)."""
    socket = None
    if tmux_env:
        with contextlib.suppress(IndexError):
            socket = tmux_env.split(",")[0] or None
    return PaneRecord(
        pane_id=pane_id,
        socket=socket,
        session_id=session_id,
        project_dir=os.fspath(project_dir),
        launched_at=time.time(),
        dashboard_pane=dashboard_pane,
    )
