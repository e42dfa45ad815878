"""Helpers for the dashboard's tests: the demo world at a fixed clock, pilots, messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.pilot import Pilot

from cc_guard.checkpoints import take_checkpoint
from cc_guard.demo import world as demo_world
from cc_guard.demo.scenarios import Scenario, scenarios
from cc_guard.tui.app import CCGuardApp, make_app

#: The snapshot tests' "now": 2026-12-01 12:00:00 UTC.
FIXED_NOW = 1_796_126_400.0
SIZE = (140, 40)


def scenario(name: str) -> Scenario:
    return next(s for s in scenarios() if s.name == name)


@dataclass
class DemoWorld:
    world: demo_world.World
    now: float

    def session_id(self, name: str) -> str:
        return scenario(name).session_id

    def project(self, name: str) -> Path:
        return self.world.project(name)

    def transcript(self, name: str) -> Path:
        return self.world.transcript(scenario(name))

    def app(self, **kwargs: Any) -> CCGuardApp:
        kwargs.setdefault("watch", False)
        return make_app(
            claude_dir=self.world.claude_dir,
            state_dir=self.world.state_dir,
            clock=lambda: self.now,
            **kwargs,
        )


def still_world(
    root: Path, monkeypatch: Any, now: float = FIXED_NOW, checkpoints: bool = False
) -> DemoWorld:
    """The demo's sessions written complete, times ending at ``now``; the env points at it.

    With ``checkpoints``, the webapp project gets two real checkpoints: before and
    after its recorded edits (notes.md written, app.py edited).
    """
    world = demo_world.create(root)
    for key, value in world.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(world.home))
    webapp = scenario("webapp")
    if checkpoints:
        take_checkpoint(world.project("webapp"), webapp.session_id, "UserPromptSubmit")
    demo_world.write_still(world, now)
    if checkpoints:
        take_checkpoint(
            world.project("webapp"), webapp.session_id, "PostToolUse", "Edit", ["app.py"]
        )
    return DemoWorld(world, now)


async def settle(pilot: Pilot[Any], app: CCGuardApp, rounds: int = 3) -> None:
    """Let workers finish and the messages they posted be handled."""
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()


async def until(pilot: Pilot[Any], check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (letting the app run) until ``check()`` holds; AssertionError on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "the app never reached the expected state"
        await pilot.pause(0.05)


async def mounted(
    pilot: Pilot[Any], app: CCGuardApp, screen_type: type[Any], selector: str, timeout: float = 10.0
) -> Any:
    """Wait until ``app.screen`` is a ``screen_type`` whose ``selector`` is mounted; return it.

    A pushed screen becomes ``app.screen`` before its children are composed, so waiting
    for the type alone and then querying races the mount.
    """

    def ready() -> bool:
        return isinstance(app.screen, screen_type) and bool(app.screen.query(selector))

    await until(pilot, ready, timeout)
    return app.screen.query_one(selector)


class Recorder:
    """Collects every message the app handles (``run_test(message_hook=...)``)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def __call__(self, message: Message) -> None:
        self.messages.append(message)

    def of(self, kind: type[Message]) -> list[Any]:
        return [m for m in self.messages if isinstance(m, kind)]


@pytest.fixture
def anyio_backend() -> str:
    """The pilot tests run on asyncio (Textual's loop), through anyio's pytest plugin."""
    return "asyncio"
