"""The fill now, counted: read what a transcript appended since its newest exact usage.

Counts with the shared offline counter (:mod:`cc_guard.tokens`: tiktoken's
``cl100k_base``, or characters when tiktoken cannot load); the session's calibration
absorbs the difference to Claude's own counts (:mod:`cc_guard.context.fill`). Only the
tail of a long transcript is read: the calibration uses the newest gaps anyway.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cc_guard import tokens
from cc_guard.base.fs import tail_lines
from cc_guard.context.fill import Calibration, Since, calibrate, since

#: How much of the end of a transcript is read.
TAIL_BYTES = 8 * 1024 * 1024


def counter() -> Callable[[str], int]:
    """The token counter."""
    return tokens.count


def tail_records(path: Path, max_bytes: int = TAIL_BYTES) -> Iterator[dict[str, Any]]:
    """The records in the last ``max_bytes`` of a transcript (a cut first line skipped)."""
    for line in tail_lines(path, max_bytes) or ():
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
