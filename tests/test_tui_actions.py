"""Every dashboard action, for real: diffs, restore and undo, snapshot, resume, editor, copy."""

from __future__ import annotations

import json
import shlex
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TextArea

from cc_guard.checkpoints.history import list_checkpoints
from cc_guard.tui.dialogs.confirm import ConfirmDialog
from cc_guard.tui.dialogs.resume import ResumeDialog
from cc_guard.tui.dialogs.text import TextDialog
from cc_guard.tui.messages import (
    ActionDone,
    AlertRaised,
    CheckpointsLoaded,
    DiffLoaded,
    RestorePlanned,
    SessionsChanged,
)
from cc_guard.tui.screens.session import SessionScreen
from cc_guard.tui.widgets.banner import OutageBanner
from cc_guard.tui.widgets.sessions_table import SessionsTable
from tests.support.transcripts import api_error
from tests.support.tui import SIZE, Recorder, anyio_backend, mounted, settle, still_world, until

pytestmark = pytest.mark.anyio
__all__ = ["anyio_backend"]


async def _open(pilot: object, app: object, session_id: str) -> SessionScreen:
    await settle(pilot, app)  # type: ignore[arg-type]
    app.open_session(session_id)  # type: ignore[attr-defined]
    await settle(pilot, app)  # type: ignore[arg-type]
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, SessionScreen)
    return screen


async def test_a_checkpoint_shows_its_diff_against_the_work_tree_and_against_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch, checkpoints=True)
    recorder = Recorder()
    app = world.app()
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        screen = await _open(pilot, app, world.session_id("webapp"))
        loaded = recorder.of(CheckpointsLoaded)[-1]
        assert [cp.event for cp in loaded.checkpoints] == ["PostToolUse", "UserPromptSubmit"]
        newest, first = loaded.checkpoints
        # The newest checkpoint is the work tree: no difference.
        assert recorder.of(DiffLoaded)[-1].text == "(no difference)"
        await pilot.press("down")  # the first checkpoint, before the edits
        await settle(pilot, app)
        diff = recorder.of(DiffLoaded)[-1]
        assert diff.title == f"{first.short} → the work tree"
        assert "+++ b/notes.md" in diff.text and "+    return a + b  # sum" in diff.text
        await pilot.press("m", "up")  # mark the first, highlight the newest: diff the two
        await settle(pilot, app)
        between = recorder.of(DiffLoaded)[-1]
        assert between.title == f"{first.short} → checkpoint {newest.short}"
        assert "+++ b/notes.md" in between.text
        assert screen.marked is not None and screen.marked.sha == first.sha


async def test_restore_asks_first_then_writes_and_undo_puts_the_files_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch, checkpoints=True)
    project = world.project("webapp")
    recorder = Recorder()
    app = world.app()
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        screen = await _open(pilot, app, world.session_id("webapp"))
        await pilot.press("down", "R")  # restore the checkpoint from before the edits
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        plan = recorder.of(RestorePlanned)[-1].plan
        assert plan.written == ["app.py"] and plan.deleted == ["notes.md"]
        assert (project / "notes.md").exists(), "nothing is written before the user confirms"
        await pilot.press("y")
        await settle(pilot, app)
        assert not (project / "notes.md").exists()
        assert (project / "app.py").read_text() == "def add(a, b):\n    return a + b\n"
        assert "Press u to undo" in recorder.of(ActionDone)[-1].text
        assert screen.undo_available
        await pilot.press("u")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot, app)
        assert (project / "notes.md").read_text() == "# Notes\n\n- add tests\n"
        assert "# sum" in (project / "app.py").read_text()
        assert recorder.of(ActionDone)[-1].text.startswith("Undone")


async def test_declining_a_restore_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch, checkpoints=True)
    project = world.project("webapp")
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, world.session_id("webapp"))
        await pilot.press("down", "R")
        await settle(pilot, app)
        await pilot.press("n")
        await settle(pilot, app)
        assert (project / "notes.md").exists() and "# sum" in (project / "app.py").read_text()


