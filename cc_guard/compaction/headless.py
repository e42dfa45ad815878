"""Compact a stopped session without its terminal: ``claude -p "/compact <focus>" --resume <id>``.

Only for a session no Claude Code process holds: there is no lock, and compacting
a live session forks its transcript (the running process neither notices nor
follows). It exits 0 with ``is_error: false`` even when the compaction fails; the
failure is only in ``result`` (``Error during compaction: ...``, ``Compaction
blocked by PreCompact hook: ...``, ``Not enough messages to compact.``), so that
and the transcript (a new ``compact_boundary``) decide.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cc_guard.base.fs import open_regular

#: Beginnings of ``result`` that say the compaction did not happen.
FAILURES = ("Error during compaction", "Compaction blocked", "Not enough messages")
DEFAULT_TIMEOUT = 600.0


@dataclass
class HeadlessRun:
    ok: bool
    message: str  # what happened, one line
    returncode: int | None
    result: dict[str, object] | None  # the -p JSON result


def argv(binary: str, session_id: str, focus: str) -> list[str]:
    command = f"/compact {focus}".rstrip()
    return [binary, "-p", command, "--resume", session_id, "--output-format", "json"]


def boundaries(transcript: Path) -> int:
    """How many compaction boundaries the transcript holds (a cheap byte count)."""
    count = 0
    fh = open_regular(transcript)
    if fh is None:
        return 0
    try:
        with fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                count += chunk.count(b'"compact_boundary"')
    except OSError:
        return 0
    return count


def run(
    binary: str,
    session_id: str,
    project: Path,
    focus: str,
    transcript: Path,
    timeout: float = DEFAULT_TIMEOUT,
    env: dict[str, str] | None = None,
) -> HeadlessRun:
    before = boundaries(transcript)
    try:
        proc = subprocess.run(
            argv(binary, session_id, focus),
            cwd=project,
            env=env if env is not None else dict(os.environ),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return HeadlessRun(
            False, f"claude -p /compact did not finish within {timeout:g} s", None, None
        )
    except OSError as exc:
        return HeadlessRun(False, f"could not run {binary}: {exc.strerror or exc}", None, None)
    result: dict[str, object] | None = None
    for line in reversed(proc.stdout.strip().splitlines()):
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            result = parsed
            break
    text = str(result.get("result") or "") if result is not None else ""
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or [text or "no output"])[-1]
        return HeadlessRun(
            False, f"claude exited {proc.returncode}: {detail[:300]}", proc.returncode, result
        )
    if any(text.startswith(prefix) for prefix in FAILURES):
        return HeadlessRun(False, text.splitlines()[0][:300], proc.returncode, result)
    if boundaries(transcript) <= before:
        return HeadlessRun(
            False,
            "claude reported no error but the transcript holds no new compaction"
            + (f" ({text[:200]})" if text else ""),
            proc.returncode,
            result,
        )
    return HeadlessRun(True, "compacted", proc.returncode, result)
