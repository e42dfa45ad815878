"""cc-guard install/uninstall on real settings files: merges, formats, round trips, refusals."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cc_guard.cli import run
from cc_guard.install.command import hook_command
from cc_guard.install.merge import EVENTS

EVENT_NAMES = [event for event, _, _ in EVENTS]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "repo"
    (path / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    # From a subdirectory: project scope must still land at the work tree's top.
    monkeypatch.chdir(path / "sub")
    # cc-guard is on PATH, as a project install needs (tests/test_install_safety.py).
    bindir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", bindir + os.pathsep + os.environ.get("PATH", ""))
    return path


#: What a project install's commands run: cc-guard as PATH finds it.
PROJECT_PREFIX = ["cc-guard"]


def cli(*args: str) -> int:
    return run(list(args))


def settings_file(repo: Path) -> Path:
    return repo / ".claude" / "settings.json"


def own_commands(data: dict[str, object]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    hooks = data.get("hooks")
    assert isinstance(hooks, dict)
    for event, groups in hooks.items():
        for group in groups:
            for hook in group["hooks"]:
                if " hook " in hook["command"] and "cc-guard" in hook["command"]:
                    out.setdefault(event, []).append(hook["command"])
    return out


def test_absent_file_round_trip(repo: Path) -> None:
    assert cli("install", "--scope", "project") == 0
    path = settings_file(repo)
    first = path.read_bytes()
    data = json.loads(first)
    commands = own_commands(data)
    assert sorted(commands) == sorted(EVENT_NAMES)
    assert commands["Stop"] == [hook_command(PROJECT_PREFIX, "Stop")]
    assert data["hooks"]["PreToolUse"][0]["matcher"] == "Bash"
    post = data["hooks"]["PostToolUse"][0]["matcher"].split("|")
    assert {"Write", "Edit", "MultiEdit", "NotebookEdit", "Bash"} <= set(post)
    for groups in data["hooks"].values():
        assert all(isinstance(h["timeout"], int) and h["timeout"] > 0 for h in groups[0]["hooks"])
    assert data["statusLine"]["command"].endswith("cc-guard statusline")

    assert cli("install", "--scope", "project") == 0
    assert path.read_bytes() == first  # install twice == install once

    assert cli("uninstall", "--scope", "project") == 0
    assert not path.exists()
    assert not (repo / ".claude").exists()  # the directory install created goes too


def test_empty_file_round_trip(repo: Path) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    path.write_bytes(b"")
    assert cli("install", "--scope", "project") == 0
    assert len(own_commands(json.loads(path.read_bytes()))) == len(EVENT_NAMES)
    assert cli("uninstall", "--scope", "project") == 0
    assert path.read_bytes() == b""


USER_SETTINGS = """{
    "$schema": "https://json.schemastore.org/claude-code-settings.json",
    "permissions": {
        "allow": [
            "Bash(npm test:*)"
        ]
    },
    "hooks": {
        "PostToolUse": [
            {
                "matcher": "Write",
                "hooks": [
                    {
                        "type": "command",
                        "command": "prettier --write \\"$FILE\\"",
                        "timeout": 5
                    }
                ]
            }
        ],
        "Stop": [
            {
                "hooks": [
                    {
                        "type": "command",
                        "command": "notify-send done"
                    }
                ]
            }
        ]
    },
    "statusLine": {
        "type": "command",
        "command": "printf 'mine:%s' \\"$(cat | wc -c)\\"",
        "padding": 0
    },
    "env": {
        "ÉTÉ": "1"
    }
}"""


def test_user_hooks_statusline_and_formatting_survive(repo: Path) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    original = USER_SETTINGS.encode()  # 4-space indent, no trailing newline, non-ASCII
    path.write_bytes(original)

    assert cli("install", "--scope", "project") == 0
    text = path.read_text()
    data = json.loads(text)
    assert list(data) == ["$schema", "permissions", "hooks", "statusLine", "env"]
    assert not text.endswith("\n")
    assert '\n    "permissions": {\n        "allow"' in text
    assert '"ÉTÉ"' in text
    # The user's own groups come first, untouched; cc-guard's are appended.
    before = json.loads(USER_SETTINGS)
    assert data["hooks"]["PostToolUse"][0] == before["hooks"]["PostToolUse"][0]
    assert data["hooks"]["Stop"][0] == before["hooks"]["Stop"][0]
    assert len(data["hooks"]["PostToolUse"]) == 2
    assert own_commands(data)["Stop"] == [hook_command(PROJECT_PREFIX, "Stop")]
    # The statusLine is wrapped, their other keys kept.
    assert data["statusLine"]["padding"] == 0
    assert " statusline --wrap " in data["statusLine"]["command"]

    installed = path.read_bytes()
    assert cli("install", "--scope", "project") == 0
    assert path.read_bytes() == installed

    assert cli("uninstall", "--scope", "project") == 0
    assert path.read_bytes() == original


def test_wrapped_statusline_runs_the_users_command(
    repo: Path, isolated_env: dict[str, Path]
) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    path.write_bytes(USER_SETTINGS.encode())
    assert cli("install", "--scope", "project") == 0
    command = json.loads(path.read_text())["statusLine"]["command"]
    payload = json.dumps(
        {
            "session_id": "s-wrap",
            "context_window": {"context_window_size": 200000, "used_percentage": 7},
        }
    )
    # Claude Code runs the configured string through a shell; so does this test.
    out = subprocess.run(["sh", "-c", command], input=payload, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"mine:{len(payload)}"  # their line, fed the same stdin
    feed = json.loads((isolated_env["state"] / "statusline" / "s-wrap.json").read_text())
    assert feed["context_window_size"] == 200000  # and cc-guard recorded it


@pytest.mark.parametrize(
    "original",
    [
        b'{\n\t"model": "opus",\n\t"hooks": {}\n}\n',
        b'{\r\n  "model": "opus"\r\n}\r\n',
        b'{"model":"opus","env":{"A":"1"}}',
        b'{"model": "opus", "env": {"A": "\\u00e9"}}\n',
    ],
    ids=["tabs", "crlf", "compact", "ascii-escapes"],
)
def test_unusual_formatting_is_kept_and_restored(repo: Path, original: bytes) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    path.write_bytes(original)
    assert cli("install", "--scope", "project", "--no-statusline") == 0
    new = path.read_bytes()
    assert json.loads(new)["model"] == "opus"
    if b"\t" in original:
        assert b'\n\t"model"' in new and b"\n\t\t" in new
    if b"\r\n" in original:
        assert new.count(b"\n") == new.count(b"\r\n")
    if b"\\u00e9" in original:
        assert b"\\u00e9" in new
    assert new.endswith(b"\n") == original.endswith(b"\n")
    assert cli("install", "--scope", "project", "--no-statusline") == 0
    assert path.read_bytes() == new
    assert cli("uninstall", "--scope", "project") == 0
    assert path.read_bytes() == original


def test_invalid_json_is_left_untouched(
    repo: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    path.write_bytes(b'{"hooks": {,}\n')
    assert cli("install", "--scope", "project") == 1
    assert path.read_bytes() == b'{"hooks": {,}\n'
    err = capsys.readouterr().err
    assert str(path) in err and "not valid JSON" in err
    assert not (isolated_env["state"] / "install" / "backups").exists()
    assert cli("uninstall", "--scope", "project") == 1
    assert path.read_bytes() == b'{"hooks": {,}\n'


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (b"[1, 2]\n", " is not a JSON object (it holds an array); left it untouched"),
        (b'"hooks"\n', " is not a JSON object (it holds a string); left it untouched"),
        (b'{"hooks": []}\n', ": 'hooks' is not a JSON object; left it untouched"),
        (b'{"hooks": {"Stop": {}}}\n', ": 'hooks.Stop' is not a JSON list; left it untouched"),
    ],
    ids=["array", "string", "hooks-array", "event-object"],
)
def test_settings_of_the_wrong_shape_are_left_untouched_with_one_clear_line(
    repo: Path, capsys: pytest.CaptureFixture[str], text: bytes, problem: str
) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    path.write_bytes(text)
    assert cli("install", "--scope", "project") == 1
    assert path.read_bytes() == text
    assert capsys.readouterr().err == f"cc-guard: {path}{problem}\n"


def test_read_only_file_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    path.write_bytes(b'{"model": "opus"}\n')
    path.chmod(0o444)
    assert cli("install", "--scope", "project") == 1
    assert "read-only" in capsys.readouterr().err
    assert path.read_bytes() == b'{"model": "opus"}\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]


def test_dry_run_prints_diff_and_writes_nothing(
    repo: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    path.write_bytes(b'{"model": "opus"}\n')
    assert cli("install", "--scope", "project", "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"--- {path}\n+++ {path}\n")
    assert '+    "SessionEnd": [' in out
    assert path.read_bytes() == b'{"model": "opus"}\n'
    assert not (isolated_env["state"] / "install").exists()


def test_backup_of_previous_file_is_kept(
    repo: Path, isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    path.write_bytes(b'{"model": "opus"}\n')
    assert cli("install", "--scope", "project") == 0
    backups = list((isolated_env["state"] / "install" / "backups").iterdir())
    assert [b.read_bytes() for b in backups] == [b'{"model": "opus"}\n']
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    assert str(backups[0]) in capsys.readouterr().out


def test_edits_after_install_survive_uninstall(repo: Path) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    path.write_bytes(USER_SETTINGS.encode())
    assert cli("install", "--scope", "project") == 0
    data = json.loads(path.read_text())
    data["model"] = "sonnet"
    data["hooks"]["Stop"].append({"hooks": [{"type": "command", "command": "echo later"}]})
    path.write_text(json.dumps(data, indent=4))

    assert cli("uninstall", "--scope", "project") == 0
    after = json.loads(path.read_text())
    expected = json.loads(USER_SETTINGS)
    expected["model"] = "sonnet"
    expected["hooks"]["Stop"].append({"hooks": [{"type": "command", "command": "echo later"}]})
    assert after == expected  # cc-guard's entries gone, the statusLine theirs again


def test_reinstall_after_executable_moved_replaces_in_place(repo: Path) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    old = {
        "hooks": {
            "Stop": [
                {"hooks": [{"type": "command", "command": "/old/venv/bin/cc-guard hook Stop"}]},
                {"hooks": [{"type": "command", "command": "echo mine"}]},
            ],
            "Notification": [
                {
                    "hooks": [
                        {"type": "command", "command": "/old/venv/bin/cc-guard hook Notification"}
                    ]
                }
            ],
        },
        "statusLine": {
            "type": "command",
            "command": "/old/venv/bin/cc-guard statusline --wrap 'echo hi'",
        },
    }
    path.write_text(json.dumps(old, indent=2))
    assert cli("install", "--scope", "project") == 0
    data = json.loads(path.read_text())
    stop = data["hooks"]["Stop"]
    assert stop[0]["hooks"][0]["command"] == hook_command(PROJECT_PREFIX, "Stop")
    assert stop[1]["hooks"][0]["command"] == "echo mine"
    assert "Notification" not in data["hooks"]  # an event cc-guard no longer uses
    assert data["statusLine"]["command"].endswith("statusline --wrap 'echo hi'")
    assert not data["statusLine"]["command"].startswith("/old/")

    assert cli("uninstall", "--scope", "project") == 0
    data = json.loads(path.read_text())
    assert data == {
        "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "echo mine"}]}]},
        "statusLine": {"type": "command", "command": "echo hi"},
    }


def test_scopes_map_to_their_files(repo: Path, isolated_env: dict[str, Path]) -> None:
    assert cli("install") == 0
    assert (isolated_env["claude"] / "settings.json").exists()
    assert cli("install", "--scope", "local", "--no-statusline") == 0
    local = json.loads((repo / ".claude" / "settings.local.json").read_text())
    assert "statusLine" not in local
    assert not settings_file(repo).exists()
    assert cli("uninstall") == 0
    assert not (isolated_env["claude"] / "settings.json").exists()


def test_extra_tools_from_config_join_the_matcher(repo: Path) -> None:
    (repo / ".cc-guard.toml").write_text('[checkpoints]\nextra_tools = ["mcp__fs__write_file"]\n')
    assert cli("install", "--scope", "project") == 0
    data = json.loads(settings_file(repo).read_text())
    assert data["hooks"]["PostToolUse"][0]["matcher"].endswith("|Bash|mcp__fs__write_file")


def test_symlinked_settings_stay_a_symlink(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "settings.json"
    target.parent.mkdir()
    target.write_bytes(b'{"model": "opus"}\n')
    settings_file(repo).parent.mkdir()
    settings_file(repo).symlink_to(target)
    assert cli("install", "--scope", "project") == 0
    assert settings_file(repo).is_symlink()
    assert "hooks" in json.loads(target.read_text())
    assert cli("uninstall", "--scope", "project") == 0
    assert settings_file(repo).is_symlink()
    assert target.read_bytes() == b'{"model": "opus"}\n'


def test_hook_command_is_shell_quoted(tmp_path: Path) -> None:
    weird = tmp_path / "my venv's bin" / "cc-guard"
    weird.parent.mkdir()
    weird.write_text("#!/bin/sh\nprintf '%s|' \"$@\"\n")
    weird.chmod(0o755)
    command = hook_command([str(weird)], "Stop")
    out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True)
    assert out.stdout == "hook|Stop|"


@pytest.mark.parametrize(
    ("command", "own"),
    [
        ("/opt/venv/bin/cc-guard hook Stop", True),
        ("'/home/me/my venv/bin/cc-guard' hook PreToolUse", True),
        ("/usr/bin/python3 -m cc_guard hook Stop", True),
        ("cc-guard hook Stop", True),
        ("echo cc-guard hook Stop", False),
        ("/bin/cc-guard-notify hook Stop", False),
        ("cc-guard hook Stop && rm -rf /tmp/x", False),
        ('"${CLAUDE_PLUGIN_ROOT}/hooks/run-hook" Stop', False),
        ("cc-guard 'unbalanced", False),
    ],
)
def test_only_cc_guards_own_hook_commands_are_recognised(command: str, own: bool) -> None:
    from cc_guard.install.command import is_own_hook

    assert is_own_hook(command) is own


def test_console_script_installs_its_own_path(repo: Path) -> None:
    exe = Path(sys.executable).parent / "cc-guard"
    out = subprocess.run(
        [str(exe), "install", "--scope", "local", "--dry-run"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f'"command": "{exe} hook SessionEnd"' in out.stdout
    assert not (repo / ".claude" / "settings.local.json").exists()


HAND_FORMATTED = """{
    "permissions": { "allow": ["Bash(ls)", "Read"],   "deny": [] },

    "hooks": {
        "Stop": [ { "hooks": [ { "type": "command", "command": "say done" } ] } ],
        "PreToolUse": []
    },
    "statusLine": {"type": "command", "command": "echo hi"}
}
"""


def test_hand_formatting_is_untouched_outside_cc_guards_entries(repo: Path) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    path.write_text(HAND_FORMATTED)
    assert cli("install", "--scope", "project") == 0
    new = path.read_text()
    # The user's hand-laid lines survive byte for byte; only cc-guard's parts are new.
    assert (
        '    "permissions": { "allow": ["Bash(ls)", "Read"],   "deny": [] },\n\n    "hooks": {\n'
        in new
    )
    assert (
        '        "Stop": [ { "hooks": [ { "type": "command", "command": "say done" } ] }, {' in new
    )
    status = json.loads(new)["statusLine"]
    assert new.count('{"type": "command", "command": ') == 1  # statusLine stays on one line
    assert status["command"].endswith("statusline --wrap 'echo hi'")

    # The user edits the file; uninstall then takes out only cc-guard's entries.
    path.write_text(new.replace('"deny": []', '"deny": ["WebFetch"]'))
    assert cli("uninstall", "--scope", "project") == 0
    assert path.read_text() == HAND_FORMATTED.replace('"deny": []', '"deny": ["WebFetch"]')


def test_warns_when_another_scope_already_has_the_hooks(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("install", "--scope", "project") == 0
    capsys.readouterr()
    assert cli("install", "--scope", "user") == 0
    assert f"also in {settings_file(repo)}" in capsys.readouterr().err


def test_warns_when_all_hooks_are_disabled(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = settings_file(repo)
    path.parent.mkdir()
    path.write_text('{\n  "disableAllHooks": true\n}\n')
    assert cli("install", "--scope", "project") == 0
    assert "disableAllHooks" in capsys.readouterr().out


def statusline_of(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    assert isinstance(data["statusLine"], dict)
    return data["statusLine"]


def test_project_install_wraps_the_users_statusline_from_their_user_settings(
    repo: Path, isolated_env: dict[str, Path]
) -> None:
    # Claude Code takes the project's statusLine over the user's: a plain cc-guard one
    # there would hide the user's own line in this project.
    user = isolated_env["claude"] / "settings.json"
    user.parent.mkdir(parents=True)
    user.write_text('{"statusLine": {"type": "command", "command": "echo MINE", "padding": 2}}\n')
    user_before = user.read_bytes()
    assert cli("install", "--scope", "project") == 0
    path = settings_file(repo)
    line = statusline_of(path)
    assert line["padding"] == 2
    out = subprocess.run(
        ["sh", "-c", str(line["command"])], input="{}", capture_output=True, text=True
    )
    assert out.stdout == "MINE\n"  # their line still shows in this project
    assert user.read_bytes() == user_before
    assert cli("uninstall", "--scope", "project") == 0
    assert not path.exists()

    # Edited in between (no byte-for-byte restore): the copy still goes, not left behind.
    assert cli("install", "--scope", "project") == 0
    data = json.loads(path.read_text())
    data["model"] = "opus"
    path.write_text(json.dumps(data, indent=2) + "\n")
    assert cli("uninstall", "--scope", "project") == 0
    assert json.loads(path.read_text()) == {"model": "opus"}


def test_local_install_wraps_the_projects_statusline_and_not_a_plain_cc_guard_one(
    repo: Path, isolated_env: dict[str, Path]
) -> None:
    user = isolated_env["claude"] / "settings.json"
    user.parent.mkdir(parents=True)
    user.write_text('{"statusLine": {"type": "command", "command": "echo USER"}}\n')
    project = settings_file(repo)
    project.parent.mkdir()
    project.write_text('{"statusLine": {"type": "command", "command": "echo PROJECT"}}\n')
    assert cli("install", "--scope", "local") == 0
    local = repo / ".claude" / "settings.local.json"
    assert str(statusline_of(local)["command"]).endswith("statusline --wrap 'echo PROJECT'")
    assert cli("uninstall", "--scope", "local") == 0
    assert not local.exists()

    # A user-scope install wraps theirs: a project install wraps their command, not
    # cc-guard's wrapper of it.
    project.unlink()
    assert cli("install") == 0
    assert cli("install", "--scope", "project") == 0
    command = str(statusline_of(project)["command"])
    assert command.endswith("statusline --wrap 'echo USER'") and command.count("--wrap") == 1
    assert cli("uninstall", "--scope", "project") == 0
    assert cli("uninstall") == 0

    # The user's statusLine is cc-guard's plain one: nothing of theirs to wrap.
    user.write_text("{}\n")
    assert cli("install") == 0
    assert cli("install", "--scope", "project") == 0
    assert str(statusline_of(project)["command"]).endswith("cc-guard statusline")
