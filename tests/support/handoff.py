"""Shared helpers for the handoff and resume tests (no tests here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts"
CWD = "/home/dev/shop"
OLD = 1_600_000_000  # an mtime long ago: the session's process is certainly gone


def install_fixture(
    name: str, claude_dir: Path, age_old: bool = True, project: str | None = None
) -> Path:
    """Copy a fixture transcript where Claude Code keeps it; return its new path."""
    src = FIXTURES / name
    first = next(json.loads(line) for line in src.read_text().splitlines() if '"sessionId"' in line)
    sid = first["sessionId"]
    cwd = project or first.get("cwd") or CWD
    folder = claude_dir / "projects" / cwd.replace("/", "-").replace(".", "-")
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{sid}.jsonl"
    text = src.read_text()
    if project is not None:  # the session ran in ``project``: its records say so too
        text = text.replace(
            json.dumps({"cwd": first.get("cwd")})[1:-1], json.dumps({"cwd": project})[1:-1]
        )
    dest.write_text(text)
    sub = src.with_suffix("") / "subagents"
    if sub.is_dir():
        shutil.copytree(sub, dest.with_suffix("") / "subagents")
    if age_old:
        os.utime(dest, (OLD, OLD))
    return dest


def append_record(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


def run_hook(
    event: str, payload: dict[str, Any], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real hook entry, as Claude Code runs it: a process reading JSON on stdin."""
    return subprocess.run(
        [sys.executable, "-m", "cc_guard", "hook", event],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def fake_claude_process(tmp: Path) -> subprocess.Popen[bytes]:
    """A live process whose name says claude (a copy of sleep), for running-session checks."""
    binary = tmp / "claude"
    shutil.copyfile(shutil.which("sleep") or "/bin/sleep", binary)
    binary.chmod(0o755)
    proc = subprocess.Popen([str(binary), "300"])
    comm = Path(f"/proc/{proc.pid}/comm")
    cmdline = Path(f"/proc/{proc.pid}/cmdline")
    for _ in range(500):  # until exec is complete: before, /proc shows the forking python,
        # and for a moment during it an empty command line
        try:
            if "claude" in comm.read_text() and b"claude" in cmdline.read_bytes():
                break
        except OSError:
            pass
        time.sleep(0.01)
    return proc


def handoff_workers_for(transcript: Path) -> list[int]:
    """Live handoff worker processes rebuilding ``transcript``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"cc_guard.handoff.worker" in argv and str(transcript).encode() in argv:
            found.append(int(entry.name))
    return found
