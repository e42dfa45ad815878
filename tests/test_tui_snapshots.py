"""SVG snapshots of the dashboard's main layouts (pytest-textual-snapshot).

The demo world at a fixed clock, in UTC, at a fixed terminal size, so the
pictures are stable; ``pytest --snapshot-update`` rewrites them after a change
that is meant (look at the report it writes before accepting).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from cc_guard.tui.app import CCGuardApp, make_app
from tests.support.tui import DemoWorld, settle, still_world

SIZE = (140, 40)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoWorld]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield still_world(tmp_path / "w", monkeypatch)
    monkeypatch.undo()
    time.tzset()


def _app(world: DemoWorld, **kwargs: Any) -> CCGuardApp:
    return world.app(demo_root="/tmp/cc-guard-demo", **kwargs)


async def _loaded(pilot: Pilot[Any]) -> None:
    await settle(pilot, pilot.app)  # type: ignore[arg-type]


def test_snapshot_sessions_screen(snap_compare: Any, world: DemoWorld) -> None:
    assert snap_compare(_app(world), terminal_size=SIZE, run_before=_loaded)


def test_snapshot_sessions_screen_light_theme(snap_compare: Any, world: DemoWorld) -> None:
    async def light(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        await pilot.press("T")
        await pilot.pause()

    assert snap_compare(_app(world), terminal_size=SIZE, run_before=light)


def test_snapshot_session_screen_fill_chart_and_compaction(
    snap_compare: Any, world: DemoWorld
) -> None:
    async def open_it(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        pilot.app.open_session(world.session_id("api-server"))  # type: ignore[attr-defined]
        await _loaded(pilot)

    assert snap_compare(_app(world), terminal_size=SIZE, run_before=open_it)


def test_snapshot_session_screen_incidents(snap_compare: Any, world: DemoWorld) -> None:
    async def incidents(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        pilot.app.open_session(world.session_id("cli-tool"))  # type: ignore[attr-defined]
        await _loaded(pilot)
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(_app(world), terminal_size=SIZE, run_before=incidents)


def test_snapshot_resume_dialog(snap_compare: Any, world: DemoWorld) -> None:
    async def resume(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        pilot.app.open_session(world.session_id("cli-tool"))  # type: ignore[attr-defined]
        await _loaded(pilot)
        await pilot.press("r")
        await _loaded(pilot)

    assert snap_compare(_app(world), terminal_size=SIZE, run_before=resume)


def test_snapshot_help(snap_compare: Any, world: DemoWorld) -> None:
    async def keys(pilot: Pilot[Any]) -> None:
        await _loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(_app(world), terminal_size=SIZE, run_before=keys)


def test_snapshot_empty_machine(snap_compare: Any, tmp_path: Path) -> None:
    app = make_app(
        claude_dir=Path("/nonexistent/.claude"),
        state_dir=tmp_path / "state",
        clock=lambda: 0.0,
        watch=False,
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=_loaded)
