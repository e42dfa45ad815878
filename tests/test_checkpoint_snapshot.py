"""take_checkpoint on real repos: what goes in, what stays out, what is never touched."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from cc_guard.checkpoints.history import list_checkpoints
from cc_guard.checkpoints.snapshot import index_path, take_checkpoint
from cc_guard.config import CheckpointsConfig as Settings
from cc_guard.git import find_repo
from tests.support.checkpoints import (
    expected_tree,
    fsck_clean,
    git,
    make_repo,
    ref_sha,
    tree_of,
    user_state,
)

SID = "0b6f6c1e-4c1a-4a57-9d7e-5d1f2f0a1b2c"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def test_first_checkpoint_is_the_work_tree_on_top_of_head(repo: Path) -> None:
    before = user_state(repo)
    sha = take_checkpoint(repo, SID, "UserPromptSubmit", prompt="fix the bug\nplease")
    assert sha is not None and ref_sha(repo, SID) == sha
    assert git(repo, "rev-parse", f"{sha}^").strip() == git(repo, "rev-parse", "HEAD").strip()
    assert tree_of(repo, sha) == expected_tree(repo)
    assert user_state(repo) == before
    message = git(repo, "log", "-1", "--format=%B", sha)
    assert "Prompt: fix the bug" in message and "please" not in message
    trailers = git(repo, "log", "-1", "--format=%(trailers:only,unfold)", sha)
    assert f"CC-Guard-Session: {SID}" in trailers and "CC-Guard-Event: UserPromptSubmit" in trailers
    assert git(repo, "log", "-1", "--format=%an", sha).strip() == "cc-guard"


def test_unchanged_tree_makes_no_checkpoint_and_changes_chain(repo: Path) -> None:
    first = take_checkpoint(repo, SID, "UserPromptSubmit")
    assert take_checkpoint(repo, SID, "Stop") is None
    (repo / "src" / "app.py").write_text("print('changed')\n")
    (repo / "README.md").unlink()
    second = take_checkpoint(repo, SID, "PostToolUse", "Edit", ["src/app.py"])
    assert second is not None
    assert git(repo, "rev-parse", f"{second}^").strip() == first
    assert tree_of(repo, second) == expected_tree(repo)
    chain = list_checkpoints(repo, SID)
    assert [c.sha for c in chain] == [second, first]
    assert chain[0].tool == "Edit" and chain[0].event == "PostToolUse"
    assert sorted(chain[0].files) == ["README.md", "src/app.py"]
    assert "CC-Guard-Tool: Edit" in git(repo, "log", "-1", "--format=%B", second)


def test_secrets_big_files_and_tracked_secrets_stay_out(repo: Path) -> None:
    (repo / "config.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    (repo / ".env.local").write_text("TOKEN=abc\n")
    (repo / "sub").mkdir()
    (repo / "sub" / "id_rsa").write_text("key\n")
    (repo / "big.dat").write_bytes(b"x" * 3 * 1024 * 1024)
    (repo / ".env").write_text("OLD=1\n")
    git(repo, "add", "-f", ".env")
    git(repo, "commit", "-q", "-m", "user tracks a secret")
    settings = Settings(max_file_mb=1)
    sha = take_checkpoint(repo, SID, "Stop", settings=settings)
    assert sha is not None
    tree = tree_of(repo, sha)
    excluded = {"config.pem", ".env.local", "sub/id_rsa", "big.dat", ".env"}
    assert not excluded & set(tree)
    assert tree == expected_tree(repo, excluded)
    # A secret that appears later, and a file that grows past the limit, stay out too.
    (repo / "notes.txt").write_bytes(b"y" * 2 * 1024 * 1024)
    (repo / "server.key").write_text("k\n")
    sha2 = take_checkpoint(repo, SID, "Stop", settings=settings)
    assert sha2 is not None
    assert "notes.txt" not in tree_of(repo, sha2) and "server.key" not in tree_of(repo, sha2)


def test_lfs_files_keep_their_pointer(repo: Path) -> None:
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 5\n"
    (repo / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n")
    (repo / "model.bin").write_text(pointer)
    git(repo, "add", ".gitattributes", "model.bin")
    git(repo, "commit", "-q", "-m", "lfs")
    pointer_blob = tree_of(repo, "HEAD")["model.bin"]
    (repo / "model.bin").write_bytes(os.urandom(4096))  # smudged content
    (repo / "new.bin").write_bytes(os.urandom(4096))
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None
    tree = tree_of(repo, sha)
    assert tree["model.bin"] == pointer_blob
    assert "new.bin" not in tree


def test_nested_repositories_are_gitlinks_and_never_entered(repo: Path) -> None:
    nested = repo / "vendor" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q", "-b", "main")
    (nested / "x.py").write_text("x = 1\n")
    git(nested, "add", "x.py")
    git(nested, "commit", "-q", "-m", "lib")
    unborn = repo / "scratch"
    unborn.mkdir()
    git(unborn, "init", "-q")
    (unborn / "y").write_text("y\n")
    nested_state = user_state(nested)
    (repo / "other.txt").write_text("still recorded\n")
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None
    tree = tree_of(repo, sha)
    assert tree["vendor/lib"] == ("160000", git(nested, "rev-parse", "HEAD").strip())
    assert "vendor/lib/x.py" not in tree
    assert not any(p.startswith("scratch") for p in tree)
    assert "other.txt" in tree
    assert (nested / ".git").is_dir() and (unborn / ".git").is_dir()
    assert user_state(nested) == nested_state


def test_a_tracked_submodule_is_recorded_by_its_head_and_never_entered(repo: Path) -> None:
    sub = repo / "sub"
    sub.mkdir()
    git(sub, "init", "-q", "-b", "main")
    (sub / "x.py").write_text("x = 1\n")
    git(sub, "add", "x.py")
    git(sub, "commit", "-q", "-m", "one")
    # A gitlink in the user's index; .gitmodules asks diffs to ignore it entirely.
    (repo / ".gitmodules").write_text(
        '[submodule "sub"]\n\tpath = sub\n\turl = ./sub\n\tignore = all\n'
    )
    git(repo, "add", ".gitmodules", "sub")
    git(repo, "commit", "-q", "-m", "add sub")
    take_checkpoint(repo, SID, "UserPromptSubmit")
    (sub / "x.py").write_text("x = 2\n")
    git(sub, "commit", "-q", "-am", "two")
    (sub / "dirty.txt").write_text("not committed\n")
    sub_state = user_state(sub)
    sha = take_checkpoint(repo, SID, "PostToolUse", "Bash")
    assert sha is not None
    tree = tree_of(repo, sha)
    assert tree["sub"] == ("160000", git(sub, "rev-parse", "HEAD").strip())
    assert not any(p.startswith("sub/") for p in tree)
    assert user_state(sub) == sub_state


def test_a_file_touched_but_unchanged_makes_no_checkpoint(repo: Path) -> None:
    first = take_checkpoint(repo, SID, "UserPromptSubmit")
    assert first is not None
    path = repo / "README.md"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert take_checkpoint(repo, SID, "PostToolUse", "Bash") is None
    path.write_text(path.read_text() + "more\n")
    second = take_checkpoint(repo, SID, "PostToolUse", "Edit")
    assert second is not None and tree_of(repo, second) == expected_tree(repo)
    assert "README.md" in git(repo, "show", "-s", "--format=%B", second)


def test_type_changes_and_directory_swaps(repo: Path) -> None:
    take_checkpoint(repo, SID, "UserPromptSubmit")
    (repo / "README.md").unlink()
    (repo / "README.md").mkdir()
    (repo / "README.md" / "index.md").write_text("now a dir\n")
    (repo / "src" / "app.py").unlink()
    os.symlink("../run.sh", repo / "src" / "app.py")
    (repo / "run.sh").chmod(0o644)
    sha = take_checkpoint(repo, SID, "PostToolUse", "Bash")
    assert sha is not None
    assert tree_of(repo, sha) == expected_tree(repo)
    assert tree_of(repo, sha)["src/app.py"][0] == "120000"
    assert tree_of(repo, sha)["run.sh"][0] == "100644"


def test_private_index_is_kept_between_snapshots(repo: Path) -> None:
    take_checkpoint(repo, SID, "UserPromptSubmit")
    found = find_repo(repo, time.monotonic() + 60)
    assert found is not None
    index = index_path(found, SID)
    assert index.exists()
    mtime = index.stat().st_mtime_ns
    assert take_checkpoint(repo, SID, "Stop") is None
    (repo / "notes.txt").write_text("changed\n")
    assert take_checkpoint(repo, SID, "Stop") is not None
    assert index.stat().st_mtime_ns >= mtime
    # The private index is not the user's.
    assert index.resolve() != (repo / ".git" / "index").resolve()


def test_time_budget_abandons_cleanly_and_records_an_incident(
    repo: Path, isolated_env: dict[str, Path]
) -> None:
    first = take_checkpoint(repo, SID, "UserPromptSubmit")
    (repo / "notes.txt").write_text("changed\n")
    before = user_state(repo)
    assert take_checkpoint(repo, SID, "Stop", settings=Settings(time_budget_seconds=0.0001)) is None
    incidents = (isolated_env["state"] / "checkpoint-incidents.jsonl").read_text().splitlines()
    record = json.loads(incidents[-1])
    assert record["session_id"] == SID and record["event"] == "Stop"
    assert ref_sha(repo, SID) == first
    assert user_state(repo) == before
    fsck_clean(repo)
    assert take_checkpoint(repo, SID, "Stop") is not None


def test_stale_lock_files_from_a_killed_git_are_cleared(repo: Path) -> None:
    take_checkpoint(repo, SID, "UserPromptSubmit")
    found = find_repo(repo, time.monotonic() + 60)
    assert found is not None
    Path(str(index_path(found, SID)) + ".lock").write_text("")
    ref_lock = repo / ".git" / "refs" / "cc-guard" / f"{SID}.lock"
    ref_lock.write_text("")
    (repo / "notes.txt").write_text("changed\n")
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None and ref_sha(repo, SID) == sha
    assert not ref_lock.exists()


def test_disabled_and_bad_session_ids(repo: Path) -> None:
    assert take_checkpoint(repo, SID, "Stop", settings=Settings(enabled=False)) is None
    assert ref_sha(repo, SID) is None
    with pytest.raises(ValueError):
        take_checkpoint(repo, "../../heads/main", "Stop")


def test_ref_moved_by_someone_else_is_chained_not_clobbered(repo: Path) -> None:
    first = take_checkpoint(repo, SID, "UserPromptSubmit")
    assert first is not None
    # Another writer appends to the chain behind our back (as a restore would).
    other = git(
        repo,
        "commit-tree",
        f"{first}^{{tree}}",
        "-p",
        first,
        "-m",
        f"x\n\nCC-Guard-Session: {SID}\nCC-Guard-Event: PreRestore\n",
    ).strip()
    git(repo, "update-ref", f"refs/cc-guard/{SID}", other, first)
    (repo / "notes.txt").write_text("changed\n")
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None
    assert git(repo, "rev-parse", f"{sha}^").strip() == other


def test_state_files_are_private(repo: Path, isolated_env: dict[str, Path]) -> None:
    take_checkpoint(repo, SID, "UserPromptSubmit")
    (repo / "notes.txt").write_text("changed\n")
    assert take_checkpoint(repo, SID, "Stop") is not None
    found = sorted((isolated_env["state"] / "checkpoints").rglob("*"))
    assert any(p.name.endswith(".index") for p in found)
    for path in found:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_a_seed_cut_short_leaves_no_index_holding_tracked_secrets(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cc_guard.checkpoints import snapshot
    from cc_guard.git import DeadlineExceeded

    (repo / ".env").write_text("TOKEN=abc\n")
    git(repo, "add", "-f", ".env")

    def killed(*args: object) -> None:  # the budget runs out while secrets are dropped
        raise DeadlineExceeded("simulated")

    with monkeypatch.context() as m:
        m.setattr(snapshot, "_update_index", killed)
        assert take_checkpoint(repo, SID, "Stop") is None
    found = find_repo(repo, time.monotonic() + 60)
    assert found is not None
    from cc_guard.base.fs import temp_owner

    leftovers = [
        p.name for p in index_path(found, SID).parent.iterdir() if temp_owner(p.name) is not None
    ]
    assert leftovers == []
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None and ".env" not in tree_of(repo, sha)


def test_an_index_naming_objects_gc_pruned_is_rebuilt(repo: Path) -> None:
    assert take_checkpoint(repo, SID, "UserPromptSubmit") is not None
    found = find_repo(repo, time.monotonic() + 60)
    assert found is not None
    # A snapshot abandoned after update-index, before its commit: the blob is named
    # only by the private index, which git gc does not know about.
    (repo / "notes.txt").write_text("written, never committed\n")
    env = dict(os.environ, GIT_INDEX_FILE=str(index_path(found, SID)))
    git(repo, "update-index", "--add", "notes.txt", env=env)
    git(repo, "gc", "-q", "--prune=now")
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None
    assert tree_of(repo, sha) == expected_tree(repo)
    fsck_clean(repo)


def test_file_names_with_newlines_cannot_forge_trailers(repo: Path) -> None:
    forged = "x\nCC-Guard-Tool: Forged\nCC-Guard-Event: Forged"
    (repo / forged).write_text("odd name\n")
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None and forged in tree_of(repo, sha)
    newest = list_checkpoints(repo, SID)[0]
    assert newest.sha == sha and newest.event == "Stop" and newest.tool is None


def test_every_default_secret_stays_out_with_and_without_a_config_file(
    repo: Path, isolated_env: dict[str, Path]
) -> None:
    """The hook path without a config file and the config's defaults are one list."""
    secrets = {".pgpass", "credentials.json", ".netrc", "deploy.jks", "id_ed25519.pub"}
    for name in secrets:
        (repo / name).write_text("secret\n")
    (repo / "ok.txt").write_text("fine\n")
    sha = take_checkpoint(repo, SID, "Stop")  # no config file: the hook's own defaults
    assert sha is not None
    assert not secrets & set(tree_of(repo, sha))
    assert "ok.txt" in tree_of(repo, sha)
    config = isolated_env["config"]
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[checkpoints]\nmax_file_mb = 5\n")  # a config file, exclude unset
    (repo / "ok.txt").write_text("changed\n")
    sha2 = take_checkpoint(repo, "other-" + SID, "Stop")
    assert sha2 is not None
    assert not secrets & set(tree_of(repo, sha2))
