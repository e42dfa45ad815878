"""What the screens and the command palette need from the app (the app implements it).

Screens depend on this protocol rather than on ``app.py``, which imports them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from textual.signal import Signal

from cc_guard.transcripts.engine import Engine
from cc_guard.transcripts.model import SessionModel
from cc_guard.tui.alerts import Alert


class Dashboard(Protocol):
    engine: Engine
    claude_dir: Path
    state_dir: Path
    demo_root: str | None
    sessions: list[SessionModel]
    loaded: bool
    checkpoint_counts: dict[str, int]
    sessions_signal: Signal[list[SessionModel]]
    alert_signal: Signal[object]
    progress_signal: Signal[tuple[int, int, bool]]

    def now(self) -> float: ...

    def current_alert(self) -> tuple[Alert | None, int]: ...

    def open_session(self, session_id: str) -> None: ...

    def action_demo(self) -> None: ...

    def action_available(self, action: str) -> bool: ...

    def run_named_action(self, action: str) -> None: ...
