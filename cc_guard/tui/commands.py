"""The command palette: every action key, and a session to open by name."""

from __future__ import annotations

from functools import partial
from typing import cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from cc_guard.tui import present
from cc_guard.tui.dashboard import Dashboard

#: (action, title, help) for the palette; the same actions as the keys.
ACTIONS = (
    ("compact", "Compact the session (c)", "Compact the session's context now"),
    (
        "snapshot",
        "Snapshot: checkpoint + handoff now (s)",
        "Take a checkpoint and write the handoff",
    ),
    ("resume", "Resume the session (r)", "Continue it or start fresh from its handoff"),
    ("doctor", "Doctor (d)", "Is it upstream, the network, or me?"),
    ("open_editor", "Open the project in $EDITOR (o)", "Open the session's project directory"),
    ("copy_resume", "Copy the resume command (y)", "Copy `cc-guard resume <id>`"),
    ("resume_alert", "Resume the alerted session (a)", "The session named in the outage banner"),
    ("restore", "Restore the highlighted checkpoint (R)", "Asks first; undo with u"),
    ("undo", "Undo the last restore (u)", "Puts back what the restore changed"),
    (
        "toggle_dark",
        "Toggle light/dark theme (T)",
        "Switch between Textual's light and dark themes",
    ),
    ("demo", "Open the demo", "Recorded sessions replayed live, no Claude Code needed"),
)


class SessionCommands(Provider):
    @property
    def dashboard(self) -> Dashboard:
        return cast("Dashboard", self.app)

    async def discover(self) -> Hits:
        for action, title, help_text in ACTIONS:
            if self.dashboard.action_available(action):
                yield DiscoveryHit(
                    title, partial(self.dashboard.run_named_action, action), help=help_text
                )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, title, help_text in ACTIONS:
            if not self.dashboard.action_available(action):
                continue
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.dashboard.run_named_action, action),
                    help=help_text,
                )
        for session in self.dashboard.sessions[:500]:
            name = f"Open {present.project_name(session.project_dir)}: {present.title(session)[:60]} ({session.session_id[:8]})"
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(self.dashboard.open_session, session.session_id),
                    help=session.state.value,
                )
