"""install/uninstall against a settings file others write too, and for teammates.

Claude Code's /config and editors write settings.json while cc-guard may be
installing: the change is planned again if the file moved under it. Numbers
cc-guard does not change keep their text. A reinstall after the user edited the
file still knows what was there before the first install. A project install is
shared through git, so it names ``cc-guard`` as each user's PATH finds it; a
local install keeps its file out of git.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cc_guard.cli import run
from cc_guard.install import settings
from cc_guard.install.command import find_executable


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    monkeypatch.chdir(path)
    # A teammate with cc-guard installed: it is on PATH.
    bindir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", bindir + os.pathsep + os.environ.get("PATH", ""))
    return path


def _settings(repo: Path, name: str = "settings.json") -> Path:
    return repo / ".claude" / name


def test_an_edit_made_while_installing_is_kept(repo: Path) -> None:
    path = _settings(repo)
    path.parent.mkdir()
    path.write_text('{\n  "model": "opus"\n}\n')
    change = settings.plan_install(path, find_executable())
    # Claude Code's /config writes the file after the plan, before the write.
    path.write_text('{\n  "model": "opus",\n  "theme": "dark"\n}\n')
    settings.apply_install(change)
    data = json.loads(path.read_text())
    assert data["theme"] == "dark" and data["model"] == "opus"
    assert "Stop" in data["hooks"]


def test_an_edit_made_while_uninstalling_is_kept(repo: Path) -> None:
    path = _settings(repo)
    path.parent.mkdir()
    path.write_text('{\n  "model": "opus"\n}\n')
    assert run(["install", "--scope", "project"]) == 0
    change = settings.plan_uninstall(path)
    data = json.loads(path.read_text())
    data["theme"] = "dark"
    path.write_text(json.dumps(data, indent=2))
    settings.apply_uninstall(change)
    assert json.loads(path.read_text()) == {"model": "opus", "theme": "dark"}


@pytest.mark.parametrize(
    "text",
    [
        '{"limit": 1e999}',
        '{"limit": 1E5, "ratio": 1.50, "big": 12345678901234567890123, "neg": -0}',
        '{\n  "limit": 1e999,\n  "scale": 1E5,\n  "nested": {"x": 2.50}\n}\n',
    ],
)
def test_numbers_cc_guard_does_not_change_keep_their_text(repo: Path, text: str) -> None:
    path = _settings(repo)
    path.parent.mkdir()
    path.write_text(text)
    assert run(["install", "--scope", "project"]) == 0
    new = path.read_text()
    assert "Infinity" not in new and "100000.0" not in new
    for literal in ("1e999", "1E5", "1.50", "2.50", "12345678901234567890123", "-0"):
        assert (literal in new) == (literal in text), literal
    json.loads(new)  # still JSON (Python's reader is laxer than JSON.parse: checked above)
    assert run(["uninstall", "--scope", "project"]) == 0
    assert path.read_text() == text


def test_a_reinstall_after_a_user_edit_keeps_what_was_there_before_the_first_install(
    repo: Path,
) -> None:
    path = _settings(repo)
    path.parent.mkdir()
    original = {"hooks": {}, "statusLine": {"type": "command", "command": "echo mine"}}
    path.write_text(json.dumps(original, indent=2))
    assert run(["install", "--scope", "project"]) == 0
    data = json.loads(path.read_text())
    data["model"] = "sonnet"
    del data["hooks"]["Stop"]  # the user removed one of cc-guard's hooks
    path.write_text(json.dumps(data, indent=2))
    assert run(["install", "--scope", "project"]) == 0  # puts it back
    assert run(["uninstall", "--scope", "project"]) == 0
    assert json.loads(path.read_text()) == {**original, "model": "sonnet"}


def test_a_project_install_names_cc_guard_as_path_finds_it(repo: Path, tmp_path: Path) -> None:
    assert run(["install", "--scope", "project"]) == 0
    text = _settings(repo).read_text()
    data = json.loads(text)
    commands = [h["command"] for g in data["hooks"].values() for grp in g for h in grp["hooks"]]
    assert commands and all(c.startswith("cc-guard hook ") for c in commands)
    assert data["statusLine"]["command"] == "cc-guard statusline"
    # Nothing of this machine in a file the team shares.
    assert str(Path(sys.executable).parent) not in text and str(tmp_path) not in text


def test_a_project_install_without_cc_guard_on_path_says_so_and_writes_nothing(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert run(["install", "--scope", "project"]) == 1
    err = capsys.readouterr().err
    assert "not on your PATH" in err and "--scope local" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not _settings(repo).exists()


@pytest.mark.parametrize("scope", ["user", "local"])
def test_user_and_local_installs_keep_this_machines_absolute_path(
    repo: Path, scope: str, isolated_env: dict[str, Path]
) -> None:
    assert run(["install", "--scope", scope]) == 0
    path = settings.settings_path(scope, repo)
    data = json.loads(path.read_text())
    command = data["hooks"]["Stop"][0]["hooks"][0]["command"]
    assert os.path.isabs(command.split()[0])


def test_a_local_install_keeps_its_settings_file_out_of_git(repo: Path) -> None:
    assert run(["install", "--scope", "local"]) == 0
    local = _settings(repo, "settings.local.json")
    check = ["git", "check-ignore", "-q", str(local)]
    assert subprocess.run(check, cwd=repo).returncode == 0
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repo,
        capture_output=True,
        text=True,
    ).stdout
    assert "settings.local.json" not in status
    assert run(["uninstall", "--scope", "local"]) == 0
    exclude = (repo / ".git" / "info" / "exclude").read_text()
    assert "settings.local.json" not in exclude  # what install added, uninstall takes out


def test_a_local_install_adds_nothing_when_git_already_ignores_the_file(repo: Path) -> None:
    (repo / ".gitignore").write_text(".claude/settings.local.json\n")
    exclude = repo / ".git" / "info" / "exclude"
    before = exclude.read_text() if exclude.exists() else None
    assert run(["install", "--scope", "local"]) == 0
    assert (exclude.read_text() if exclude.exists() else None) == before
