from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cc_guard.base import fs, paths


def test_claude_dir_honours_env(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "c"))
    assert paths.claude_dir() == tmp_path / "c"
    monkeypatch.delenv("CLAUDE_CONFIG_DIR")
    assert paths.claude_dir() == Path(os.environ["HOME"]) / ".claude"


def test_state_dir_is_created_private(isolated_env) -> None:
    d = paths.state_dir()
    assert d == isolated_env["state"]
    assert stat.S_IMODE(d.stat().st_mode) == 0o700


def test_write_private_is_0600_and_atomic(tmp_path: Path) -> None:
    target = tmp_path / "out" / "f.json"
    fs.write_private(target, "one")
    fs.write_private(target, "two")
    assert target.read_text() == "two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_project_key_matches_claude_code() -> None:
    assert paths.project_key("/tmp/my.repo/sub_dir") == "-tmp-my-repo-sub-dir"


def test_state_dir_without_override_follows_xdg_state_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CC_GUARD_HOME")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert paths.state_dir() == tmp_path / "xdg" / "cc-guard"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert paths.state_dir() == Path(os.environ["HOME"]) / ".local" / "state" / "cc-guard"


def test_locations_agree_with_platformdirs_on_this_platform(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import platformdirs

    for name in ("CC_GUARD_HOME", "CC_GUARD_CONFIG", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    assert str(paths.state_dir(create=False)) == platformdirs.user_state_dir("cc-guard", appauthor=False)
    expected = Path(platformdirs.user_config_dir("cc-guard", appauthor=False)) / "config.toml"
    assert paths.config_file() == expected

