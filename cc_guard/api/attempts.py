"""The attempts log: one JSON line per API attempt, ``<state dir>/api-attempts.jsonl`` (0600).

Fields: ``time`` (ISO 8601 UTC), ``provider``, ``model``, ``outcome`` (``ok``, a failure
kind from :class:`cc_guard.incidents.IncidentKind`, or ``skipped`` when a circuit was
open), ``status`` (HTTP status or null), ``request_id``, ``latency_seconds``,
``input_tokens``, ``output_tokens`` (as the API reported them), ``cl100k_tokens``
(cc-guard's tiktoken count of the input text, which calibrates token budgets), ``purpose``,
``attempt`` (1 for the first try on a model), ``action`` (what the policy did next)
and ``detail`` (one line, e.g. "stream ended without message_stop").

Never content, never keys: nothing from a request body or a header but the
request id goes in. The file is rotated to ``api-attempts.jsonl.1`` past
:data:`MAX_BYTES`.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ATTEMPTS_FILE = "api-attempts.jsonl"
MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Attempt:
    provider: str
    model: str
    outcome: str
    status: int | None = None
    request_id: str | None = None
    latency_seconds: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cl100k_tokens: int | None = None
    purpose: str = ""
    attempt: int = 1
    action: str = ""
    detail: str = ""
    time: str = ""

    def as_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["time"] = self.time or datetime.now(UTC).isoformat(timespec="milliseconds")
        if record["latency_seconds"] is not None:
            record["latency_seconds"] = round(record["latency_seconds"], 3)
        return record


def attempts_path(state_dir: Path) -> Path:
    return state_dir / ATTEMPTS_FILE


def record(attempt: Attempt, state_dir: Path) -> None:
    """Append one attempt (best effort: a full disk must not fail the call it describes)."""
    from cc_guard.base.fs import append_private

    path = attempts_path(state_dir)
    with contextlib.suppress(OSError):
        if path.stat().st_size > MAX_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))
    with contextlib.suppress(OSError):
        append_private(path, json.dumps(attempt.as_record(), ensure_ascii=False))


def read_attempts(state_dir: Path, since: datetime | None = None) -> list[dict[str, Any]]:
    """Logged attempts, oldest first (the rotated file too), optionally only from ``since``."""
    out: list[dict[str, Any]] = []
    path = attempts_path(state_dir)
    for file in (path.with_name(path.name + ".1"), path):
        for record in _records(file):
            if since is not None:
                try:
                    when = datetime.fromisoformat(str(record.get("time")))
                except ValueError:
                    continue
                if when < since:
                    continue
            out.append(record)
    return out


def _records(path: Path) -> Iterator[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict):
                yield value


def token_samples(state_dir: Path, limit: int = 200) -> list[tuple[int, int]]:
    """(cl100k count, reported input tokens) of recently answered attempts."""
    samples: list[tuple[int, int]] = []
    for record in read_attempts(state_dir)[-limit:]:
        counted, reported = record.get("cl100k_tokens"), record.get("input_tokens")
        if record.get("outcome") == "ok" and isinstance(counted, int) and isinstance(reported, int):
            samples.append((counted, reported))
    return samples
