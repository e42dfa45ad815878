"""Property test: random work-tree changes interleaved with checkpoints.

A checkpoint step either calls the snapshot API in-process or runs the real
``cc-guard hook PostToolUse`` process with Claude Code's payload on stdin, so the
whole hook path (stdin, dispatch, handler, git) is under the property too.

After each checkpoint the newest checkpoint's tree is the work tree minus ignored
and excluded files, and HEAD, the index bytes, refs, stash and untracked files are
exactly as the user left them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cc_guard.checkpoints.exclude import Excluder
from cc_guard.checkpoints.snapshot import take_checkpoint
from cc_guard.config import CheckpointsConfig as Settings
from tests.support.checkpoints import (
    expected_tree,
    git,
    make_repo,
    ref_sha,
    tree_of,
    user_state,
)

NAMES = st.sampled_from(["a.txt", "b.py", "c.md", "d.log", ".env", "key.pem", "e", "f.sh"])
DIRS = st.sampled_from(["", "src", "src/deep", "new", "build", "docs/x"])
CONTENT = st.binary(min_size=0, max_size=64)

OPS = st.one_of(
    st.tuples(st.just("write"), DIRS, NAMES, CONTENT),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("rename"), st.integers(0, 50), DIRS, NAMES),
    st.tuples(st.just("chmod"), st.integers(0, 50)),
    st.tuples(st.just("mkdir"), DIRS, NAMES),
    st.tuples(st.just("symlink"), DIRS, NAMES, st.integers(0, 50)),
    st.tuples(st.just("checkpoint"), st.booleans()),
)
EXCLUDED_NAMES = {".env", "key.pem"}


def _files(repo: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        out += [Path(dirpath) / f for f in sorted(filenames)]
    return out


def _apply(repo: Path, op: tuple[object, ...]) -> None:
    kind = op[0]
    files = _files(repo)
    if kind == "write":
        _, d, name, content = op
        target = repo / str(d) / str(name)
        if (target.parent.exists() and not target.parent.is_dir()) or target.is_dir():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()
        target.write_bytes(content)  # type: ignore[arg-type]
    elif kind == "delete" and files:
        files[int(op[1]) % len(files)].unlink()  # type: ignore[call-overload]
    elif kind == "rename" and files:
        src = files[int(op[1]) % len(files)]  # type: ignore[call-overload]
        dst = repo / str(op[2]) / str(op[3])
        if dst.exists() or dst.is_symlink() or (dst.parent.exists() and not dst.parent.is_dir()):
            return
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.rename(src, dst)
    elif kind == "chmod" and files:
        f = files[int(op[1]) % len(files)]  # type: ignore[call-overload]
        if not f.is_symlink():
            f.chmod(f.stat().st_mode ^ 0o111)
    elif kind == "mkdir":
        d = repo / str(op[1]) / f"dir-{op[2]}"
        if not d.parent.exists() or d.parent.is_dir():
            d.mkdir(parents=True, exist_ok=True)
            if not (d / "inner.txt").exists():
                (d / "inner.txt").write_text("inner\n")
    elif kind == "symlink" and files:
        link = repo / str(op[1]) / f"link-{op[2]}"
        target = files[int(op[3]) % len(files)]  # type: ignore[call-overload]
        if link.exists() or link.is_symlink() or not link.parent.is_dir():
            return
        os.symlink(os.path.relpath(target, link.parent), link)


def _excluded(repo: Path) -> set[str]:
    """Files matching the default secret patterns (.env*, *.pem, ...), symlinks included."""
    excluder = Excluder(repo, Settings())
    rels = [str(p.relative_to(repo)) for p in _files(repo)]
    found = {r for r in rels if excluder.secret(r)}
    assert {r for r in rels if Path(r).name in EXCLUDED_NAMES} <= found
    return found


def _hook_process(repo: Path, sid: str) -> str | None:
    """Run ``cc-guard hook PostToolUse`` as Claude Code does; the new checkpoint, if any."""
    before = ref_sha(repo, sid)
    payload = {
        "session_id": sid,
        "transcript_path": str(repo / ".no-transcript.jsonl"),
        "cwd": str(repo),
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "true"},
        "tool_use_id": "toolu_prop",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cc_guard", "hook", "PostToolUse"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=repo,
    )
    assert done.returncode == 0, done.stderr
    after = ref_sha(repo, sid)
    return after if after != before else None


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(OPS, min_size=1, max_size=14))
def test_newest_checkpoint_is_the_work_tree_and_user_state_is_untouched(
    ops: list[tuple[object, ...]],
) -> None:
    base = Path(tempfile.mkdtemp(prefix="cc-guard-prop-"))
    try:
        repo = make_repo(base / "repo")
        git(repo, "stash", "list")
        (repo / "notes.txt").write_text("stash me\n")
        git(repo, "add", "notes.txt")
        git(repo, "stash", "push", "-q")
        (repo / "staged.txt").write_text("staged by the user\n")
        git(repo, "add", "staged.txt")
        sid = "prop-session"
        for op in [*ops, ("checkpoint", True)]:
            if op[0] != "checkpoint":
                _apply(repo, op)
                continue
            before = user_state(repo)
            previous = ref_sha(repo, sid)
            if op[1]:
                sha = _hook_process(repo, sid)
            else:
                sha = take_checkpoint(repo, sid, "PostToolUse", "Bash")
            newest = ref_sha(repo, sid)
            assert newest is not None
            assert sha is None or sha == newest
            if sha is None:
                assert newest == previous
            assert tree_of(repo, newest) == expected_tree(repo, _excluded(repo))
            assert user_state(repo) == before
    finally:
        shutil.rmtree(base, ignore_errors=True)
