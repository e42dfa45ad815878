"""The plugin layout: hooks.json in sync with the install table, the launcher, the real validator."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cc_guard.install.merge import EVENTS
from cc_guard.install.plugin import hooks_json

REPO_ROOT = Path(__file__).resolve().parents[1]
RUN_HOOK = REPO_ROOT / "hooks" / "run-hook"


def test_hooks_json_is_generated_from_the_install_table() -> None:
    text = (REPO_ROOT / "hooks" / "hooks.json").read_text()
    assert text == hooks_json(), "run: python -m cc_guard.install.plugin ."
    hooks = json.loads(text)["hooks"]
    assert list(hooks) == [event for event, _, _ in EVENTS]
    for event, groups in hooks.items():
        assert (
            groups[0]["hooks"][0]["command"] == f'"${{CLAUDE_PLUGIN_ROOT}}/hooks/run-hook" {event}'
        )


def test_manifest_names_the_plugin() -> None:
    manifest = json.loads((REPO_ROOT / ".claude-plugin" / "plugin.json").read_text())
    assert manifest["name"] == "cc-guard"


def test_launcher_runs_cc_guard_from_path(tmp_path: Path, isolated_env: dict[str, Path]) -> None:
    assert os.access(RUN_HOOK, os.X_OK)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "cc-guard"
    fake.write_text(
        f"#!/bin/sh\necho \"$@\" > '{tmp_path / 'args'}'\ncat > '{tmp_path / 'stdin'}'\n"
    )
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    env.pop("CC_GUARD_BIN", None)
    out = subprocess.run([str(RUN_HOOK), "Stop"], input='{"x": 1}', env=env, text=True)
    assert out.returncode == 0
    assert (tmp_path / "args").read_text() == "hook Stop\n"
    assert (tmp_path / "stdin").read_text() == '{"x": 1}'


def test_launcher_exits_0_when_cc_guard_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    (empty / "cat").symlink_to("/bin/cat")
    env = {"PATH": str(empty), "HOME": str(tmp_path)}
    out = subprocess.run(
        ["/bin/sh", str(RUN_HOOK), "Stop"], input="{}", env=env, capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout == ""


@pytest.mark.claude
def test_real_cli_validates_the_plugin(claude_bin: Path, isolated_env: dict[str, Path]) -> None:
    out = subprocess.run(
        [str(claude_bin), "plugin", "validate", "--json", str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["success"] is True
    assert report["manifest"]["errors"] == []
    events = {hook["event"] for hook in report["provides"]["hooks"]}
    assert events == {event for event, _, _ in EVENTS}
