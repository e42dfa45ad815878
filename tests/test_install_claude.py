"""Issue 5 acceptance with the real Claude Code CLI: settings install, plugin dir, statusline."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from cc_guard.checkpoints import list_checkpoints
from tests.support.testbed import ClaudeBed

pytestmark = [pytest.mark.claude, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[1]
#: What one `claude -p` session that runs Bash and Write must make cc-guard log.
EXPECTED_EVENTS = {
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "Stop",
    "SessionEnd",
}


def events(state: Path) -> list[dict[str, Any]]:
    path = state / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def script(project: Path) -> list[dict[str, Any]]:
    return [
        {"tool_use": [{"name": "Bash", "input": {"command": "echo from-bash > bash.txt"}}]},
        {
            "tool_use": [
                {
                    "name": "Write",
                    "input": {"file_path": str(project / "hello.txt"), "content": "hello\n"},
                }
            ]
        },
        {"text": "Done: wrote two files."},
    ]


def wait_for_events(
    state: Path, session_id: str, wanted: set[str], timeout: float = 20
) -> set[str]:
    # SessionEnd can land a moment after `claude -p` has printed its result.
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    while time.monotonic() < deadline:
        seen = {e["event"] for e in events(state) if e.get("session_id") == session_id}
        if wanted <= seen:
            break
        time.sleep(0.2)
    return seen


def assert_session_guarded(bed: ClaudeBed, run_session: str | None) -> None:
    assert run_session
    seen = wait_for_events(bed.state_dir, run_session, EXPECTED_EVENTS)
    assert seen >= EXPECTED_EVENTS, f"events seen: {sorted(seen)}"
    tools = {e.get("tool_name") for e in events(bed.state_dir) if e["event"] == "PostToolUse"}
    assert {"Bash", "Write"} <= tools
    checkpoints = list_checkpoints(bed.project, run_session)
    assert checkpoints, "no checkpoint for the session"
    files = {f for c in checkpoints for f in c.files}
    assert {"bash.txt", "hello.txt"} & files, [(c.event, c.tool, c.files) for c in checkpoints]
    errors = bed.state_dir / "hook-errors.log"
    assert not errors.exists() or "Traceback" not in errors.read_text()


def test_install_project_scope_then_a_real_session_is_guarded(claude_bed: ClaudeBed) -> None:
    claude_bed.cc_guard("install", "--scope", "project", "--no-statusline")
    settings = json.loads((claude_bed.project / ".claude" / "settings.json").read_text())
    assert set(settings["hooks"]) >= EXPECTED_EVENTS
    claude_bed.serve(script(claude_bed.project))
    run = claude_bed.run("write the files")
    assert run.returncode == 0, run.stderr
    assert (claude_bed.project / "hello.txt").read_text() == "hello\n"
    assert_session_guarded(claude_bed, run.session_id)

    claude_bed.cc_guard("uninstall", "--scope", "project")
    assert not (claude_bed.project / ".claude").exists()


def test_plugin_dir_guards_a_session_without_settings(claude_bed: ClaudeBed) -> None:
    user_settings = claude_bed.claude_dir / "settings.json"
    claude_bed.serve(script(claude_bed.project))
    run = claude_bed.run("write the files", args=["--plugin-dir", str(REPO_ROOT)])
    assert run.returncode == 0, run.stderr
    assert_session_guarded(claude_bed, run.session_id)
    assert not (claude_bed.project / ".claude").exists()
    # Claude Code writes its own keys there; cc-guard wrote nothing anywhere.
    assert not user_settings.exists() or "cc-guard" not in user_settings.read_text()


def feed_files(state: Path) -> list[Path]:
    directory = state / "statusline"
    return sorted(directory.glob("*.json")) if directory.exists() else []


@pytest.mark.tmux
def test_statusline_shows_in_tmux_and_stores_the_window(claude_bed: ClaudeBed) -> None:
    claude_bed.cc_guard("install", "--scope", "project")
    claude_bed.serve([{"text": "Hello from the chaos upstream!"}])
    pane = claude_bed.tmux()
    pane.wait_for(r"(?i)(try|>|\u276f)", timeout=60)
    pane.type("say hello")
    pane.wait_for(r"Hello from the chaos upstream!", timeout=90)
    screen = pane.wait_for(r"cc-guard \| ctx", timeout=60)
    assert "upstream" in screen
    feeds = feed_files(claude_bed.state_dir)
    assert len(feeds) == 1
    feed = json.loads(feeds[0].read_text())
    assert feed["session_id"] == claude_bed.sessions()[0].stem
    assert isinstance(feed["context_window_size"], int) and feed["context_window_size"] > 0
    window = feed["context_window_size"]
    shown = f"of {window // 1000}k" if window < 1_000_000 else f"of {window / 1_000_000:g}M"
    assert shown in screen


@pytest.mark.tmux
def test_wrapped_statusline_keeps_the_users_line_and_records_what_was_sent(
    claude_bed: ClaudeBed,
) -> None:
    sent = claude_bed.tmp / "sent.json"
    settings = claude_bed.project / ".claude" / "settings.json"
    settings.parent.mkdir()
    original = {
        "statusLine": {"type": "command", "command": f"tee '{sent}' >/dev/null; echo MY-OWN-LINE"}
    }
    settings.write_text(json.dumps(original, indent=2) + "\n")
    before = settings.read_bytes()
    claude_bed.cc_guard("install", "--scope", "project")
    claude_bed.serve([{"text": "Hello from the chaos upstream!"}])
    pane = claude_bed.tmux()
    pane.wait_for(r"(?i)(try|>|\u276f)", timeout=60)
    pane.type("say hello")
    pane.wait_for(r"Hello from the chaos upstream!", timeout=90)
    pane.wait_for(r"MY-OWN-LINE", timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (sent.exists() and feed_files(claude_bed.state_dir)):
        time.sleep(0.2)
    # Claude Code may call the statusline again between the two reads: compare the last
    # payload it sent with the feed written from the same call.
    time.sleep(1.0)
    payload = json.loads(sent.read_text())
    feed = json.loads(feed_files(claude_bed.state_dir)[0].read_text())
    assert feed["session_id"] == payload["session_id"]
    assert feed["context_window_size"] == payload["context_window"]["context_window_size"]
    assert feed["model_id"] == payload["model"]["id"]
    pane.close()

    claude_bed.cc_guard("uninstall", "--scope", "project")
    assert settings.read_bytes() == before
