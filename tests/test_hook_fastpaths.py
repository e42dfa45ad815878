"""The hook path stays light, and its import-free helpers agree with cc_guard.paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cc_guard import paths
from cc_guard.checkpoints import handlers
from cc_guard.checkpoints.exclude import DEFAULT_EDIT_TOOLS
from cc_guard.hooks import fastpaths


def test_state_dir_matches_cc_guard_paths(isolated_env: dict[str, Path]) -> None:
    assert fastpaths.state_dir() == str(paths.state_dir())


def test_state_dir_without_override_matches_platformdirs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CC_GUARD_HOME")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert fastpaths.state_dir() == str(paths.state_dir())
    monkeypatch.delenv("XDG_STATE_HOME")
    assert fastpaths.state_dir() == str(paths.state_dir())


def test_edit_tool_lists_agree() -> None:
    assert frozenset(DEFAULT_EDIT_TOOLS) == handlers.EDIT_TOOLS


def _modules_after(code: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_read_only_tool_hook_imports_nothing_heavy() -> None:
    loaded = _modules_after(
        "import cc_guard.hooks.dispatch as d, cc_guard.checkpoints.handlers as h\n"
        "from cc_guard.hooks.types import HookEvent\n"
        "h.on_post_tool_use(HookEvent('PostToolUse', {'tool_name': 'Read'}, 's', '/tmp'))"
    )
    heavy = {
        "click",
        "git",
        "anthropic",
        "textual",
        "dataclasses",
        "typing",
        "pathlib",
        "subprocess",
        "tempfile",
        "platformdirs",
        "cc_guard.config",
        "datetime",
    }
    assert not heavy & loaded, heavy & loaded


def test_checkpoint_path_never_imports_click_or_gitpython() -> None:
    loaded = _modules_after(
        "import cc_guard.hooks.dispatch, cc_guard.checkpoints.handlers, "
        "cc_guard.checkpoints.snapshot"
    )
    assert (
        not {"click", "git", "anthropic", "textual", "dataclasses", "cc_guard.config", "subprocess"}
        & loaded
    )
