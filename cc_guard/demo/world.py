"""The demo's throwaway world and its replay.

A world is a directory holding a Claude Code config dir, cc-guard's state dir
and config, and one git project per session. :func:`write_still` writes every
session complete (times ending at a given ``now``: the snapshot tests' world);
:class:`Replay` appends the same records live, applying each tool's file change
and calling cc-guard's real hook code (``cc-guard hook <Event>``, as Claude Code
would) so the checkpoints and handoffs are real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cc_guard.base.fs import ensure_private_dir
from cc_guard.base.paths import project_key
from cc_guard.demo.scenarios import RECORDED_CWD, Scenario, Step, scenarios

PROJECT_FILES = {
    "README.md": "# {name}\n\nA demo project for cc-guard.\n",
    "app.py": "def add(a, b):\n    return a + b\n",
}


@dataclass(frozen=True)
class World:
    root: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def claude_dir(self) -> Path:
        return self.home / ".claude"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def project(self, name: str) -> Path:
        return self.home / "code" / name

    def transcript(self, scenario: Scenario) -> Path:
        folder = self.claude_dir / "projects" / project_key(self.project(scenario.name))
        return folder / f"{scenario.session_id}.jsonl"

    def env(self) -> dict[str, str]:
        """The variables that point cc-guard (and a shell) at this world."""
        return {
            "CLAUDE_CONFIG_DIR": str(self.claude_dir),
            "CC_GUARD_HOME": str(self.state_dir),
            "CC_GUARD_CONFIG": str(self.config),
        }


def create(root: Path) -> World:
    """The world's directories and git projects (one commit each)."""
    world = World(root)
    world.claude_dir.mkdir(parents=True, exist_ok=True)
    ensure_private_dir(world.state_dir)
    world.config.write_text("# cc-guard demo: defaults\n")
    for scenario in scenarios():
        project = world.project(scenario.name)
        project.mkdir(parents=True, exist_ok=True)
        for name, text in PROJECT_FILES.items():
            (project / name).write_text(text.format(name=scenario.name))
        _git(project, "init", "-q", "-b", "main")
        _git(project, "add", "-A")
        _git(project, "commit", "-q", "-m", "Initial commit")
        world.transcript(scenario).parent.mkdir(parents=True, exist_ok=True)
    return world


def _git(project: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "demo",
        "GIT_AUTHOR_EMAIL": "demo@cc-guard.invalid",
        "GIT_COMMITTER_NAME": "demo",
        "GIT_COMMITTER_EMAIL": "demo@cc-guard.invalid",
        "GIT_AUTHOR_DATE": "2026-12-01T09:00:00Z",
        "GIT_COMMITTER_DATE": "2026-12-01T09:00:00Z",
    }
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _relocate(value: Any, project: str) -> Any:
    """``value`` with the recorded project path replaced by ``project``."""
    if isinstance(value, str):
        return value.replace(RECORDED_CWD, project)
    if isinstance(value, list):
        return [_relocate(v, project) for v in value]
    if isinstance(value, dict):
        return {k: _relocate(v, project) for k, v in value.items()}
    return value


def _lines(step: Step, project: str, when: float) -> str:
    out = []
    for record in step.records:
        moved = _relocate(record, project)
        if "timestamp" in moved:
            moved["timestamp"] = _iso(when)
        out.append(json.dumps(moved, ensure_ascii=False))
    return "".join(line + "\n" for line in out)


def write_still(world: World, now: float) -> None:
    """Every session complete, its last record ``age`` seconds before ``now`` (no hooks)."""
    for scenario in scenarios():
        total = sum(step.delay for step in scenario.steps)
        when = now - scenario.age - total
        project = str(world.project(scenario.name))
        path = world.transcript(scenario)
        with open(path, "w", encoding="utf-8") as fh:
            for step in scenario.steps:
                when += step.delay
                if step.edit:
                    _apply_edit(step.edit, project)
                fh.write(_lines(step, project, when))
        os.utime(path, (now - scenario.age, now - scenario.age))


def _apply_edit(tool_input: dict[str, Any], project: str) -> None:
    """The file change of a Write or Edit call, inside the project only."""
    moved = _relocate(tool_input, project)
    target = Path(str(moved.get("file_path", "")))
    if not target.is_absolute() or not target.resolve().is_relative_to(Path(project).resolve()):
        return
    if "content" in moved:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(moved["content"]))
    elif "old_string" in moved and target.is_file():
        text = target.read_text()
        target.write_text(
            text.replace(str(moved["old_string"]), str(moved.get("new_string", "")), 1)
        )


def run_hook(world: World, scenario: Scenario, event: str, extra: dict[str, Any]) -> None:
    """``cc-guard hook EVENT`` with the payload Claude Code would send, in the project."""
    project = world.project(scenario.name)
    payload = {
        "session_id": scenario.session_id,
        "transcript_path": str(world.transcript(scenario)),
        "cwd": str(project),
        "hook_event_name": event,
        **_relocate(extra, str(project)),
    }
    env = {**os.environ, **world.env(), "CC_GUARD_HANDOFF_SYNC": "1"}
    subprocess.run(
        [sys.executable, "-m", "cc_guard", "hook", event],
        input=json.dumps(payload),
        text=True,
        cwd=project,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


class Replay(threading.Thread):
    """Plays every scenario live into ``world``: records, file changes and hooks.

    ``speed`` divides every delay (tests run at 10x or more). ``on_step`` is
    called after each step with the scenario's name (the demo's own progress).
    """

    def __init__(
        self,
        world: World,
        *,
        speed: float = 1.0,
        on_step: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(name="cc-guard-demo", daemon=True)
        self.world = world
        self.speed = max(0.01, speed)
        self.on_step = on_step
        self.stopping = threading.Event()
        self.finished = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        try:
            threads = [
                threading.Thread(target=self._play, args=(s,), daemon=True) for s in scenarios()
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            self.finished.set()

    def _play(self, scenario: Scenario) -> None:
        if self.stopping.wait(scenario.start / self.speed):
            return
        project = str(self.world.project(scenario.name))
        path = self.world.transcript(scenario)
        for step in scenario.steps:
            if self.stopping.wait(step.delay / self.speed):
                return
            if step.before_hook:
                run_hook(self.world, scenario, step.before_hook, step.before_payload)
            if step.edit:
                _apply_edit(step.edit, project)
            if step.records:
                with open(path, "a", encoding="utf-8") as fh:
                    fh.write(_lines(step, project, time.time()))
            if step.hook:
                run_hook(self.world, scenario, step.hook, step.payload)
            if self.on_step is not None:
                self.on_step(scenario.name)
