"""Banners across the top: the outage alert and the demo notice."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from cc_guard.tui import present
from cc_guard.tui.alerts import Alert
from cc_guard.views.fmt import ago


def alert_text(alert: Alert, now: float, more: int = 0) -> Text:
    """One or two lines: which session failed, how, what was saved, and the key to resume."""
    what = alert.kind or "API failure"
    if alert.status:
        what += f" ({alert.status})"
    outcome = {True: "turn failed", False: "retried ok", None: "retrying"}[alert.final]
    text = Text()
    text.append(" ⚠ ", style="bold")
    text.append(f"{what}", style="bold")
    text.append(
        f" in {present.project_name(alert.project_dir)} ({alert.session_id[:8]}), {outcome}. "
    )
    saved: list[str] = []
    if alert.checkpoint:
        saved.append(f"checkpoint {alert.checkpoint[:10]} ({ago(alert.checkpoint_time, now)})")
    if alert.handoff:
        saved.append("handoff")
    text.append("Saved: " + (" and ".join(saved) if saved else "nothing yet") + ". ")
    if alert.doctor:
        text.append(f"Doctor: {alert.doctor}. ", style="italic")
    if more:
        text.append(f"(+{more} more) ")
    text.append("[a] resume  [x] dismiss", style="bold")
    return text


class OutageBanner(Static):
    """Shown while an outage alert is active (the app owns the alert list)."""

    DEFAULT_CSS = """
    OutageBanner { display: none; }
    OutageBanner.-active { display: block; }
    """

    def show_alert(self, alert: Alert | None, now: float, more: int = 0) -> None:
        if alert is None:
            self.remove_class("-active")
            self.update("")
            return
        self.update(alert_text(alert, now, more))
        self.add_class("-active")


class DemoBanner(Static):
    """Says that this is the demo world, and where it lives."""

    def __init__(self, root: str) -> None:
        super().__init__(
            Text.assemble(
                (" DEMO ", "bold reverse"),
                "  A throwaway world of recorded Claude Code sessions replayed live; every "
                "action works for real on it. ",
                (f"{root}", "dim"),
            ),
            id="demo-banner",
        )
