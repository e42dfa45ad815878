"""``cc-guard sessions --watch``: silent while nothing changes, prompt when something does,
and on a terminal the table is redrawn in place rather than scrolled."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.support.transcripts import append, assistant, prompt, session_path, write

SID = "11111111-aaaa-4000-8000-000000000001"
IDLE_SECONDS = 3.0


def _setup(isolated_env: dict[str, Path]) -> Path:
    path = write(
        session_path(isolated_env["claude"], SID),
        prompt("go", ts="2026-01-01T10:00:00.000Z"),
        assistant("done", ts="2026-01-01T10:00:02.000Z"),
        mtime=1_700_000_000,
    )
    state = isolated_env["state"]
    (state / "statusline").mkdir(parents=True)
    (state / "statusline" / f"{SID}.json").write_text(
        json.dumps({"session_id": SID, "context_window_size": 1_000_000})
    )
    (state / "events.jsonl").write_text(
        json.dumps({"time": "2026-01-01T10:00:03Z", "event": "Stop", "session_id": SID}) + "\n"
    )
    return path


def _read_for(fd: int, seconds: float) -> bytes:
    out = b""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the pty's other end closed
            break
        if not chunk:
            break
        out += chunk
    return out


def _read_until(fd: int, needle: bytes, seconds: float = 30) -> bytes:
    out = b""
    end = time.monotonic() + seconds
    while needle not in out and time.monotonic() < end:
        out += _read_for(fd, 0.2)
    assert needle in out, out
    return out


def test_watch_is_silent_while_nothing_changes_and_speaks_when_it_does(
    isolated_env: dict[str, Path],
) -> None:
    path = _setup(isolated_env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cc_guard", "sessions", "--watch", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    try:
        first = _read_until(fd, b"\n")
        assert json.loads(first.splitlines()[0])["sessions"][0]["session_id"] == SID
        assert _read_for(fd, IDLE_SECONDS) == b""  # its own reads are not changes
        append(path, prompt("and more", ts="2026-01-01T10:05:00.000Z"))
        changed = _read_until(fd, b"\n")
        assert json.loads(changed.splitlines()[0])["sessions"][0]["turns"] == 2
        assert _read_for(fd, IDLE_SECONDS) == b""
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_watch_redraws_the_table_in_place_on_a_terminal(isolated_env: dict[str, Path]) -> None:
    path = _setup(isolated_env)
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cc_guard", "sessions", "--watch"],
        stdout=child,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "200"},
    )
    os.close(child)
    try:
        first = _read_until(main, b"idle")
        lines = first.decode().replace("\r\n", "\n").rstrip("\n").count("\n") + 1
        assert _read_for(main, IDLE_SECONDS) == b""
        append(path, prompt("and more", ts="2026-01-01T10:05:00.000Z"))
        second = _read_until(main, b"PROJECT")
        # Back to the first line of the previous table, clear below, draw again.
        assert second.startswith(f"\x1b[{lines}F\x1b[J".encode()), second[:40]
        assert second.count(b"PROJECT") == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        os.close(main)
