"""The checkpoints, diff, restore (and --undo) and prune commands, through the real CLI."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from cc_guard.checkpoints.snapshot import take_checkpoint
from tests.support.checkpoints import cli, git, make_repo, ref_sha, user_state

SID = "c0ffee00-1234-4abc-8def-000000000001"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def _session(repo: Path) -> list[str]:
    """A scripted session: start, write a file, edit one, delete one with Bash."""
    shas = [take_checkpoint(repo, SID, "UserPromptSubmit", prompt="build it")]
    (repo / "feature.py").write_text("def feature():\n    return 1\n")
    shas.append(take_checkpoint(repo, SID, "PostToolUse", "Write", ["feature.py"]))
    (repo / "src" / "app.py").write_text("print('edited')\n")
    shas.append(take_checkpoint(repo, SID, "PostToolUse", "Edit", ["src/app.py"]))
    shas.append(take_checkpoint(repo, SID, "PreToolUse", "Bash"))  # unchanged: None
    (repo / "README.md").unlink()
    shas.append(take_checkpoint(repo, SID, "PostToolUse", "Bash"))
    return [s for s in shas if s]


def test_checkpoints_lists_the_chain_newest_first(repo: Path) -> None:
    shas = _session(repo)
    proc = cli(repo / "src", "checkpoints", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["session_id"] == SID
    assert [c["sha"] for c in doc["checkpoints"]] == list(reversed(shas))
    assert doc["checkpoints"][0]["files"] == ["README.md"]
    assert doc["checkpoints"][1]["tool"] == "Edit"
    table = cli(repo, "checkpoints", SID[:6])
    assert table.returncode == 0 and shas[-1][:10] in table.stdout and "Write" in table.stdout


def test_checkpoints_errors_are_one_line(tmp_path: Path, repo: Path) -> None:
    proc = cli(repo, "checkpoints")
    assert proc.returncode == 1 and proc.stderr.startswith("cc-guard: no cc-guard checkpoints")
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = cli(plain, "checkpoints")
    assert proc.returncode == 1 and "not inside a git work tree" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_diff_against_work_tree_and_between_checkpoints(repo: Path) -> None:
    shas = _session(repo)
    (repo / "untracked-now.txt").write_text("new\n")
    proc = cli(repo, "diff", shas[0][:10], "--stat")
    assert proc.returncode == 0, proc.stderr
    for name in ("feature.py", "README.md", "src/app.py", "untracked-now.txt"):
        assert name in proc.stdout
    proc = cli(repo, "diff", f"{shas[0][:10]}..{shas[1][:10]}")
    assert "+def feature():" in proc.stdout and "README.md" not in proc.stdout
    proc = cli(repo / "src", "diff", shas[0], "app.py")
    assert "+print('edited')" in proc.stdout and "feature.py" not in proc.stdout


def test_restore_brings_back_deleted_and_removes_only_session_files(repo: Path) -> None:
    shas = _session(repo)
    (repo / "user-made.txt").write_text("the user wrote this outside the session\n")
    head, index = git(repo, "rev-parse", "HEAD"), (repo / ".git" / "index").read_bytes()
    proc = cli(repo, "restore", shas[0][:10], "--yes")
    assert proc.returncode == 0, proc.stderr
    assert (repo / "README.md").read_text() == "# demo\n"
    assert (repo / "src" / "app.py").read_text() == "print('hi')\n"
    assert not (repo / "feature.py").exists()  # created by the session: removed
    assert (repo / "user-made.txt").exists()  # never the user's
    assert (repo / "notes.txt").exists() and (repo / "debug.log").exists()
    assert git(repo, "rev-parse", "HEAD") == head
    assert (repo / ".git" / "index").read_bytes() == index
    # Undo puts everything back as it was before the restore.
    undo = cli(repo, "restore", "--undo", "--yes")
    assert undo.returncode == 0, undo.stderr
    assert not (repo / "README.md").exists()
    assert (repo / "feature.py").read_text() == "def feature():\n    return 1\n"
    assert (repo / "src" / "app.py").read_text() == "print('edited')\n"
    assert (repo / "user-made.txt").exists()
    assert cli(repo, "restore", "--undo", "--yes").returncode == 1  # nothing left to undo


def test_restore_paths_only_and_confirmation(repo: Path) -> None:
    shas = _session(repo)
    before = user_state(repo)
    proc = cli(repo, "restore", shas[0][:10], input="n\n")
    assert proc.returncode == 1 and "README.md" in proc.stdout and "Nothing changed" in proc.stdout
    after = user_state(repo)
    assert after["worktree"] == before["worktree"]
    proc = cli(repo / "src", "restore", shas[0][:10], "app.py", "--yes")
    assert proc.returncode == 0, proc.stderr
    assert (repo / "src" / "app.py").read_text() == "print('hi')\n"
    assert not (repo / "README.md").exists() and (repo / "feature.py").exists()


def test_declined_restore_does_not_make_user_files_the_sessions(repo: Path) -> None:
    # A restore that goes ahead checkpoints the current state first (PreRestore). That
    # snapshot holds whatever is in the work tree, so it must not count as "the session
    # made it"; a declined one takes no checkpoint at all.
    shas = _session(repo)
    (repo / "user-made.txt").write_text("the user wrote this outside the session\n")
    declined = cli(repo, "restore", shas[0][:10], input="n\n")
    assert declined.returncode == 1 and "keep    user-made.txt" in declined.stdout
    proc = cli(repo, "restore", shas[0][:10], "--yes")
    assert proc.returncode == 0, proc.stderr
    assert (repo / "user-made.txt").exists()
    assert not (repo / "feature.py").exists()  # the session's own file still goes


def test_user_commit_with_session_trailer_is_not_a_checkpoint(repo: Path) -> None:
    # The prepare-commit-msg hook ([git] commit_trailer) gives the user's own commits a
    # CC-Guard-Session trailer; when one is HEAD, the next session's chain starts on it.
    (repo / "committed.txt").write_text("by the user\n")
    git(repo, "add", "committed.txt")
    trailer = "CC-Guard-Session: 11111111-2222-4333-8444-555555555555"
    git(repo, "commit", "-q", "-m", f"user work\n\n{trailer}\nCC-Guard-Checkpoint: abc")
    user_commit = git(repo, "rev-parse", "HEAD").strip()
    shas = _session(repo)
    doc = json.loads(cli(repo, "checkpoints", SID[:8], "--json").stdout)
    assert [c["sha"] for c in doc["checkpoints"]] == list(reversed(shas))
    proc = cli(repo, "restore", user_commit[:10], "--yes")
    assert proc.returncode == 1 and "not a cc-guard checkpoint" in proc.stderr


def test_restore_keeps_session_files_the_user_changed_since(repo: Path) -> None:
    shas = _session(repo)
    (repo / "feature.py").write_text("user improved it\n")
    proc = cli(repo, "restore", shas[0][:10], "--yes")
    assert proc.returncode == 0, proc.stderr
    assert (repo / "feature.py").read_text() == "user improved it\n"
    assert "keep" in proc.stdout


def test_restore_api_takes_a_safety_checkpoint(repo: Path) -> None:
    from cc_guard.checkpoints import list_checkpoints, restore_checkpoint

    shas = _session(repo)
    (repo / "feature.py").write_text("changed after the last checkpoint\n")
    result = restore_checkpoint(repo, shas[1])
    assert result.applied and "src/app.py" in result.written
    chain = list_checkpoints(repo, SID)
    assert chain[0].sha == result.safety and chain[0].event == "PreRestore"
    assert "changed after" in git(repo, "show", f"{result.safety}:feature.py")


def test_prune_drops_refs_and_indexes(repo: Path, isolated_env: dict[str, Path]) -> None:
    for sid in ("old-session", "mid-session", "new-session"):
        (repo / f"{sid}.txt").write_text(sid)
        assert take_checkpoint(repo, sid, "Stop") is not None
        time.sleep(1.1)  # distinct committer seconds, so "newest" is well defined
    indexes = list((isolated_env["state"] / "checkpoints").rglob("*.index"))
    assert len(indexes) == 3
    dry = cli(repo, "prune", "--keep-last", "1", "--dry-run", "--json")
    assert json.loads(dry.stdout)["sessions"] == ["mid-session", "old-session"]
    assert ref_sha(repo, "old-session") is not None
    proc = cli(repo, "prune", "--keep-last", "2")
    assert proc.returncode == 0 and "Dropped 1 session ref with 1 checkpoint " in proc.stdout
    assert ref_sha(repo, "old-session") is None and ref_sha(repo, "mid-session") is not None
    assert len(list((isolated_env["state"] / "checkpoints").rglob("*.index"))) == 2
    assert cli(repo, "prune", "--session", "mid").returncode == 0
    assert ref_sha(repo, "mid-session") is None
    assert cli(repo, "prune", "--older-than", "0").returncode == 0
    assert ref_sha(repo, "new-session") is None
    assert git(repo, "for-each-ref", "refs/cc-guard/") == ""
    assert os.path.exists(repo / "old-session.txt")  # prune never touches files


def test_restore_across_a_file_directory_swap_and_undo(repo: Path) -> None:
    first = take_checkpoint(repo, SID, "UserPromptSubmit")
    assert first is not None
    (repo / "README.md").unlink()
    (repo / "README.md").mkdir()
    (repo / "README.md" / "part.md").write_text("split up\n")
    assert take_checkpoint(repo, SID, "PostToolUse", "Bash") is not None
    proc = cli(repo, "restore", first[:10], "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (repo / "README.md").read_text() == "# demo\n"
    undo = cli(repo, "restore", "--undo", "--yes")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert (repo / "README.md" / "part.md").read_text() == "split up\n"


def test_checkpoint_summary_for_status(repo: Path, tmp_path: Path) -> None:
    from cc_guard.checkpoints.history import checkpoint_summary

    plain = tmp_path / "plain"
    plain.mkdir()
    assert checkpoint_summary(plain, SID)["note"] == "not a git repository: no checkpoints"
    assert checkpoint_summary(repo, SID)["count"] == 0
    shas = _session(repo)
    summary = checkpoint_summary(repo, SID)
    assert summary["count"] == len(shas) and summary["latest"] == shas[-1]
    assert summary["ref"] == f"refs/cc-guard/{SID}"


def test_undo_reverts_only_what_the_restore_changed(repo: Path) -> None:
    shas = _session(repo)
    assert cli(repo, "restore", shas[0][:10], "src/app.py", "--yes").returncode == 0
    assert (repo / "src" / "app.py").read_text() == "print('hi')\n"
    # After the restore the user goes on working on other files, and on the restored one.
    (repo / "feature.py").write_text("the user's newer work\n")
    (repo / "later.txt").write_text("made after the restore\n")
    (repo / "notes.txt").unlink()
    undo = cli(repo, "restore", "--undo", "--yes")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert (repo / "src" / "app.py").read_text() == "print('edited')\n"
    assert (repo / "feature.py").read_text() == "the user's newer work\n"
    assert (repo / "later.txt").read_text() == "made after the restore\n"
    assert not (repo / "notes.txt").exists()
    # A restored file the user edited after the restore is not clobbered by the undo.
    assert cli(repo, "restore", shas[0][:10], "src/app.py", "--yes").returncode == 0
    (repo / "src" / "app.py").write_text("edited after the restore\n")
    undo = cli(repo, "restore", "--undo", "--yes")
    assert "keep    src/app.py" in undo.stdout
    assert (repo / "src" / "app.py").read_text() == "edited after the restore\n"


def test_restore_never_clobbers_files_the_safety_checkpoint_cannot_hold(
    repo: Path, tmp_path: Path
) -> None:
    # A checkpoint holds data.bin and out/x.txt; later data.bin grows past the size
    # limit (so no checkpoint can hold it) and out/ becomes a symlink to a directory
    # outside the repository.
    (repo / "data.bin").write_bytes(b"small, checkpointed\n")
    (repo / "out").mkdir()
    (repo / "out" / "x.txt").write_text("inside\n")
    first = take_checkpoint(repo, SID, "Stop")
    assert first is not None
    big = b"x" * (21 * 1024 * 1024)
    (repo / "data.bin").write_bytes(big)
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "out" / "x.txt").unlink()
    (repo / "out").rmdir()
    (repo / "out").symlink_to(outside)
    proc = cli(repo, "restore", first[:10], "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skip    data.bin" in proc.stdout, proc.stdout
    assert "skip    out/x.txt" in proc.stdout, proc.stdout
    assert (repo / "data.bin").read_bytes() == big
    assert list(outside.iterdir()) == []
    # A directory that became a nested repository (the agent ran git init there).
    (repo / "vendor").mkdir()
    (repo / "vendor" / "lib.py").write_text("v1\n")
    assert take_checkpoint(repo, SID, "Stop") is not None
    (repo / "vendor" / "lib.py").unlink()
    git(repo / "vendor", "init", "-q")
    proc = cli(repo, "restore", f"{SID}~0", "vendor", "--yes")
    assert "skip    vendor/lib.py" in proc.stdout, proc.stdout
    assert not (repo / "vendor" / "lib.py").exists()


def test_restore_writes_files_as_git_checkout_would(repo: Path) -> None:
    # The checkpoint holds the cleaned blob (LF); the work tree had CRLF (eol=crlf).
    (repo / ".gitattributes").write_text("*.bat text eol=crlf\n")
    (repo / "run.bat").write_bytes(b"@echo off\r\necho hi\r\n")
    (repo / "plain.txt").write_bytes(b"keep\r\nas is\r\n")
    first = take_checkpoint(repo, SID, "Stop")
    assert first is not None
    assert git(repo, "cat-file", "blob", f"{first}:run.bat") == "@echo off\necho hi\n"
    (repo / "run.bat").write_bytes(b"changed\r\n")
    (repo / "plain.txt").unlink()
    proc = cli(repo, "restore", first[:10], "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (repo / "run.bat").read_bytes() == b"@echo off\r\necho hi\r\n"
    assert (repo / "plain.txt").read_bytes() == b"keep\r\nas is\r\n"


def test_prune_waits_for_a_running_hook_of_the_session(repo: Path) -> None:
    import subprocess

    from cc_guard.checkpoints.snapshot import index_path, lock_session, unlock_session
    from cc_guard.git import find_repo
    from tests.support.checkpoints import CC_GUARD

    assert take_checkpoint(repo, SID, "Stop") is not None
    found = find_repo(repo, time.monotonic() + 60)
    assert found is not None
    index = index_path(found, SID)
    fd = lock_session(found, SID, time.monotonic() + 60)  # a hook mid-snapshot
    try:
        proc = subprocess.Popen(
            [str(CC_GUARD), "prune", "--session", SID],
            cwd=repo,
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)
        assert index.exists() and ref_sha(repo, SID) is not None
    finally:
        unlock_session(fd)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Dropped 1 session ref " in out, out
    assert not index.exists() and ref_sha(repo, SID) is None
    assert Path(str(index.parent / f"{SID}.lock")).exists()


def test_an_unusable_state_dir_is_one_clear_error(repo: Path, tmp_path: Path) -> None:
    import subprocess

    from tests.support.checkpoints import CC_GUARD

    shas = _session(repo)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = dict(os.environ, CC_GUARD_HOME=str(blocker / "state"))  # cannot be created
    before = user_state(repo)
    for args in (["restore", shas[0][:10], "--yes"], ["diff", shas[0][:10]], ["prune"]):
        proc = subprocess.run(
            [str(CC_GUARD), *args], cwd=repo, capture_output=True, text=True, env=env
        )
        assert proc.returncode == 1, args
        assert "state dir" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert user_state(repo) == before


def test_undo_never_crosses_into_another_worktree(repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "side", str(linked))
    linked = linked.resolve()
    first = take_checkpoint(repo, SID, "UserPromptSubmit")
    assert first is not None
    (repo / "README.md").write_text("edited in the main tree\n")
    assert cli(repo, "restore", first[:10], "--yes").returncode == 0
    # The linked tree has the same README.md the restore wrote in the main tree.
    assert (linked / "README.md").read_text() == (repo / "README.md").read_text()
    undo = cli(linked, "restore", "--undo", "--yes")
    assert undo.returncode == 1 and "no restore to undo" in undo.stderr
    assert (linked / "README.md").read_text() == "# demo\n"
    assert cli(repo, "restore", "--undo", "--yes").returncode == 0
    assert (repo / "README.md").read_text() == "edited in the main tree\n"


def test_a_failing_smudge_filter_stops_the_restore_with_one_line(repo: Path) -> None:
    (repo / ".gitattributes").write_text("*.sec filter=vault\n")
    git(repo, "config", "filter.vault.clean", "cat")
    git(repo, "config", "filter.vault.smudge", "false")
    git(repo, "config", "filter.vault.required", "true")
    (repo / "a.sec").write_text("v1\n")
    first = take_checkpoint(repo, SID, "Stop")
    assert first is not None
    (repo / "a.sec").write_text("v2\n")
    proc = cli(repo, "restore", first[:10], "--yes")
    assert proc.returncode == 1 and "restore stopped" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (repo / "a.sec").read_text() == "v2\n"


def test_restore_never_writes_into_dot_git(repo: Path) -> None:
    import subprocess

    def git_in(*args: str, input_: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=repo, input=input_, capture_output=True, text=True, check=True
        ).stdout

    # A crafted "checkpoint" (any commit with the trailers) whose tree has .git/config.
    blob = git_in("hash-object", "-w", "--stdin", input_="[core]\n\tfsmonitor = evil\n")
    inner = git_in("mktree", input_=f"100644 blob {blob.strip()}\tnew-config\n").strip()
    top = git_in(
        "mktree",
        input_=f"040000 tree {inner}\t.git\n040000 tree {inner}\tsafe\n",
    ).strip()
    message = f"x\n\nCC-Guard-Session: {SID}\nCC-Guard-Event: Stop\n"
    crafted = git(repo, "commit-tree", top, "-m", message).strip()
    proc = cli(repo, "restore", crafted[:12], "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skip    .git/new-config" in proc.stdout
    assert not (repo / ".git" / "new-config").exists()
    assert (repo / "safe" / "new-config").exists()


def test_prune_help_describes_every_option(repo: Path) -> None:
    proc = cli(repo, "prune", "--help")
    text = " ".join(proc.stdout.split())
    assert "--older-than DAYS Drop sessions whose newest checkpoint is older" in text
    assert "--json Print JSON" in text


def test_prune_drops_an_orphaned_index_with_every_file_beside_it(
    repo: Path, isolated_env: dict[str, Path]
) -> None:
    """An index whose session ref is gone (deleted by hand, or a prune that died) goes
    after a day, and so do its tip cache and hashing progress: nothing is left behind."""
    assert take_checkpoint(repo, SID, "Stop") is not None
    state = isolated_env["state"] / "checkpoints"
    (index,) = state.rglob(f"{SID}.*.index")
    for suffix in (".tip", ".progress"):
        Path(str(index) + suffix).write_text("left over\n")
    git(repo, "update-ref", "-d", f"refs/cc-guard/{SID}")
    day_old = time.time() - 2 * 24 * 3600
    os.utime(index, (day_old, day_old))
    before = sorted(p.name for p in index.parent.iterdir())
    assert any(n.endswith(".index.tip") for n in before), before
    assert cli(repo, "prune").returncode == 0
    after = sorted(p.name for p in index.parent.iterdir())
    assert [n for n in after if n.startswith(SID) and not n.endswith(".lock")] == []
