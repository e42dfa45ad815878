"""Times as Claude Code and cc-guard write them: ISO 8601 strings in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def epoch(ts: str | None) -> float | None:
    """Seconds since the epoch for an ISO 8601 time (``Z`` or offset), None if unreadable."""
    if not ts:
        return None
    try:
        parsed = datetime.fromisoformat(ts.replace("Z", "+00:00") if ts.endswith("Z") else ts)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


def iso(ts: float) -> str:
    """``2026-01-01T10:00:00.123Z``: the form Claude Code's transcripts use."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
