"""The dashboard in a real terminal: real tmux panes, capture-pane, the real Claude Code CLI."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from cc_guard.state.panes import read_panes
from tests.support.testbed import VENV_BIN, ClaudeBed, TmuxPane, start_tmux
from tests.support.tui import scenario, still_world

pytestmark = pytest.mark.tmux


def _env(world_env: dict[str, str], home: Path, path: str | None = None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "CLAUDE_", "CC_GUARD_"))
    }
    env.update(world_env)
    env["HOME"] = str(home)
    env["PATH"] = path if path is not None else f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"
    env["TERM"] = "xterm-256color"
    return env


@pytest.fixture
def panes() -> list[TmuxPane]:
    started: list[TmuxPane] = []
    yield started
    for pane in started:
        pane.close()


def _dashboard(tmp_path: Path, env: dict[str, str], panes: list[TmuxPane], *args: str) -> TmuxPane:
    pane = start_tmux(
        tmp_path / f"tmux-{len(panes)}.sock",
        [str(VENV_BIN / "cc-guard"), *args],
        tmp_path,
        env,
        width=150,
        height=40,
    )
    panes.append(pane)
    return pane


def _appear_within(pane: TmuxPane, text: str, seconds: float) -> float:
    """Seconds until ``text`` is on the pane's screen (AssertionError after ``seconds``)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if text in pane.capture():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not on screen within {seconds}s:\n{pane.capture()}")


def test_a_line_appended_to_a_transcript_is_on_screen_within_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, panes: list[TmuxPane]
) -> None:
    world = still_world(tmp_path / "w", monkeypatch, now=time.time() - 30)
    pane = _dashboard(tmp_path, _env(world.world.env(), world.world.home), panes)
    pane.wait_for(r"4 sessions", timeout=60)
    pane.wait_for(r"docs-site", timeout=10)
    path = world.transcript("docs-site")
    record = json.loads(path.read_text().splitlines()[2])
    record.update(
        uuid="appended-1",
        timestamp="2099-01-01T00:00:00.000Z",
        message={"role": "user", "content": "Appended prompt zebra-lantern"},
    )
    time.sleep(0.5)  # the watcher is up once the first list is shown; give inotify a beat
    with open(path, "a") as fh:
        fh.write(json.dumps(record) + "\n")
    # The docs-site row moves to the top and turns running; its turn count is in the
    # session screen, so look for the state change on the list itself.
    _appear_within(pane, "1 running", 1.0)


def test_a_529_appended_to_a_transcript_raises_the_outage_banner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, panes: list[TmuxPane]
) -> None:
    world = still_world(tmp_path / "w", monkeypatch, now=time.time() - 30)
    pane = _dashboard(tmp_path, _env(world.world.env(), world.world.home), panes)
    pane.wait_for(r"4 sessions", timeout=60)
    time.sleep(0.5)
    recorded = next(
        json.loads(line)
        for line in world.transcript("cli-tool").read_text().splitlines()
        if '"api_error"' in line
    )
    recorded.update(
        uuid="appended-529",
        timestamp="2099-01-01T00:00:00.000Z",
        cwd=str(world.project("webapp")),
        sessionId=world.session_id("webapp"),
    )
    with open(world.transcript("webapp"), "a") as fh:
        fh.write(json.dumps(recorded) + "\n")
    screen = pane.wait_for(r"overloaded \(529\) in webapp", timeout=10)
    assert "[a] resume" in " ".join(screen.split())  # the banner may wrap


@pytest.mark.slow
def test_demo_runs_without_claude_and_its_sessions_reach_their_scripted_states(
    tmp_path: Path, panes: list[TmuxPane]
) -> None:
    """No ``claude`` on PATH, no network: the demo builds, replays and shows its world."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git", "tmux", "sh", "env", "printf"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    assert shutil.which("claude", path=str(bin_dir)) is None
    root = tmp_path / "demo-world"
    env = _env({}, tmp_path / "home", path=str(bin_dir))
    pane = _dashboard(tmp_path, env, panes, "demo", "--speed", "4", "--root", str(root))
    pane.wait_for(r"DEMO", timeout=60)
    pane.wait_for(r"overloaded \(529\) in cli-tool", timeout=60)
    screen = pane.wait_for(r"1 compacted", timeout=60)
    pane.wait_for(r"2 interrupted", timeout=30)
    assert "4 sessions" in screen
    # Real checkpoints, taken by the real hook code, in the webapp project.
    webapp = root / "home" / "code" / "webapp"
    refs = os.popen(f"git -C {webapp} for-each-ref refs/cc-guard/").read()
    assert scenario("webapp").session_id in refs
    # Handoffs written by the StopFailure hook of the failed sessions.
    handoffs = {p.stem for p in (root / "state" / "handoff").glob("*.md")}
    assert scenario("cli-tool").session_id in handoffs
    pane.type("q", enter=False)
    time.sleep(1)


@pytest.mark.claude
@pytest.mark.slow
def test_launch_inside_tmux_puts_claude_code_and_the_dashboard_side_by_side(
    claude_bed: ClaudeBed, tmp_path: Path
) -> None:
    claude_bed.serve([{"text": "Hello from the chaos upstream."}])
    env = claude_bed.env()
    env["CC_GUARD_CLAUDE"] = str(claude_bed.binary)
    shell = claude_bed.tmux(["bash", "--norc", "--noprofile"])
    shell.tmux("set-environment", "-g", "CC_GUARD_CLAUDE", str(claude_bed.binary))
    shell.type(
        f"export CC_GUARD_CLAUDE={claude_bed.binary} && {VENV_BIN / 'cc-guard'} launch --layout right"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = shell.tmux(
            "list-panes", "-t", shell.target, "-F", "#{pane_id} #{pane_current_command}"
        )
        if len(listed.split("\n")) >= 3:
            break
        time.sleep(0.5)
    ids = [line.split()[0] for line in listed.strip().splitlines()]
    assert len(ids) == 2, listed
    claude_pane, board_pane = ids
    records = read_panes(claude_bed.state_dir)
    assert records and records[-1].pane_id == claude_pane
    assert records[-1].dashboard_pane == board_pane
    session_id = records[-1].session_id
    assert session_id
    # Claude Code is at its prompt in the first pane: type a prompt, get the answer.
    claude = TmuxPane(shell.socket, claude_pane, shell.env)
    claude.wait_for("\u276f", timeout=60)  # the prompt box
    claude.type("say hello")
    claude.wait_for("Hello from the chaos upstream", timeout=60)
    # The dashboard in the second pane follows exactly that session.
    board = TmuxPane(shell.socket, board_pane, shell.env)
    board.wait_for(session_id, timeout=30)
    screen = board.wait_for("say hello", timeout=30)
    assert session_id in screen
