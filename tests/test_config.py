"""cc_guard.config: defaults, user and project files, errors that name file, key and type."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cc_guard.config import DEFAULT_EXCLUDE
from cc_guard.config.load import Config, ConfigError, load_config, load_config_safe


def write_user(isolated_env: dict[str, Path], text: str) -> Path:
    path = isolated_env["config"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_when_no_file(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg == Config()
    assert cfg.checkpoints.enabled is True
    assert cfg.checkpoints.max_file_mb == 20
    assert cfg.checkpoints.exclude == DEFAULT_EXCLUDE
    assert ".env*" in cfg.checkpoints.exclude
    assert cfg.checkpoints.time_budget_seconds == 2.0
    assert cfg.backup.remote == ""
    assert cfg.git.commit_trailer is False
    assert cfg.context.warn_percent == 80
    assert dict(cfg.context.windows) == {}
    assert cfg.handoff.summarizer == "offline"
    assert cfg.source("checkpoints.max_file_mb") == "default"
    assert cfg.files == ()


def test_project_overrides_user_and_provenance_is_recorded(
    tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    user = write_user(
        isolated_env,
        '[checkpoints]\nmax_file_mb = 5\nextra_tools = ["MyWriter"]\n[backup]\nremote = "backup"\n',
    )
    project = tmp_path / "proj"
    (project / "sub").mkdir(parents=True)
    (project / ".git").mkdir()
    (project / ".cc-guard.toml").write_text(
        '[checkpoints]\nmax_file_mb = 1.5\n[context]\nwindows = { "claude-x" = 200000 }\n'
    )
    # Looked up from a subdirectory of the work tree, as the hook's cwd can be.
    cfg = load_config(project / "sub")
    assert cfg.checkpoints.max_file_mb == 1.5
    assert cfg.checkpoints.extra_tools == ("MyWriter",)
    assert cfg.backup.remote == "backup"
    assert dict(cfg.context.windows) == {"claude-x": 200000}
    assert cfg.source("checkpoints.max_file_mb") == f"project: {project / '.cc-guard.toml'}"
    assert cfg.source("checkpoints.extra_tools") == f"user: {user}"
    assert cfg.source("git.commit_trailer") == "default"
    assert cfg.files == (user, project / ".cc-guard.toml")


def test_project_file_above_the_work_tree_is_not_used(tmp_path: Path) -> None:
    (tmp_path / ".cc-guard.toml").write_text("[git]\ncommit_trailer = true\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert load_config(repo).git.commit_trailer is False
    assert load_config(tmp_path).git.commit_trailer is True


def test_unknown_key_names_file_and_key(isolated_env: dict[str, Path]) -> None:
    path = write_user(isolated_env, "[checkpoints]\nmax_file_md = 3\n")
    with pytest.raises(ConfigError) as err:
        load_config()
    message = str(err.value)
    assert str(path) in message
    assert "checkpoints.max_file_md" in message
    assert "max_file_mb" in message  # says what is accepted


def test_unknown_section_names_file_and_section(isolated_env: dict[str, Path]) -> None:
    path = write_user(isolated_env, "[checkpoint]\nenabled = false\n")
    with pytest.raises(ConfigError, match="checkpoint") as err:
        load_config()
    assert str(path) in str(err.value)
    assert "[checkpoints]" in str(err.value)


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('[checkpoints]\nenabled = "yes"\n', "checkpoints.enabled", "a boolean"),
        ("[checkpoints]\nmax_file_mb = -1\n", "checkpoints.max_file_mb", "greater than 0"),
        ('[checkpoints]\nexclude = "*.pem"\n', "checkpoints.exclude", "a list of strings"),
        ("[checkpoints]\nextra_tools = [1]\n", "checkpoints.extra_tools", "a list of strings"),
        ("[context]\nwarn_percent = true\n", "context.warn_percent", "between 0"),
        ('[context]\nwindows = { m = "big" }\n', "context.windows", "positive integers"),
        ('[backup]\nremote = "--mirror"\n', "backup.remote", "git remote"),
        ("[git]\ncommit_trailer = 1\n", "git.commit_trailer", "a boolean"),
        ("[handoff]\nsummarizer = 3\n", "handoff.summarizer", 'one of "offline", "api"'),
        ('[handoff]\nsummarizer = "offlne"\n', "handoff.summarizer", 'one of "offline", "api"'),
        ("checkpoints = 3\n", "checkpoints", "table"),
    ],
)
def test_wrong_type_names_file_key_and_expectation(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    (tmp_path / ".git").mkdir()
    path = tmp_path / ".cc-guard.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    message = str(err.value)
    assert str(path) in message
    assert key in message
    assert expected in message


def test_invalid_toml_names_file(isolated_env: dict[str, Path]) -> None:
    path = write_user(isolated_env, "[checkpoints\n")
    with pytest.raises(ConfigError, match="not valid TOML") as err:
        load_config()
    assert str(path) in str(err.value)


def test_safe_load_falls_back_and_logs(tmp_path: Path, isolated_env: dict[str, Path]) -> None:
    write_user(isolated_env, '[backup]\nremote = "origin"\n')
    (tmp_path / ".git").mkdir()
    (tmp_path / ".cc-guard.toml").write_text("[nonsense]\n")
    cfg = load_config_safe(tmp_path)
    # The broken project file is dropped, the user's file still applies.
    assert cfg.backup.remote == "origin"
    log = (isolated_env["state"] / "hook-errors.log").read_text()
    assert "nonsense" in log and ".cc-guard.toml" in log

    write_user(isolated_env, "[backup\n")
    assert load_config_safe(tmp_path) == Config()


def test_as_dict_is_plain_data() -> None:
    data = Config().as_dict()
    assert data["checkpoints"]["exclude"] == list(DEFAULT_EXCLUDE)
    assert data["context"]["windows"] == {}


def test_import_is_stdlib_only() -> None:
    code = (
        "import sys, cc_guard.config.load as c; c.load_config_safe(None);"
        "bad = [m for m in ('click', 'platformdirs', 'tomllib', 'git', 'textual') if m in sys.modules];"
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    # No config file exists in the isolated env, so not even tomllib is imported.
    assert out.strip() == "[]"


def test_config_show_names_each_source(
    tmp_path: Path,
    isolated_env: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cc_guard.cli import run

    user = write_user(isolated_env, '[backup]\nremote = "backup"\n')
    (tmp_path / ".git").mkdir()
    (tmp_path / ".cc-guard.toml").write_text("[context]\nwarn_percent = 90\n")
    monkeypatch.chdir(tmp_path)
    assert run(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert f'remote = "backup"  # user: {user}' in out
    assert f"warn_percent = 90  # project: {tmp_path / '.cc-guard.toml'}" in out
    assert "max_file_mb = 20  # default" in out

    assert run(["config", "show", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["values"]["backup"]["remote"] == "backup"
    assert data["values"]["checkpoints"]["exclude"] == list(DEFAULT_EXCLUDE)
    assert data["sources"]["backup.remote"] == f"user: {user}"
    assert data["sources"]["context.warn_percent"] == f"project: {tmp_path / '.cc-guard.toml'}"
    assert data["sources"]["git.commit_trailer"] == "default"


def test_config_show_reports_errors_in_one_line(
    isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from cc_guard.cli import run

    path = write_user(isolated_env, "[git]\ncommit_trailer = 'yes'\n")
    assert run(["config", "show"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(path) in err and "git.commit_trailer" in err and "a boolean" in err


def test_config_show_refuses_a_project_dir_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cc_guard.cli import run

    missing = tmp_path / "no-such-project"
    assert run(["config", "show", "--project", str(missing)]) != 0
    err = capsys.readouterr().err
    assert str(missing) in err and "does not exist" in err


def test_backup_remote_is_refused_in_a_project_file(
    tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    user = write_user(isolated_env, '[backup]\nremote = "backup"\n')
    (tmp_path / ".git").mkdir()
    project_file = tmp_path / ".cc-guard.toml"
    project_file.write_text('[backup]\nremote = "origin"\n')
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value) == (
        f"{project_file}: 'backup.remote' can only be set in the user config file ({user}), "
        "not in a project's .cc-guard.toml"
    )
    # The hooks carry on with the user's own choice.
    assert load_config_safe(tmp_path).backup.remote == "backup"
