"""The dashboard's screens driven with Textual's pilot over the demo world (fixed clock)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Markdown, Static

from cc_guard.transcripts.model import SessionState
from cc_guard.tui.messages import FilterChanged, OpenSession, SessionDetail, SessionsLoaded
from cc_guard.tui.screens.help import HelpScreen
from cc_guard.tui.screens.session import SessionScreen
from cc_guard.tui.screens.sessions import SessionsScreen
from cc_guard.tui.widgets.fill_chart import FillChart
from cc_guard.tui.widgets.sessions_table import SessionsTable
from tests.support.tui import SIZE, Recorder, anyio_backend, settle, still_world, until

pytestmark = pytest.mark.anyio
__all__ = ["anyio_backend"]


def _table(app: object) -> SessionsTable:
    return app.screen.query_one(SessionsTable)  # type: ignore[attr-defined, no-any-return]


async def test_the_sessions_screen_lists_every_session_newest_first_with_its_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    recorder = Recorder()
    app = world.app()
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await settle(pilot, app)
        table = _table(app)
        names = [s.project_dir.rsplit("/", 1)[-1] for s in table.listed if s.project_dir]
        # Ages at the fixed clock: webapp 90 s, cli-tool 2 min, api-server 5 min, docs-site 15 min.
        assert names == ["webapp", "cli-tool", "api-server", "docs-site"]
        states = {s.project_dir.rsplit("/", 1)[-1]: s.state for s in table.listed if s.project_dir}
        assert states == {
            "webapp": SessionState.IDLE,
            "cli-tool": SessionState.INTERRUPTED,
            "api-server": SessionState.COMPACTED,
            "docs-site": SessionState.INTERRUPTED,
        }
        first_row = [str(cell) for cell in table.get_row_at(0)]
        assert first_row[0] == "webapp"
        assert first_row[1].startswith("Write notes.md with a todo list")
        assert "1m ago" in first_row
        done = recorder.of(SessionsLoaded)
        assert done and done[-1].done and len(done[-1].sessions) == 4
        summary = str(app.screen.query_one("#summary", Static).render())
        assert "4 sessions" in summary and "2 interrupted" in summary


async def test_the_filter_keeps_only_matching_sessions_and_escape_clears_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    recorder = Recorder()
    app = world.app()
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        assert app.screen.query_one("#filter", Input).has_focus
        await pilot.press(*"state:interrupted")
        table = _table(app)
        await until(pilot, lambda: {s.state for s in table.listed} == {SessionState.INTERRUPTED})
        assert table.row_count == 2
        assert recorder.of(FilterChanged)[-1].text == "state:interrupted"
        await pilot.press("enter")  # back to the table, the filter stays
        assert table.has_focus and table.row_count == 2
        await pilot.press("slash", "escape")
        await until(pilot, lambda: table.row_count == 4)
        await pilot.press("slash", *"tool", "enter")  # free text: project and title
        await until(
            pilot, lambda: [s.project_dir.rsplit("/", 1)[-1] for s in table.listed] == ["cli-tool"]
        )


async def test_sort_cycles_through_context_state_project_and_incidents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        table = _table(app)
        await pilot.press("S")  # by context, fullest first
        fills = [s.context_percent or -1 for s in table.listed]
        assert fills == sorted(fills, reverse=True)
        await pilot.press("S", "S")  # state, then project
        assert [s.project_dir.rsplit("/", 1)[-1] for s in table.listed] == [
            "api-server",
            "cli-tool",
            "docs-site",
            "webapp",
        ]
        await pilot.press("S")  # incidents, most first
        assert table.listed[0].incident_count == max(s.incident_count for s in table.listed)


async def test_enter_opens_the_session_screen_with_its_fill_history_and_compaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    recorder = Recorder()
    app = world.app()
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"api-server", "enter", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, SessionScreen)
        assert recorder.of(OpenSession)[-1].session_id == world.session_id("api-server")
        detail = recorder.of(SessionDetail)[-1].session
        chart = app.screen.query_one(FillChart)
        assert [p.tokens for p in chart.data.points] == [p.tokens for p in detail.fill_history]
        assert [p.tokens for p in chart.data.points][-1] == 945_000
        assert len(chart.data.compactions) == 1
        assert chart.data.auto_compact == 967_000  # a 1M window: 1M - 20k - 13k
        rendered = str(chart.render())
        assert "auto-compact at 967k" in rendered and "▼" in rendered
        head = str(app.screen.query_one("#session-head", Static).render())
        assert "compacted" in head and "Read app.py and tell me what it does" in head
        await pilot.press("escape")
        assert isinstance(app.screen, SessionsScreen)


async def test_the_incidents_tab_shows_each_retry_and_the_final_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_session(world.session_id("cli-tool"))
        await settle(pilot, app)
        await pilot.press("2")
        table = app.screen.query_one("#incidents", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        kinds = [row[1] for row in rows]
        assert kinds == ["overloaded", "overloaded"]
        assert [row[2] for row in rows] == ["529", "529"]
        assert {row[4] for row in rows} == {"final"}
        assert sorted(row[3] for row in rows) == ["1/2", "2/2"]


async def test_the_work_and_handoff_tabs_show_todos_files_and_the_handoff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_session(world.session_id("webapp"))
        await settle(pilot, app)
        await pilot.press("4")
        files = app.screen.query_one("#files", DataTable)
        touched = {str(files.get_row_at(i)[0]) for i in range(files.row_count)}
        assert {
            str(world.project("webapp") / "notes.md"),
            str(world.project("webapp") / "app.py"),
        } <= touched
        await pilot.press("3")
        markdown = app.screen.query_one("#handoff", Markdown)
        assert "notes.md" in markdown.source
        assert world.session_id("webapp") in markdown.source


async def test_help_lists_the_keys_of_the_screen_underneath(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        described = {description for _, description, _ in app.screen.rows}
        for description in ("Filter", "Sort", "Snapshot", "Resume", "Copy resume", "Quit", "Keys"):
            assert description in described
        await pilot.press("escape")
        assert isinstance(app.screen, SessionsScreen)
        await pilot.press("q")
    assert app.return_code == 0


async def test_an_empty_machine_offers_the_demo_and_says_how_to_install_the_hooks(
    tmp_path: Path,
) -> None:
    from cc_guard.tui.app import make_app

    claude, state = tmp_path / "claude", tmp_path / "state"
    app = make_app(claude_dir=claude, state_dir=state, clock=lambda: 0.0, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        empty = app.screen.query_one("#empty")
        assert empty.display and not app.screen.query_one(SessionsTable).display
        text = str(app.screen.query_one("#empty-text", Static).render())
        assert "cc-guard install" in text and "No Claude Code sessions yet" in text
        assert app.screen.query_one("#open-demo").display


async def test_follow_opens_the_session_screen_once_the_session_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    app = world.app(follow=world.session_id("docs-site")[:8])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await until(pilot, lambda: isinstance(app.screen, SessionScreen))
        assert isinstance(app.screen, SessionScreen)
        assert app.screen.session.session_id == world.session_id("docs-site")


async def test_a_cold_start_builds_the_index_in_a_child_and_shows_every_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = still_world(tmp_path / "w", monkeypatch)
    monkeypatch.setenv("CC_GUARD_COLD_BATCHES", "1,2")  # four sessions: batches of 1, 2, 1
    assert not (world.world.state_dir / "index" / "transcripts.sqlite").exists()
    recorder = Recorder()
    app = world.app(cold_child=True)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await until(pilot, lambda: app.loaded, timeout=60)
        await settle(pilot, app)
        loads = recorder.of(SessionsLoaded)
        partial = [m for m in loads if not m.done]
        assert partial, "the child reported no batch"
        assert [m.read for m in partial] == [1, 3] and partial[0].total == 4
        assert len(partial[0].sessions) == 1 and len(partial[-1].sessions) == 3
        assert len(loads[-1].sessions) == 4 and loads[-1].done
        assert _table(app).row_count == 4
    assert (world.world.state_dir / "index" / "transcripts.sqlite").exists()
