"""Shared helpers for the checkpoint tests: real repos, the real hook, user-state probes."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

CC_GUARD = Path(sys.executable).parent / "cc-guard"


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env
    ).stdout


def make_repo(path: Path) -> Path:
    """A repo with tracked, untracked and ignored files and one commit."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    (path / "README.md").write_text("# demo\n")
    (path / "src").mkdir()
    (path / "src" / "app.py").write_text("print('hi')\n")
    (path / "run.sh").write_text("#!/bin/sh\necho run\n")
    (path / "run.sh").chmod(0o755)
    (path / ".gitignore").write_text("*.log\nbuild/\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    (path / "notes.txt").write_text("untracked notes\n")
    (path / "debug.log").write_text("ignored\n")
    (path / "build").mkdir()
    (path / "build" / "out.bin").write_bytes(b"\0ignored")
    return path.resolve()


def run_hook(
    event: str,
    payload: dict[str, Any] | str | bytes,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """The real console script, as Claude Code runs it."""
    data = (
        payload
        if isinstance(payload, bytes)
        else (payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
    )
    return subprocess.run(
        [str(CC_GUARD), "hook", event],
        input=data,
        capture_output=True,
        timeout=timeout,
        env=env,
    )


def cli(cwd: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CC_GUARD), *args], cwd=cwd, capture_output=True, text=True, input=input, timeout=120
    )


def tool_payload(
    repo: Path, session: str, tool: str = "Write", event: str = "PostToolUse", **extra: Any
) -> dict[str, Any]:
    return {
        "session_id": session,
        "cwd": str(repo),
        "transcript_path": "",
        "hook_event_name": event,
        "tool_name": tool,
        "tool_input": {},
        **extra,
    }


def user_state(repo: Path) -> dict[str, Any]:
    """Everything checkpoints must never change (besides refs/cc-guard/*)."""
    gd = Path(git(repo, "rev-parse", "--absolute-git-dir").strip())
    common = Path(git(repo, "rev-parse", "--git-common-dir").strip())
    common = common if common.is_absolute() else (repo / common).resolve()
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0")
    refs = [
        line
        for line in git(repo, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
        if not line.startswith("refs/cc-guard/")
    ]
    special = {}
    for name in ("HEAD", "MERGE_HEAD", "ORIG_HEAD", "CHERRY_PICK_HEAD", "index", "index.lock"):
        p = gd / name
        special[name] = p.read_bytes() if p.exists() else None
    rebase = (
        sorted(
            str(p.relative_to(gd))
            for d in ("rebase-merge", "rebase-apply")
            for p in (gd / d).rglob("*")
        )
        if any((gd / d).exists() for d in ("rebase-merge", "rebase-apply"))
        else []
    )
    return {
        "special": special,
        "refs": refs,
        "stash": git(repo, "stash", "list", env=env),
        "config": (common / "config").read_bytes(),
        "status": git(
            repo, "status", "--porcelain=v1", "-z", "--ignored", "--untracked-files=all", env=env
        ),
        "worktree": worktree_files(repo),
        "rebase": rebase,
    }


def _blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def worktree_files(repo: Path) -> dict[str, tuple[str, str]]:
    """Every file in the work tree (not .git): path -> (git mode, blob sha)."""
    out: dict[str, tuple[str, str]] = {}
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, repo)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("120000", _blob(os.fsencode(os.readlink(full))))
            else:
                mode = "100755" if st.st_mode & 0o100 else "100644"
                out[rel] = (mode, _blob(Path(full).read_bytes()))
    return out


def expected_tree(repo: Path, excluded: set[str] = frozenset()) -> dict[str, tuple[str, str]]:  # type: ignore[assignment]
    """What a checkpoint should hold: the work tree minus ignored and excluded files."""
    import tempfile

    empty_index = Path(tempfile.gettempdir()) / f"cc-guard-test-no-index-{os.getpid()}"
    env = dict(os.environ, GIT_INDEX_FILE=str(empty_index))
    listed = git(repo, "ls-files", "-z", "-o", "--exclude-standard", env=env).split("\0")
    files = worktree_files(repo)
    return {p: files[p] for p in listed if p and p in files and p not in excluded}


def tree_of(repo: Path, rev: str) -> dict[str, tuple[str, str]]:
    out = git(repo, "ls-tree", "-r", "-z", "--full-tree", rev)
    entries = {}
    for item in out.split("\0"):
        if item:
            meta, path = item.split("\t", 1)
            mode, _t, sha = meta.split()
            entries[path] = (mode, sha)
    return entries


def ref_sha(repo: Path, session: str) -> str | None:
    proc = subprocess.run(
        ["git", "rev-parse", "-q", "--verify", f"refs/cc-guard/{session}"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def fsck_clean(repo: Path) -> None:
    proc = subprocess.run(
        ["git", "fsck", "--no-progress"], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "error" not in proc.stderr.lower(), proc.stderr


def test_expected_tree_ignores_ignored_files(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    tree = expected_tree(repo)
    assert "notes.txt" in tree and "src/app.py" in tree
    assert "debug.log" not in tree and "build/out.bin" not in tree
    assert tree["run.sh"][0] == "100755"