async def test_snapshot_takes_a_checkpoint_and_writes_the_handoff_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch, checkpoints=True)
    sid = world.session_id("webapp")
    (world.project("webapp") / "later.txt").write_text("made after the session\n")
    recorder = Recorder()
    app = world.app()
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await _open(pilot, app, sid)
        await pilot.press("s")
        await settle(pilot, app)
        done = [m for m in recorder.of(ActionDone) if m.text.startswith("Snapshot")]
        assert done and not done[-1].error
    chain = list_checkpoints(world.project("webapp"), sid)
    assert chain[0].event == "Snapshot" and "later.txt" in chain[0].files
    handoff = world.world.state_dir / "handoff" / f"{sid}.md"
    assert handoff.exists() and stat.S_IMODE(handoff.stat().st_mode) == 0o600
    assert chain[0].sha[:10] in done[-1].text


async def test_resume_shows_the_prompt_first_and_print_runs_resume_print_for_real(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no claude here
    sid = world.session_id("cli-tool")
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, sid)
        await pilot.press("r")
        await mounted(pilot, app, ResumeDialog, "#shown")
        dialog = app.screen
        assert isinstance(dialog, ResumeDialog)
        assert dialog.preview.auto_mode == "continue"
        shown = dialog.query_one("#shown", TextArea).text
        assert "interrupted" in shown and "overloaded" in shown
        assert not dialog.can_run and "claude" in dialog.why_not
        await pilot.click("#fresh")
        await until(pilot, lambda: dialog.mode == "fresh")
        assert "Next step" in dialog.query_one("#shown", TextArea).text or dialog.query_one(
            "#shown", TextArea
        ).text.startswith("#")
        await pilot.click("#continue")
        await pilot.press("p")
        printed = (await mounted(pilot, app, TextDialog, "#report", timeout=60)).text
    assert f"--resume {sid}" in printed
    assert f"cd {shlex.quote(str(world.project('cli-tool')))}" in printed


async def test_y_copies_a_resume_command_that_works_in_this_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one(SessionsTable)
        sid = table.listed[0].session_id
        await pilot.press("y")
        await pilot.pause()
        copied = app.clipboard
    assert copied.endswith(f"resume {sid} --mode auto")


async def test_o_opens_the_project_in_the_editor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    opened = tmp_path / "opened.txt"
    editor = tmp_path / "fake-editor"
    editor.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {shlex.quote(str(opened))}\n")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", f"{editor} --wait")
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, world.session_id("docs-site"))
        await pilot.press("o")
        await until(pilot, opened.exists)
    assert opened.read_text().split() == ["--wait", str(world.project("docs-site"))]


async def test_c_compacts_through_the_compaction_action_and_reports_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stopped demo session with no tmux pane and no claude executable: the dashboard
    runs the real compaction action, which says why it did not compact and logs it."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no claude here
    world = still_world(tmp_path / "w", monkeypatch)
    recorder = Recorder()
    app = world.app()
    sid = world.session_id("api-server")
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await _open(pilot, app, sid)
        await pilot.press("c")
        await settle(pilot, app)
        done = recorder.of(ActionDone)[-1]
    # The session is stopped and no pane holds it: headless, which needs claude.
    assert done.text == (
        "not compacted: no claude executable (install Claude Code, or set CC_GUARD_CLAUDE)"
    )
    decisions = world.world.state_dir / "compaction" / "decisions.jsonl"
    logged = [json.loads(line) for line in decisions.read_text().splitlines()]
    assert [(d["session_id"], d["action"], d["via"]) for d in logged] == [
        (sid, "compact", "headless")
    ]


