"""How the dashboard words and colours session facts (no Textual; Rich text only)."""

from __future__ import annotations

import os
from datetime import datetime

from rich.text import Text

from cc_guard.base.timefmt import epoch
from cc_guard.transcripts.model import SessionModel, SessionState
from cc_guard.views.fmt import ago, home_relative, tokens_text

#: Rich styles per state; theme-neutral names so light and dark themes both read well.
STATE_STYLES: dict[str, str] = {
    SessionState.RUNNING.value: "bold green",
    SessionState.IDLE.value: "dim",
    SessionState.INTERRUPTED.value: "bold red",
    SessionState.COMPACTED.value: "magenta",
    SessionState.ENDED.value: "dim italic",
}
#: Fill thresholds (percent of the window) for the gauge's colour.
WARN_PERCENT = 70.0
DANGER_PERCENT = 85.0
GAUGE_WIDTH = 10
_BLOCKS = " ▏▎▍▌▋▊▉█"


def fill_style(percent: float | None) -> str:
    if percent is None:
        return "dim"
    if percent >= DANGER_PERCENT:
        return "bold red"
    if percent >= WARN_PERCENT:
        return "yellow"
    return "green"


def gauge(percent: float | None, width: int = GAUGE_WIDTH) -> Text:
    """A horizontal bar of ``width`` cells plus the percentage, coloured by fill."""
    if percent is None:
        return Text("-".ljust(width + 5), style="dim")
    clamped = max(0.0, min(100.0, percent))
    eighths = round(clamped / 100 * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_BLOCKS[part] if part and full < width else "")
    style = fill_style(percent)
    text = Text(bar, style=style)
    text.append("─" * (width - len(bar)), style="dim")  # the empty part of the track
    text.append(f" {percent:3.0f}%", style=style)
    return text


def state_text(state: str) -> Text:
    return Text(state, style=STATE_STYLES.get(state, ""))


def project_name(path: str | None) -> str:
    """The project's directory name (the full path is in the session screen)."""
    if not path:
        return "-"
    return os.path.basename(path.rstrip("/")) or path


def title(session: SessionModel) -> str:
    return session.title or "(no prompt yet)"


def short_model(model: str | None) -> str:
    if not model:
        return "-"
    return model.removeprefix("claude-")


def context_line(session: SessionModel) -> str:
    if session.context_tokens is None:
        return f"- of {tokens_text(session.context_window)}"
    return (
        f"{session.context_percent or 0:.0f}% · {tokens_text(session.context_tokens)}"
        f" of {tokens_text(session.context_window)} ({session.context_source or '?'})"
    )


def clock_time(iso: str | None) -> str:
    """``HH:MM:SS`` in local time, or ``-``."""
    ts = epoch(iso)
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def when(iso: str | None, now: float) -> str:
    """``ago`` to the minute: the list is redrawn on every change and every 30 seconds,
    so a seconds count would stand still between redraws."""
    ts = epoch(iso)
    if ts is not None and 0 <= now - ts < 60:
        return "<1m ago"
    return ago(iso, now)


__all__ = [
    "STATE_STYLES",
    "clock_time",
    "context_line",
    "fill_style",
    "gauge",
    "home_relative",
    "project_name",
    "short_model",
    "state_text",
    "title",
    "tokens_text",
    "when",
]
