"""Formatting shared by every view: token counts, ages, paths, tables, plurals."""

from __future__ import annotations

import os

from cc_guard.base.timefmt import epoch


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 checkpoint``, ``2 checkpoints``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


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