async def test_a_line_appended_to_a_transcript_shows_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch, now=time.time())
    recorder = Recorder()
    app = world.app(watch=True, debounce=0.05)
    app.clock = time.time
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await settle(pilot, app)
        path = world.transcript("docs-site")
        record = json.loads(path.read_text().splitlines()[2])
        record.update(
            uuid="appended-1",
            timestamp="2099-01-01T00:00:00.000Z",
            message={"role": "user", "content": "A brand new prompt typed just now"},
        )
        with open(path, "a") as fh:
            fh.write(json.dumps(record) + "\n")

        def shown() -> bool:
            table = app.screen.query_one(SessionsTable)
            return bool(table.listed) and table.listed[0].session_id == world.session_id(
                "docs-site"
            )

        await until(pilot, shown)
        assert recorder.of(SessionsChanged)
        table = app.screen.query_one(SessionsTable)
        assert table.listed[0].turns == 2
        assert str(table.get_row_at(0)[4]) == "running"


async def test_a_new_529_incident_raises_the_banner_and_a_toast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch, now=time.time(), checkpoints=True)
    recorder = Recorder()
    app = world.app(watch=True, debounce=0.05)
    app.clock = time.time
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await settle(pilot, app)
        banner = app.screen.query_one(OutageBanner)
        assert not banner.has_class("-active"), "old incidents are history, not news"
        with open(world.transcript("webapp"), "a") as fh:
            record = api_error(ts="2099-01-01T00:00:00.000Z", status=529, attempt=1)
            record.update(cwd=str(world.project("webapp")), sessionId=world.session_id("webapp"))
            fh.write(json.dumps(record) + "\n")
        await until(pilot, lambda: banner.has_class("-active"))
        alert = recorder.of(AlertRaised)[-1].alert
        assert alert.session_id == world.session_id("webapp")
        assert (alert.kind, alert.status) == ("overloaded", 529)
        assert alert.checkpoint is not None
        text = str(banner.render())
        assert "overloaded (529) in webapp" in text and "[a] resume" in text
        assert any("overloaded" in n.message for n in app._notifications)
        await pilot.press("x")
        assert not banner.has_class("-active")


async def test_the_palette_offers_every_action_that_applies_and_runs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cc_guard.tui.commands import ACTIONS

    world = still_world(tmp_path / "w", monkeypatch, checkpoints=True)
    recorder = Recorder()
    app = world.app()
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await _open(pilot, app, world.session_id("webapp"))
        offered = {action for action, _, _ in ACTIONS if app.action_available(action)}
        assert {"snapshot", "resume", "copy_resume", "open_editor", "restore", "compact"} <= offered
        assert "undo" not in offered and "resume_alert" not in offered
        await pilot.press("down")
        app.run_named_action("restore")  # what choosing the palette entry does
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        assert recorder.of(RestorePlanned)[-1].plan.deleted == ["notes.md"]


async def test_the_banner_carries_the_doctors_verdict_and_d_shows_its_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chaos: Any
) -> None:
    """The real doctor against `cc-guard chaos serve` answering 529 to everything."""
    server = chaos([{"fault": {"status": 529}, "repeat": 1000}])
    world = still_world(tmp_path / "w", monkeypatch, now=time.time(), checkpoints=True)
    world.world.config.write_text('[doctor]\nstatus_url = ""\n')  # no status page here
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-dashboard-test-0000000000000000")
    app = world.app(watch=True, debounce=0.05)
    app.clock = time.time
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        with open(world.transcript("webapp"), "a") as fh:
            record = api_error(ts="2099-01-01T00:00:00.000Z", status=529, attempt=1)
            record.update(cwd=str(world.project("webapp")), sessionId=world.session_id("webapp"))
            fh.write(json.dumps(record) + "\n")
        banner = app.screen.query_one(OutageBanner)
        await until(pilot, lambda: "Doctor: upstream-overloaded" in str(banner.render()), 30)
        requests = [r for r in server.requests() if r.get("path", "").startswith("/v1/")]
        assert requests and all(r["path"] != "/v1/messages" for r in requests), (
            "the background doctor uses the free probe, never a paid message"
        )
        await pilot.press("d")
        report = (await mounted(pilot, app, TextDialog, "#report", timeout=30)).text
        assert report.startswith("upstream-overloaded: ")
        assert "Evidence:" in report and "What to do:" in report
