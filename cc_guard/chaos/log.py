"""The JSONL request log, with every credential taken out before it is written.

Auth headers pass through the proxy untouched but never reach this file: headers
whose name looks secret are replaced, and key- or token-shaped values are scrubbed
from every other header and from the logged body.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cc_guard.base.fs import append_private

REDACTED = "[redacted]"
_SECRET_NAME = re.compile(
    r"authorization|api[-_]?key|token|secret|cookie|password|credential", re.I
)
_SECRET_VALUE = re.compile(
    r"sk-ant-[A-Za-z0-9_\-]+|\bsk-[A-Za-z0-9_\-]{16,}|(?i:bearer)\s+[A-Za-z0-9._~+/=\-]+"
)


def redact_text(text: str) -> str:
    return _SECRET_VALUE.sub(REDACTED, text)


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        out[key] = REDACTED if _SECRET_NAME.search(key) else redact_text(value)
    return out


class RequestLog:
    """Appends one JSON object a line; a None path keeps records in memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seq = 0

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def write(self, record: dict[str, Any]) -> None:
        if self.path is None:
            return
        record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), **record}
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self._lock:
            append_private(self.path, line)


def read_log(path: Path) -> list[dict[str, Any]]:
    """Every record of a log file (the helper tests and the test bed use)."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            records.append(json.loads(line))
    return records
