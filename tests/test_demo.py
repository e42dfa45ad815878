"""The demo: its recorded transcripts, the steps cut from them, and a replay with real hooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_guard.checkpoints.history import list_checkpoints
from cc_guard.demo import world as demo_world
from cc_guard.demo.scenarios import CLIMB, scenarios
from cc_guard.transcripts.engine import Engine

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
BUNDLED = Path(demo_world.__file__).parent / "transcripts"


def test_the_bundled_transcripts_are_the_recorded_fixtures() -> None:
    bundled = sorted(BUNDLED.glob("*.jsonl"))
    assert [p.name for p in bundled] == sorted(s.fixture for s in scenarios())
    for path in bundled:
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), path.name


def test_each_scenario_fires_the_hooks_claude_code_would() -> None:
    hooks = {
        s.name: [h for step in s.steps for h in (step.before_hook, step.hook) if h]
        for s in scenarios()
    }
    assert hooks["webapp"].count("PostToolUse") == 3 and hooks["webapp"][-1] == "Stop"
    assert hooks["cli-tool"][-1] == "StopFailure"
    assert hooks["docs-site"][-1] == "StopFailure"
    assert hooks["api-server"][-2:] == ["PreCompact", "PostCompact"]
    assert all(h[0] == "SessionStart" for h in hooks.values())
    edits = [step.edit for s in scenarios() if s.name == "webapp" for step in s.steps if step.edit]
    assert [Path(e["file_path"]).name for e in edits] == ["notes.md", "app.py"]


def test_a_still_world_ends_every_session_in_its_scripted_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = demo_world.create(tmp_path / "w")
    for key, value in world.env().items():
        monkeypatch.setenv(key, value)
    now = 1_796_126_400.0
    demo_world.write_still(world, now)
    engine = Engine(world.claude_dir, world.state_dir, clock=lambda: now)
    states = {Path(s.project_dir or "").name: s.state.value for s in engine.refresh(brief=True)}
    assert states == {s.name: s.expected_state for s in scenarios()}
    api = next(s for s in scenarios() if s.name == "api-server")
    full = engine.find(api.session_id)
    assert [p.tokens for p in full.fill_history] == list(CLIMB)
    assert full.compactions[0].pre_tokens == CLIMB[-1] + 7_000
    assert (world.project("webapp") / "notes.md").read_text() == "# Notes\n\n- add tests\n"


@pytest.mark.slow
def test_a_live_replay_takes_real_checkpoints_through_the_hook_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = demo_world.create(tmp_path / "w")
    for key, value in world.env().items():
        monkeypatch.setenv(key, value)
    replay = demo_world.Replay(world, speed=50)
    replay.start()
    assert replay.finished.wait(120)
    webapp = next(s for s in scenarios() if s.name == "webapp")
    chain = list_checkpoints(world.project("webapp"), webapp.session_id)
    assert {"notes.md", "app.py"} <= {f for cp in chain for f in cp.files}
    assert {cp.event for cp in chain} >= {"UserPromptSubmit", "PostToolUse"}
    cli = next(s for s in scenarios() if s.name == "cli-tool")
    assert (world.state_dir / "handoff" / f"{cli.session_id}.md").exists()
    events = (world.state_dir / "events.jsonl").read_text()
    assert '"StopFailure"' in events and '"PostToolUse"' in events
