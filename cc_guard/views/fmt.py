"""Formatting shared by every view: token counts, times, ages, shas, paths, tables, plurals.

One way to write each: the CLI, the dashboard and ``doctor`` use these; the statusline
(which imports nothing it need not) and the handoff document follow the same sha length.
"""

from __future__ import annotations

import os
from datetime import datetime

from cc_guard.base.timefmt import epoch

#: How many characters of a commit sha the views show (``restore`` accepts them).
SHA_CHARS = 10


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 checkpoint``, ``2 checkpoints``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def short_sha(sha: str | None) -> str:
    return sha[:SHA_CHARS] if sha else "-"


def when(value: str | datetime | None) -> str:
    """A time for people: local time to the second, with its zone (``2026-01-01 11:00:05 CET``).

    Takes the ISO 8601 strings of transcripts and hook logs, or an aware datetime.
    """
    if value is None:
        return "-"
    if isinstance(value, str):
        ts = epoch(value)
        if ts is None:
            return value
        moment = datetime.fromtimestamp(ts).astimezone()
    else:
        moment = value.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


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
    home = os.path.expanduser("~")
    return "~" + path[len(home) :] if path == home or path.startswith(home + os.sep) else path


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
