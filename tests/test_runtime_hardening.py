"""Lines and exit codes, never tracebacks: closed stdio, a stdin that never ends, a locked
index, a read-only or full state dir, settings nested 5,000 deep."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.mounts import run_with_mounts
from tests.support.transcripts import assistant, prompt, session_path, usage, write

CC_GUARD = str(Path(sys.executable).parent / "cc-guard")
SID = "11111111-aaaa-4000-8000-000000000001"
OLD = 1_700_000_000.0


@pytest.fixture
def one_session(isolated_env: dict[str, Path]) -> Path:
    return write(
        session_path(isolated_env["claude"], SID, "-here"),
        {**prompt("fix the bug", ts="2026-01-01T10:00:00.000Z"), "cwd": "/tmp"},
        {**assistant("Fixed.", ts="2026-01-01T10:00:05.000Z", use=usage(10, 0, 89_990, 5))},
        mtime=OLD,
    )


# --------------------------------------------------------------------------- closed stdio


@pytest.mark.parametrize("closed", [">&-", "2>&-", ">&- 2>&-", "<&-"])
@pytest.mark.parametrize("command", ["hook Stop", "hook SessionStart", "statusline"])
def test_hook_and_statusline_exit_0_whatever_stdio_is_closed(
    tmp_path: Path, closed: str, command: str
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({"session_id": SID, "cwd": str(tmp_path)}))
    redirect = "" if closed == "<&-" else f"< '{payload}'"
    rc = tmp_path / "rc.txt"
    proc = subprocess.run(
        ["sh", "-c", f"'{CC_GUARD}' {command} {redirect} {closed}; echo $? > '{rc}'"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rc.read_text().strip() == "0", proc.stderr
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- statusline stdin


def test_the_statusline_returns_when_stdin_never_ends(isolated_env: dict[str, Path]) -> None:
    proc = subprocess.Popen(
        [CC_GUARD, "statusline"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps({"session_id": SID}).encode())
    proc.stdin.flush()  # ...and never closed, as a stuck writer would
    try:
        assert proc.wait(timeout=30) == 0
        assert proc.stdout.read().startswith(b"cc-guard")
    finally:
        proc.kill()
        proc.wait()


def test_the_statusline_reads_no_more_than_the_hook_does(isolated_env: dict[str, Path]) -> None:
    from cc_guard.base.hookio import MAX_STDIN_BYTES

    payload = json.dumps({"session_id": SID, "context_window": {"used_percentage": 42}})
    padded = payload[:-1] + " " * (MAX_STDIN_BYTES + 1 - len(payload)) + "}"
    proc = subprocess.run(
        [CC_GUARD, "statusline"], input=padded.encode(), capture_output=True, timeout=60
    )
    assert proc.returncode == 0
    assert proc.stdout == b"cc-guard\n"  # cut at the limit: not JSON, so nothing is recorded
    assert not (isolated_env["state"] / "statusline" / f"{SID}.json").exists()


# --------------------------------------------------------------------------- the session index


def test_a_locked_index_is_read_around_and_kept(
    one_session: Path, isolated_env: dict[str, Path]
) -> None:
    first = subprocess.run([CC_GUARD, "sessions", "--json"], capture_output=True, text=True)
    assert first.returncode == 0
    index = isolated_env["state"] / "index" / "transcripts.sqlite"
    holder = sqlite3.connect(index, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT OR REPLACE INTO meta VALUES ('held-by', '\"another process\"')")
    try:
        os.utime(one_session, (OLD + 5, OLD + 5))  # something to read again
        for args in (["sessions", "--json"], ["sessions"], ["status", SID[:8]]):
            proc = subprocess.run(
                [CC_GUARD, *args],
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, "CC_GUARD_INDEX_TIMEOUT": "0.2"},
            )
            assert proc.returncode == 0, proc.stderr
            assert "Traceback" not in proc.stderr
            assert SID[:8] in proc.stdout
            if args != ["sessions"]:  # (that one is answered from the result cache)
                assert len(proc.stderr.splitlines()) == 1 and "index" in proc.stderr
        holder.execute("COMMIT")
    finally:
        holder.close()
    check = sqlite3.connect(index)
    assert check.execute("SELECT value FROM meta WHERE key='held-by'").fetchone() is not None
    check.close()


# --------------------------------------------------------------------------- read-only, full


def _env() -> dict[str, str]:
    return dict(os.environ)


@pytest.mark.parametrize("how", ["read_only", "full"])
def test_an_unwritable_state_dir_gives_one_line_and_an_exit_code(
    one_session: Path, isolated_env: dict[str, Path], tmp_path: Path, how: str
) -> None:
    state = isolated_env["state"]
    assert subprocess.run([CC_GUARD, "sessions"], capture_output=True).returncode == 0
    os.utime(one_session, (OLD + 5, OLD + 5))  # the next listing has something to write
    mounts = {how: (state,)}
    payload = json.dumps({"session_id": SID, "cwd": str(tmp_path), "transcript_path": str(one_session)})
    for args, expect in (
        (["sessions"], 0),
        (["sessions", "--json"], 0),
        (["status", SID[:8]], 0),
        (["handoff", SID[:8]], 1),
        (["sh", "-c", f"echo '{payload}' | {CC_GUARD} hook Stop"], 0),
        (["sh", "-c", f"echo '{payload}' | {CC_GUARD} statusline"], 0),
    ):
        argv = args if args[0] == "sh" else [CC_GUARD, *args]
        proc = run_with_mounts(argv, env=_env(), **mounts)  # type: ignore[arg-type]
        assert proc.returncode == expect, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        if expect:
            assert len(proc.stderr.splitlines()) == 1 and str(state) in proc.stderr
    assert (state / "index" / "transcripts.sqlite").exists()  # a failed write deletes nothing


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize("command", ["install", "uninstall"])
def test_settings_nested_5000_deep_are_refused_in_one_line(
    isolated_env: dict[str, Path], command: str
) -> None:
    settings = isolated_env["claude"] / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    text = '{"hooks": {}, "x": ' + "[" * 5000 + "]" * 5000 + "}\n"
    settings.write_text(text)
    proc = subprocess.run([CC_GUARD, command], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert str(settings) in proc.stderr
    assert settings.read_text() == text


def test_settings_holding_a_lone_surrogate_install_and_uninstall(
    isolated_env: dict[str, Path],
) -> None:
    settings = isolated_env["claude"] / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    text = '{"model": "\\ud800", "statusLine": {"type": "command", "command": "echo \\udc80"}}\n'
    settings.write_text(text)
    for command in ("install", "uninstall"):
        proc = subprocess.run([CC_GUARD, command], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
    assert settings.read_text() == text


# --------------------------------------------------------------------------- restore


def test_restoring_a_symlink_whose_target_holds_a_nul_is_one_line_and_writes_nothing(
    tmp_path: Path,
) -> None:
    from tests.support.checkpoints import cli, git, make_repo

    repo = make_repo(tmp_path / "repo")

    def git_in(*args: str, data: bytes) -> str:
        return subprocess.run(
            ["git", *args], cwd=repo, input=data, capture_output=True, check=True
        ).stdout.decode()

    link = git_in("hash-object", "-w", "--stdin", data=b"target\0elsewhere").strip()
    good = git_in("hash-object", "-w", "--stdin", data=b"fine\n").strip()
    tree = git_in(
        "mktree", data=f"120000 blob {link}\tlink\n100644 blob {good}\tgood.txt\n".encode()
    ).strip()
    message = f"x\n\nCC-Guard-Session: {SID}\nCC-Guard-Event: Stop\n"
    crafted = git(repo, "commit-tree", tree, "-m", message).strip()
    proc = cli(repo, "restore", crafted[:12], "--yes")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert "link" in proc.stderr
    assert not os.path.lexists(repo / "link") and not (repo / "good.txt").exists()
