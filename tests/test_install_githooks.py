"""Git hooks installed the pre-commit way: foreign hooks kept and run, worktrees, core.hooksPath."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from cc_guard.cli import run
from cc_guard.install import githooks


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    (path / "a.txt").write_text("a\n")
    git(path, "add", "a.txt")
    git(path, "commit", "-q", "-m", "first")
    for name in ("origin", "backup"):
        git(tmp_path, "init", "-q", "--bare", f"{name}.git")
        git(path, "remote", "add", name, str(tmp_path / f"{name}.git"))
    monkeypatch.chdir(path)
    return path


FOREIGN = """#!/bin/sh
echo "args:$*" >> "{log}"
cat >> "{log}"
exit "$(cat "{code}")"
"""


def foreign_pre_push(repo: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    hook = repo / ".git" / "hooks" / "pre-push"
    log, code = tmp_path / "foreign.log", tmp_path / "foreign.code"
    code.write_text("0")
    hook.write_text(FOREIGN.format(log=log, code=code))
    hook.chmod(0o755)
    return hook, log, code


def write_config(isolated_env: dict[str, Path], text: str) -> None:
    isolated_env["config"].parent.mkdir(parents=True, exist_ok=True)
    isolated_env["config"].write_text(text)


def test_foreign_pre_push_still_runs_and_its_exit_code_counts(
    repo: Path, tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    hook, log, code = foreign_pre_push(repo, tmp_path)
    original = hook.read_bytes()
    write_config(isolated_env, '[backup]\nremote = "backup"\n')
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "update-ref", "refs/cc-guard/session-1", head)

    assert run(["install", "--scope", "local", "--no-statusline", "--git-hooks"]) == 0
    assert githooks.is_own(hook)
    assert (hook.parent / "pre-push.legacy").read_bytes() == original

    pushed = git(repo, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    lines = log.read_text().splitlines()
    assert lines[0] == f"args:origin {tmp_path / 'origin.git'}"
    assert lines[1] == f"refs/heads/main {head} refs/heads/main {'0' * 40}"  # same stdin
    # Checkpoint refs went to the named backup remote, and only there.
    assert git(tmp_path / "backup.git", "for-each-ref", "refs/cc-guard").stdout.strip()
    assert not git(tmp_path / "origin.git", "for-each-ref", "refs/cc-guard").stdout.strip()

    code.write_text("3")
    (repo / "a.txt").write_text("b\n")
    git(repo, "commit", "-q", "-am", "second")
    refused = git(repo, "push", "-q", "origin", "main", check=False)
    assert refused.returncode != 0  # the foreign hook's failure still blocks the push
    assert git(tmp_path / "origin.git", "rev-parse", "main").stdout.strip() == head

    assert run(["uninstall", "--scope", "local", "--git-hooks"]) == 0
    assert hook.read_bytes() == original
    assert not (hook.parent / "pre-push.legacy").exists()


def test_without_backup_remote_nothing_extra_is_pushed(repo: Path, tmp_path: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "update-ref", "refs/cc-guard/session-1", head)
    githooks.install(repo)
    assert git(repo, "push", "-q", "origin", "main").returncode == 0
    for name in ("origin", "backup"):
        assert not git(tmp_path / f"{name}.git", "for-each-ref", "refs/cc-guard").stdout.strip()


def test_backup_remote_must_be_a_remote_of_the_repository(
    repo: Path, tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    # Only a remote of the repo's own git config (never cloned along) receives
    # snapshots of uncommitted work, not a URL.
    elsewhere = tmp_path / "elsewhere.git"
    git(tmp_path, "init", "-q", "--bare", str(elsewhere))
    write_config(isolated_env, f'[backup]\nremote = "{elsewhere}"\n')
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "update-ref", "refs/cc-guard/session-1", head)
    lines = githooks.install(repo)
    assert any("is not a git remote of this repository" in line for line in lines), lines
    pushed = git(repo, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr  # the user's push is never blocked
    assert "checkpoints not backed up" in pushed.stderr
    for bare in (elsewhere, tmp_path / "origin.git", tmp_path / "backup.git"):
        assert not git(bare, "for-each-ref", "refs/cc-guard").stdout.strip()
    # Named as a remote of the repo's own git config, the same place is used.
    git(repo, "remote", "add", "elsewhere", str(elsewhere))
    write_config(isolated_env, '[backup]\nremote = "elsewhere"\n')
    assert git(repo, "push", "-q", "origin", "main").returncode == 0
    assert git(elsewhere, "for-each-ref", "refs/cc-guard").stdout.strip()


def test_a_project_file_cannot_choose_the_backup_remote(
    repo: Path, tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    # A cloned repository's .cc-guard.toml naming its own origin must not make pre-push
    # publish checkpoints there.
    (repo / ".cc-guard.toml").write_text('[backup]\nremote = "origin"\n')
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "update-ref", "refs/cc-guard/session-1", head)
    with pytest.raises(githooks.GitHookError, match="only be set in the user config file"):
        githooks.install(repo)
    (repo / ".cc-guard.toml").unlink()
    githooks.install(repo)
    (repo / ".cc-guard.toml").write_text('[backup]\nremote = "origin"\n')
    assert git(repo, "push", "-q", "origin", "main").returncode == 0
    assert not git(tmp_path / "origin.git", "for-each-ref", "refs/cc-guard").stdout.strip()


def test_linked_worktree_uses_the_shared_hooks_dir(repo: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(worktree), "-b", "feature")
    lines = githooks.install(worktree)
    hook = repo / ".git" / "hooks" / "pre-push"
    assert githooks.is_own(hook), lines
    assert not (repo / ".git" / "worktrees" / "wt" / "hooks").exists()
    githooks.uninstall(worktree)
    assert not hook.exists()


def test_core_hooks_path_is_honoured(repo: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared-hooks"
    shared.mkdir()
    (shared / "pre-push").write_text("#!/bin/sh\nexit 0\n")
    (shared / "pre-push").chmod(0o755)
    git(repo, "config", "core.hooksPath", str(shared))
    githooks.install(repo)
    assert githooks.is_own(shared / "pre-push")
    assert (shared / "pre-push.legacy").read_text() == "#!/bin/sh\nexit 0\n"
    assert not (repo / ".git" / "hooks" / "pre-push").exists()
    githooks.uninstall(repo)
    assert (shared / "pre-push").read_text() == "#!/bin/sh\nexit 0\n"
    assert sorted(p.name for p in shared.iterdir()) == ["pre-push"]


def test_install_twice_and_refuses_to_clobber_a_legacy(repo: Path, tmp_path: Path) -> None:
    hook, _, _ = foreign_pre_push(repo, tmp_path)
    original = hook.read_bytes()
    githooks.install(repo)
    githooks.install(repo)  # ours already: rewritten, the legacy untouched
    assert (hook.parent / "pre-push.legacy").read_bytes() == original
    githooks.uninstall(repo)
    assert hook.read_bytes() == original
    (hook.parent / "pre-push.legacy").write_text("#!/bin/sh\n")
    with pytest.raises(githooks.GitHookError, match="move one of them aside"):
        githooks.install(repo)
    assert hook.read_bytes() == original


def event(session: str, name: str, cwd: Path, age: float = 0) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - age))
    return json.dumps({"time": stamp, "event": name, "session_id": session, "cwd": str(cwd)})


def test_commit_trailer_names_the_active_session(repo: Path, isolated_env: dict[str, Path]) -> None:
    write_config(isolated_env, "[git]\ncommit_trailer = true\n")
    githooks.install(repo)
    assert githooks.is_own(repo / ".git" / "hooks" / "prepare-commit-msg")
    state = isolated_env["state"]
    state.mkdir(parents=True, exist_ok=True)
    (repo / "sub").mkdir()
    lines = [
        event("old-one", "Stop", repo, age=10 * 3600),
        event("ended", "Stop", repo),
        event("ended", "SessionEnd", repo),
        event("elsewhere", "Stop", repo.parent / "other"),
        event("live", "PostToolUse", repo / "sub"),
    ]
    (state / "events.jsonl").write_text("\n".join(lines) + "\n")
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "update-ref", "refs/cc-guard/live", head)

    (repo / "a.txt").write_text("c\n")
    git(repo, "commit", "-q", "-am", "with session")
    message = git(repo, "log", "-1", "--format=%B").stdout
    assert "CC-Guard-Session: live\n" in message
    assert f"CC-Guard-Checkpoint: {head}" in message

    (state / "events.jsonl").write_text(event("live", "SessionEnd", repo) + "\n")
    (repo / "a.txt").write_text("d\n")
    git(repo, "commit", "-q", "-am", "no session")
    assert "CC-Guard" not in git(repo, "log", "-1", "--format=%B").stdout


def test_a_hook_installed_by_the_first_release_still_adds_the_trailer(
    repo: Path, isolated_env: dict[str, Path]
) -> None:
    """cc-guard 0.1.0 installed hooks that run ``python -m cc_guard.install.githooks``."""
    write_config(isolated_env, "[git]\ncommit_trailer = true\n")
    githooks.install(repo)
    hook = repo / ".git" / "hooks" / "prepare-commit-msg"
    hook.write_text(hook.read_text().replace("cc_guard.runtime.githook", "cc_guard.install.githooks"))
    assert "cc_guard.install.githooks run" in hook.read_text()
    state = isolated_env["state"]
    state.mkdir(parents=True, exist_ok=True)
    (state / "events.jsonl").write_text(event("live", "PostToolUse", repo) + "\n")
    (repo / "a.txt").write_text("old hook\n")
    git(repo, "commit", "-q", "-am", "with session")
    assert "CC-Guard-Session: live\n" in git(repo, "log", "-1", "--format=%B").stdout


def test_prepare_commit_msg_not_installed_by_default(repo: Path) -> None:
    githooks.install(repo)
    assert not (repo / ".git" / "hooks" / "prepare-commit-msg").exists()


def test_not_a_repository_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    assert run(["install", "--scope", "local", "--git-hooks"]) == 1
    assert "not in a git repository" in capsys.readouterr().err
    assert not (plain / ".claude").exists()  # nothing half-done


def test_foreign_prepare_commit_msg_runs_first_and_can_refuse(
    repo: Path, isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    write_config(isolated_env, "[git]\ncommit_trailer = true\n")
    hook = repo / ".git" / "hooks" / "prepare-commit-msg"
    flag = tmp_path / "refuse"
    hook.write_text(f'#!/bin/sh\n[ -e "{flag}" ] && exit 1\necho "Ticket: ABC-1" >> "$1"\n')
    hook.chmod(0o755)
    githooks.install(repo)
    assert githooks.is_own(hook)
    (repo / "a.txt").write_text("e\n")
    git(repo, "commit", "-q", "-am", "with ticket")
    assert "Ticket: ABC-1" in git(repo, "log", "-1", "--format=%B").stdout
    head = git(repo, "rev-parse", "HEAD").stdout
    flag.write_text("")
    (repo / "a.txt").write_text("f\n")
    assert git(repo, "commit", "-q", "-am", "refused", check=False).returncode != 0
    assert git(repo, "rev-parse", "HEAD").stdout == head


def test_dry_run_changes_no_git_hook_and_no_settings(repo: Path, tmp_path: Path) -> None:
    hook, _, _ = foreign_pre_push(repo, tmp_path)
    original = hook.read_bytes()
    hooks_before = sorted(p.name for p in hook.parent.iterdir())
    assert run(["install", "--scope", "local", "--git-hooks", "--dry-run"]) == 0
    assert hook.read_bytes() == original
    assert sorted(p.name for p in hook.parent.iterdir()) == hooks_before
    assert not (repo / ".claude").exists()

    assert run(["install", "--scope", "local", "--git-hooks"]) == 0
    installed = sorted(p.name for p in hook.parent.iterdir())
    settings = (repo / ".claude" / "settings.local.json").read_bytes()
    assert run(["uninstall", "--scope", "local", "--git-hooks", "--dry-run"]) == 0
    assert githooks.is_own(hook)
    assert sorted(p.name for p in hook.parent.iterdir()) == installed
    assert (repo / ".claude" / "settings.local.json").read_bytes() == settings


def test_install_help_says_prepare_commit_msg_needs_commit_trailer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["install", "--help"]) == 0
    assert "prepare-commit-msg when [git] commit_trailer is true" in " ".join(
        capsys.readouterr().out.split()
    )


def test_an_event_line_with_an_unusable_session_id_adds_no_trailer(
    repo: Path, isolated_env: dict[str, Path]
) -> None:
    write_config(isolated_env, "[git]\ncommit_trailer = true\n")
    githooks.install(repo)
    state = isolated_env["state"]
    state.mkdir(parents=True, exist_ok=True)
    # Written before ids were checked at parse time, or by hand.
    forged = "x\nCo-authored-by: Mallory <m@example.com>"
    (state / "events.jsonl").write_text(event(forged, "PostToolUse", repo) + "\n")
    (repo / "a.txt").write_text("e\n")
    git(repo, "commit", "-q", "-am", "plain commit")
    message = git(repo, "log", "-1", "--format=%B").stdout
    assert "Mallory" not in message and "CC-Guard" not in message
