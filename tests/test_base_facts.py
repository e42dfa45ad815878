"""The shared readers in ``cc_guard.base``: a statusline feed's window, a transcript's tail."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cc_guard.base import claude
from cc_guard.base.claude import auto_compact_setting, feed_window
from cc_guard.base.fs import tail_lines


def test_a_feed_sizes_the_window_only_for_its_own_model() -> None:
    feed = {"context_window_size": 1_000_000, "model_id": "claude-opus-5-5"}
    assert feed_window(feed, "claude-opus-5-5") == 1_000_000
    assert feed_window(feed, None) == 1_000_000  # the transcript named no model yet
    # Written before a /model switch: another model's window.
    assert feed_window(feed, "claude-haiku-4-5") is None
    assert feed_window({"context_window_size": 400_000}, "claude-sonnet-4-5") == 400_000


@pytest.mark.parametrize(
    "feed",
    [
        None,
        {},
        {"context_window_size": 0},
        {"context_window_size": True},
        {"context_window_size": "1M"},
    ],
)
def test_a_feed_without_a_usable_size_sizes_nothing(feed: dict[str, object] | None) -> None:
    assert feed_window(feed, "claude-opus-5-5") is None


def test_tail_lines_drops_the_line_the_window_cuts_and_keeps_the_unfinished_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n{"c": 3}\n{"half')
    assert tail_lines(path, 1 << 20) == [b'{"a": 1}', b'{"b": 2}', b'{"c": 3}', b'{"half']
    # A window starting inside the first record leaves that record out, whole.
    assert tail_lines(path, len(b'1}\n{"b": 2}\n{"c": 3}\n{"half')) == [
        b'{"b": 2}',
        b'{"c": 3}',
        b'{"half',
    ]
    path.write_bytes(b'{"a": 1}\n')
    assert tail_lines(path, 1 << 20) == [b'{"a": 1}', b""]


def test_tail_lines_never_blocks_on_a_fifo_or_reads_a_directory(tmp_path: Path) -> None:
    fifo = tmp_path / "agent-x.jsonl"
    os.mkfifo(fifo)
    assert tail_lines(fifo, 1024) is None
    assert tail_lines(tmp_path, 1024) is None
    assert tail_lines(tmp_path / "missing.jsonl", 1024) is None


def _settings(path: Path, **values: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"theme": "dark", **values}))


def test_the_auto_compact_setting_is_read_in_claude_codes_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    claude_dir = home / ".claude"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    managed = tmp_path / "managed-settings.json"
    monkeypatch.setattr(claude, "MANAGED_SETTINGS", (str(managed),))
    project.mkdir()
    assert auto_compact_setting(str(claude_dir), str(project)) is None  # no file sets it
    # Older versions kept it in the global config: there only "off" counts.
    _settings(home / ".claude.json", autoCompactEnabled=True)
    assert auto_compact_setting(str(claude_dir), str(project)) is None
    _settings(home / ".claude.json", autoCompactEnabled=False)
    assert auto_compact_setting(str(claude_dir), str(project)) is False
    # Each settings file wins over the ones below it.
    _settings(claude_dir / "settings.json", autoCompactEnabled=True)
    assert auto_compact_setting(str(claude_dir), str(project)) is True
    _settings(project / ".claude" / "settings.json", autoCompactEnabled=False)
    assert auto_compact_setting(str(claude_dir), str(project)) is False
    _settings(project / ".claude" / "settings.local.json", autoCompactEnabled=True)
    assert auto_compact_setting(str(claude_dir), str(project)) is True
    _settings(managed, autoCompactEnabled=False)
    assert auto_compact_setting(str(claude_dir), str(project)) is False
    # Without a project only the user's files count.
    managed.unlink()
    assert auto_compact_setting(str(claude_dir), None) is True


def test_a_broken_or_odd_settings_file_is_skipped_never_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    claude_dir = tmp_path / ".claude"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude_dir))
    monkeypatch.setattr(claude, "MANAGED_SETTINGS", ())
    project = tmp_path / "project"
    _settings(claude_dir / ".claude.json", autoCompactEnabled=False)  # CLAUDE_CONFIG_DIR's
    _settings(claude_dir / "settings.json", autoCompactEnabled="no")  # not a boolean
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "settings.json").write_text('{"autoCompactEnabled": tru')
    os.mkfifo(project / ".claude" / "settings.local.json")  # must not block
    assert auto_compact_setting(str(claude_dir), str(project)) is False
