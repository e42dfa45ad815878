"""``cc-guard statusline``: the feed file, the line, garbage input, wrapping the user's command."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

CC_GUARD = str(Path(sys.executable).parent / "cc-guard")

PAYLOAD = {
    "session_id": "0f3c8a52-1b7e-4f55-9d61-6a1f0e2b9c44",
    "transcript_path": "/tmp/x/0f3c8a52.jsonl",
    "cwd": "/tmp/x",
    "model": {"id": "claude-opus-5-5", "display_name": "Opus"},
    "context_window": {
        "context_window_size": 1000000,
        "used_percentage": 42.4,
        "current_usage": {"input_tokens": 12, "cache_read_input_tokens": 420000},
    },
}


def statusline(stdin: bytes | str, *args: str) -> subprocess.CompletedProcess[str]:
    data = stdin if isinstance(stdin, str) else stdin.decode("latin-1")
    return subprocess.run(
        [CC_GUARD, "statusline", *args], input=data, capture_output=True, text=True, timeout=30
    )


SESSION_ID = str(PAYLOAD["session_id"])


def feed_path(state: Path, session_id: str = SESSION_ID) -> Path:
    return state / "statusline" / f"{session_id}.json"


def test_records_the_feed_and_prints_the_fill(isolated_env: dict[str, Path]) -> None:
    out = statusline(json.dumps(PAYLOAD))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "cc-guard | ctx 42% of 1M · 57% until auto-compact | upstream ok\n"
    path = feed_path(isolated_env["state"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    feed = json.loads(path.read_text())
    assert feed["session_id"] == PAYLOAD["session_id"]
    assert feed["transcript_path"] == PAYLOAD["transcript_path"]
    assert feed["model_id"] == "claude-opus-5-5"
    assert feed["context_window_size"] == 1000000
    assert feed["used_percentage"] == 42.4
    assert feed["current_usage"] == PAYLOAD["context_window"]["current_usage"]  # type: ignore[index]
    assert (
        time.time() - time.mktime(time.strptime(feed["received_at"], "%Y-%m-%dT%H:%M:%SZ")) < 86400
    )
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not json", b"[1, 2]", b"\xff\xfe\x00", b'{"session_id": 5, "context_window": "x"}'],
    ids=["empty", "text", "list", "binary", "wrong-types"],
)
def test_garbage_gives_a_neutral_line(isolated_env: dict[str, Path], garbage: bytes) -> None:
    out = statusline(garbage)
    assert out.returncode == 0
    assert out.stdout.startswith("cc-guard")
    assert out.stderr == ""
    assert not (isolated_env["state"] / "statusline").exists() or not any(
        (isolated_env["state"] / "statusline").iterdir()
    )


def test_unsafe_session_id_is_not_used_as_a_path(isolated_env: dict[str, Path]) -> None:
    out = statusline(json.dumps({**PAYLOAD, "session_id": "../../escape"}))
    assert out.returncode == 0
    assert not (isolated_env["state"].parent / "escape.json").exists()
    assert not list(isolated_env["state"].rglob("*escape*"))


def test_upstream_incident_shows_until_a_turn_succeeds(isolated_env: dict[str, Path]) -> None:
    state = isolated_env["state"]
    state.mkdir(parents=True, exist_ok=True)
    sid = PAYLOAD["session_id"]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    events = [
        {"time": now, "event": "UserPromptSubmit", "session_id": sid},
        {"time": now, "event": "StopFailure", "session_id": sid, "error": "overloaded"},
        {"time": now, "event": "StopFailure", "session_id": "other", "error": "rate_limit"},
    ]
    log = state / "events.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    assert "upstream overloaded just now" in statusline(json.dumps(PAYLOAD)).stdout
    with log.open("a") as fh:
        fh.write(json.dumps({"time": now, "event": "Stop", "session_id": sid}) + "\n")
    assert statusline(json.dumps(PAYLOAD)).stdout.endswith("upstream ok\n")


def test_warns_above_the_configured_percent(isolated_env: dict[str, Path]) -> None:
    full = json.loads(json.dumps(PAYLOAD))
    full["context_window"]["used_percentage"] = 85
    # 85% of the window by Claude Code's count, while the usage is far from auto-compaction:
    # the [context] warning marks it.
    assert "ctx 85% of 1M · 57% until auto-compact (!)" in statusline(json.dumps(full)).stdout
    isolated_env["config"].parent.mkdir(parents=True, exist_ok=True)
    isolated_env["config"].write_text("[context]\nwarn_percent = 90\n")
    assert "(!)" not in statusline(json.dumps(full)).stdout


def test_no_fill_yet_shows_the_window(isolated_env: dict[str, Path]) -> None:
    early = json.loads(json.dumps(PAYLOAD))
    early["context_window"]["used_percentage"] = None
    assert statusline(json.dumps(early)).stdout == "cc-guard | ctx - of 1M | upstream ok\n"


def test_wrap_runs_their_command_with_the_same_stdin(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    seen = tmp_path / "seen.json"
    theirs = f"cat > '{seen}'; printf 'their line'; exit 3"
    out = statusline(json.dumps(PAYLOAD), "--wrap", theirs)
    assert out.stdout == "their line"  # exactly theirs, nothing added
    assert out.returncode == 3  # their exit status, as if cc-guard were not there
    assert json.loads(seen.read_text()) == PAYLOAD
    assert json.loads(feed_path(isolated_env["state"]).read_text())["used_percentage"] == 42.4


def test_wrap_still_runs_theirs_on_garbage(isolated_env: dict[str, Path]) -> None:
    out = statusline("garbage", "--wrap", "cat")
    assert out.returncode == 0
    assert out.stdout == "garbage"


def test_line_shows_the_sessions_newest_checkpoint(tmp_path: Path) -> None:
    from cc_guard.checkpoints import take_checkpoint

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "a.txt").write_text("a\n")
    subprocess.run(["git", "add", "a.txt"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "first"], cwd=repo, check=True)
    payload = json.dumps({**PAYLOAD, "cwd": str(repo)})
    assert statusline(payload).stdout == "cc-guard | ctx 42% of 1M · 57% until auto-compact | upstream ok\n"

    (repo / "a.txt").write_text("b\n")
    first = take_checkpoint(repo, SESSION_ID, "PostToolUse", "Write", ["a.txt"])
    assert first is not None
    line = statusline(payload).stdout
    assert line == (
        f"cc-guard | ctx 42% of 1M · 57% until auto-compact | ckpt {first[:10]} just now | upstream ok\n"
    )

    (repo / "a.txt").write_text("c\n")
    second = take_checkpoint(repo, SESSION_ID, "Stop")
    assert second is not None and second != first
    assert f"ckpt {second[:10]} just now" in statusline(payload).stdout
    subprocess.run(["git", "pack-refs", "--all"], cwd=repo, check=True)  # no loose ref now
    assert not (repo / ".git" / "refs" / "cc-guard" / SESSION_ID).exists()
    assert f"ckpt {second[:10]} just now" in statusline(payload).stdout
    # Another session's checkpoints are not this session's.
    other = json.dumps({**PAYLOAD, "session_id": "another-session", "cwd": str(repo)})
    assert "ckpt" not in statusline(other).stdout


def test_statusline_help_documents_wrap() -> None:
    proc = subprocess.run(
        [CC_GUARD, "statusline", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "--wrap COMMAND" in proc.stdout
