"""Test isolation: no test ever touches the real HOME, Claude dir or state dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# The fake upstream (one `cc-guard chaos serve` per call): tests/support/chaos.py.
from tests.support.chaos import chaos  # noqa: F401

# The real-Claude-Code test bed (pinned CLI, chaos upstream, tmux): fixtures for all tests.
from tests.support.testbed import (  # noqa: F401
    chaos_server,
    claude_bed,
    claude_bin,
    claude_version,
    project_repo,
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    home = tmp_path / "home"
    claude = home / ".claude"
    state = tmp_path / "cc-guard-state"
    config = tmp_path / "cc-guard-config" / "config.toml"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    monkeypatch.setenv("CC_GUARD_HOME", str(state))
    monkeypatch.setenv("CC_GUARD_CONFIG", str(config))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    # Never let a test reach a real API by accident.
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("TMUX_PANE", raising=False)
    # Git identity for test repos, independent of the machine's config.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (tmp_path / "gitconfig").write_text(
        "[user]\n\tname = cc-guard tests\n\temail = tests@cc-guard.invalid\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
    )
    yield {"home": home, "claude": claude, "state": state, "config": config}
