"""A commit is a checkpoint only if its session id is one cc-guard could have written.

``restore`` reads the ``CC-Guard-Session`` trailer of whatever commit it is given; a
crafted commit (fetched from a remote, made by anyone with write access) must not turn
that trailer into a path: the safety checkpoint's lock files, private index and ref
are all named after it.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from cc_guard.checkpoints.history import list_checkpoints, list_sessions, parse_commit
from cc_guard.checkpoints.snapshot import (
    checkpoint_or_tip,
    index_path,
    lock_session,
    take_checkpoint,
)
from cc_guard.config import CheckpointsConfig
from cc_guard.git import find_repo
from tests.support.checkpoints import cli, git, make_repo, user_state

SID = "c0ffee00-1234-4abc-8def-000000000002"
BAD_IDS = ["../../../../outside", "/../x", "a/b", "..", "x\ny", "", "-rf", "a" * 200]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "work" / "repo")


def _crafted(repo: Path, session: str, files: dict[str, str]) -> str:
    """A commit with cc-guard's trailers, made by hand."""
    entries = []
    for name, text in files.items():
        blob = subprocess.run(
            ["git", "hash-object", "-w", "--stdin"],
            cwd=repo,
            input=text,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        entries.append(f"100644 blob {blob}\t{name}\n")
    tree = subprocess.run(
        ["git", "mktree"],
        cwd=repo,
        input="".join(entries),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    message = f"cc-guard: Stop\n\nCC-Guard-Session: {session}\nCC-Guard-Event: Stop\n"
    return git(repo, "commit-tree", tree, "-p", "HEAD", "-m", message).strip()


def test_restore_of_a_commit_whose_session_trailer_climbs_out_is_refused(
    repo: Path, tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    # Files a lock sweep or an index copy named after the trailer would hit.
    victim = tmp_path / "work" / "Cargo.lock"
    victim.write_text("[[package]]\n")
    (repo / ".git" / "index.lock").write_text("")  # a live git's lock, as far as we know
    state = isolated_env["state"]
    climb = "../" * (len(state.parts) + 2) + str(tmp_path / "work" / "Cargo")
    crafted = _crafted(repo, climb, {"README.md": "overwritten\n"})
    before = user_state(repo)
    proc = cli(repo, "restore", crafted[:12], "--yes")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not a cc-guard checkpoint" in proc.stderr and "Traceback" not in proc.stderr
    assert victim.read_text() == "[[package]]\n"
    assert (repo / ".git" / "index.lock").exists()
    assert user_state(repo) == before
    assert git(repo, "for-each-ref", "refs/cc-guard/") == ""


@pytest.mark.parametrize("bad", [b for b in BAD_IDS if "\n" not in b])
def test_a_commit_with_an_unusable_session_id_is_not_a_checkpoint(bad: str) -> None:
    record = f"{'a' * 40}\0{'b' * 40}\0{int(time.time())}\0x\n\nCC-Guard-Session: {bad}\n"
    assert parse_commit(record + "CC-Guard-Event: Stop\n") is None


@pytest.mark.parametrize("bad", BAD_IDS)
def test_every_function_that_names_a_path_after_a_session_refuses_a_bad_id(
    repo: Path, bad: str
) -> None:
    found = find_repo(repo, time.monotonic() + 60)
    assert found is not None
    with pytest.raises(ValueError):
        index_path(found, bad)
    with pytest.raises(ValueError):
        lock_session(found, bad, time.monotonic() + 5)
    with pytest.raises(ValueError):
        checkpoint_or_tip(repo, bad, "Stop", None, [], None, CheckpointsConfig())
    with pytest.raises(ValueError):
        take_checkpoint(repo, bad, "Stop")
    assert list_checkpoints(repo, bad) == []


def test_refs_with_unusable_names_are_not_listed_as_sessions(repo: Path) -> None:
    assert take_checkpoint(repo, SID, "Stop") is not None
    head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-ref", "refs/cc-guard/nested/deeper", head)  # e.g. fetched from a remote
    assert [s.session_id for s in list_sessions(repo)] == [SID]
