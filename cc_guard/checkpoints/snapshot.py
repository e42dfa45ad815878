"""Taking a checkpoint: the whole work tree as a commit on ``refs/cc-guard/<session>``.

Plumbing only, through a private index per session (``GIT_INDEX_FILE``) kept in
cc-guard's state dir between snapshots, so only files whose stat data changed are
hashed. HEAD, the user's index, branches, tags, stash, merge/rebase state, the
work tree and git config are never written.

Runs on the hook path: standard library only.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time

from cc_guard.base.claude import valid_session_id
from cc_guard.base.fs import append_line, write_atomic
from cc_guard.base.paths import state_root, state_subroot
from cc_guard.checkpoints.exclude import Excluder, nested_repo_ok
from cc_guard.config import CheckpointsConfig, checkpoints_config
from cc_guard.git import (
    IDENTITY,
    DeadlineExceeded,
    Git,
    GitError,
    Repo,
    clean_env,
    find_repo,
)

# Imports stay light (no dataclasses, datetime, shutil, contextlib, typing at import
# time): this module loads on every hook that may change files.
# Nor pathlib (it pulls in urllib.parse): paths are strings here; the functions other
# modules call still return Path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    StrPath = str | os.PathLike[str]

REF_PREFIX = "refs/cc-guard/"
_MAX_FILES_IN_MESSAGE = 30
_CAS_RETRIES = 3


class CheckpointBusy(Exception):
    """Another process held this session's lock for the whole time budget."""


def _key(text: str, length: int) -> str:
    """A short stable hex key for a path (not security relevant)."""
    data = text.encode("utf-8", "surrogateescape")
    try:
        from _sha1 import sha1  # type: ignore[import-not-found]  # builtin C module; hashlib loads OpenSSL
    except ImportError:  # pragma: no cover - other Python implementations
        from hashlib import sha1
    digest: str = sha1(data).hexdigest()
    return digest[:length]


def repo_state_dir(repo: Repo) -> Path:
    """cc-guard's private files for one repository (keyed by its common git dir)."""
    from pathlib import Path

    return Path(_repo_state_dir(repo))


def _repo_state_dir(repo: Repo) -> str:
    directory = os.path.join(state_subroot("checkpoints"), _key(repo.common, 16))
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700, exist_ok=True)
        # Lets `prune` find the repository an index belongs to.
        write_atomic(os.path.join(directory, "repo.txt"), repo.common + "\n", durable=False)
    return directory


def index_path(repo: Repo, session_id: str) -> Path:
    from pathlib import Path

    return Path(_index_file(repo, session_id))


def _index_file(repo: Repo, session_id: str) -> str:
    worktree = _key(repo.top, 12)
    return os.path.join(_repo_state_dir(repo), f"{session_id}.{worktree}.index")


def lock_session(repo: Repo, session_id: str, deadline: float) -> int:
    """Take the session's lock (one checkpoint at a time per session and repository).

    Returns the fd to pass to :func:`unlock_session`. flock(2) is released by the
    kernel when its holder dies, so a hook killed with SIGKILL never leaves a stale
    lock behind.
    """
    lock_file = os.path.join(_repo_state_dir(repo), f"{session_id}.lock")
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                raise CheckpointBusy(f"session {session_id} stayed locked")
            time.sleep(0.01)
    except BaseException:
        os.close(fd)
        raise


def unlock_session(fd: int) -> None:
    os.close(fd)  # closing the last fd releases the flock


class Snapshot:
    __slots__ = ("changed", "tree")

    def __init__(self, tree: str, changed: list[str]) -> None:
        self.tree = tree
        self.changed = changed


def take_checkpoint(
    cwd: StrPath,
    session_id: str,
    event: str,
    tool: str | None = None,
    files: Sequence[str] = (),
    prompt: str | None = None,
    *,
    settings: CheckpointsConfig | None = None,
) -> str | None:
    """Commit the work tree of the repository at ``cwd`` onto the session's ref.

    Returns the new checkpoint's sha, or None when nothing changed since the last one,
    ``cwd`` is not in a git work tree, checkpoints are disabled, or the time budget
    ran out (then an incident is recorded in ``<state>/checkpoint-incidents.jsonl``).
    """
    if not valid_session_id(session_id):
        raise ValueError(f"unusable session id {session_id!r}")
    cwd = os.fspath(cwd)
    settings = settings or checkpoints_config(cwd)  # cheap when no config file exists
    if not settings.enabled:
        return None
    started = time.monotonic()
    try:
        return checkpoint_or_tip(cwd, session_id, event, tool, files, prompt, settings)[1]
    except (DeadlineExceeded, CheckpointBusy) as exc:
        record_incident(cwd, session_id, event, str(exc), time.monotonic() - started)
        return None


def checkpoint_or_tip(
    cwd: StrPath,
    session_id: str,
    event: str,
    tool: str | None,
    files: Sequence[str],
    prompt: str | None,
    settings: CheckpointsConfig,
) -> tuple[str | None, str | None]:
    """Like take_checkpoint, but returns ``(tip, new)``: the session's newest checkpoint
    after the call (also when nothing changed) and the new one (None if unchanged).

    Raises DeadlineExceeded / CheckpointBusy instead of recording an incident: for
    callers (restore) that must not go on without a checkpoint of the current state.
    """
    deadline = time.monotonic() + settings.time_budget_seconds
    repo = find_repo(cwd, deadline)
    if repo is None:
        return None, None
    fd = lock_session(repo, session_id, deadline)
    try:
        return _checkpoint_locked(
            repo, session_id, event, tool, list(files), prompt, settings, deadline
        )
    finally:
        unlock_session(fd)


def record_incident(cwd: StrPath, session_id: str, event: str, reason: str, seconds: float) -> None:
    import json
    from datetime import UTC, datetime

    line = json.dumps(
        {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "session_id": session_id,
            "event": event,
            "cwd": os.fspath(cwd),
            "reason": reason,
            "seconds": round(seconds, 3),
        }
    )
    append_line(os.path.join(state_root(), "checkpoint-incidents.jsonl"), line)


def _checkpoint_locked(
    repo: Repo,
    session_id: str,
    event: str,
    tool: str | None,
    files: list[str],
    prompt: str | None,
    settings: CheckpointsConfig,
    deadline: float,
) -> tuple[str | None, str | None]:
    ref = REF_PREFIX + session_id
    index = _index_file(repo, session_id)
    _clear_stale_locks(repo, ref, index)
    git = Git(repo.top, deadline, clean_env({"GIT_INDEX_FILE": index, **IDENTITY}))
    tip = _read_tip(repo, git, ref, index)
    old = tip[0] if tip else None
    # The index is exactly as we left it after the last checkpoint: if this snapshot
    # updates nothing, its tree is that checkpoint's tree (no write-tree needed).
    known = tip[1] if tip is not None and tip[2] == _index_stamp(index) else None
    try:
        snap = snapshot_tree(repo, git, index, settings, known)
    except GitError:
        # git gc does not know the private index exists, so it can prune objects only
        # the index names (added by a snapshot abandoned before its commit); write-tree
        # then fails on every call. Start the index again from the user's, once.
        _unlink(index)
        snap = snapshot_tree(repo, git, index, settings)
    if tip is not None:
        if tip[1] == snap.tree:
            if known is None or snap.changed:  # the index was rewritten: new stamp
                _write_tip(index, tip[0], tip[1])
            return old, None
        parent: str | None = old
    else:
        parent = _resolve(git, "HEAD")
    # The precise per-checkpoint file list is read back with `git log --name-status`;
    # the message names what this snapshot re-added (no extra git process).
    changed = snap.changed
    message = format_message(session_id, event, tool, files, changed, prompt)
    for _ in range(_CAS_RETRIES):
        argv = ["commit-tree", "--no-gpg-sign", snap.tree]
        if parent is not None:
            argv += ["-p", parent]
        new = git.out(*argv, input=message.encode("utf-8", "surrogateescape"))
        # Compare-and-swap: the empty old value means "must not exist yet".
        proc = git.run("update-ref", "-m", f"cc-guard: {event}", ref, new, old or "", check=False)
        if proc.returncode == 0:
            _write_tip(index, new, snap.tree)
            return new, new
        current = _resolve(git, ref)
        if current == old:
            err = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"git update-ref failed: {err}")
        # Someone else (a restore, a prune) moved the ref: chain onto theirs.
        old = current
        parent = current if current is not None else _resolve(git, "HEAD")
    raise GitError(f"{ref} kept changing under us")


def _read_tip(repo: Repo, git: Git, ref: str, index: str) -> tuple[str, str, str] | None:
    """The session ref's commit and tree (and the index stamp saved with them), or None
    when the ref does not exist yet.

    Usually without a git process: the tree of the last checkpoint we wrote is cached
    beside the index and trusted only while the loose ref still names that commit.
    """
    try:
        with open(os.path.join(repo.common, ref), "rb") as fh:
            loose = fh.read().decode().strip()
        with open(index + ".tip", "rb") as fh:
            cached = fh.read().decode().split()
        if len(cached) == 3 and cached[0] == loose:
            return cached[0], cached[1], cached[2]
    except (OSError, UnicodeDecodeError):
        pass
    out = git.out("for-each-ref", "--format=%(objectname) %(tree)", ref).split()
    return (out[0], out[1], "") if len(out) == 2 else None


def _index_stamp(index: str) -> str:
    try:
        st = os.stat(index)
    except OSError:
        return "missing"
    return f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"


def _write_tip(index: str, commit: str, tree: str) -> None:
    # git rewrites the index through a lock file made with the umask (usually 0644);
    # state files are 0600 (chmod changes no field of the stamp).
    os.chmod(index, 0o600)
    write_atomic(index + ".tip", f"{commit} {tree} {_index_stamp(index)}\n", durable=False)


def _resolve(git: Git, rev: str) -> str | None:
    proc = git.run("rev-parse", "-q", "--verify", rev + "^{commit}", check=False)
    out = proc.stdout.decode().strip()
    return out if proc.returncode == 0 and out else None


def _clear_stale_locks(repo: Repo, ref: str, index: str) -> None:
    """Remove lock files a killed git left behind for our own index and ref.

    Only called while holding the session lock: no live cc-guard process can be
    writing them, so any that exist are stale.
    """
    for lock in (index + ".lock", os.path.join(repo.common, ref + ".lock")):
        _unlink(lock)


def _unlink(path: str) -> None:
    try:  # noqa: SIM105 - contextlib is not imported on the hook path
        os.unlink(path)
    except FileNotFoundError:
        pass


def snapshot_tree(
    repo: Repo, git: Git, index: StrPath, settings: CheckpointsConfig, known_tree: str | None = None
) -> Snapshot:
    """Bring the private index up to date with the work tree and write its tree.

    ``known_tree``: the index's tree when the caller knows it; used (skipping
    write-tree) only if nothing needed updating.
    """
    index = os.fspath(index)
    if not os.path.exists(index):
        _seed_index(repo, git, index, settings)
    excluder = Excluder(repo.top, settings)
    # The two halves of the scan `git add -A` does in one process, run at the same
    # time: stat every tracked file / read every directory. Faster than one
    # `ls-files -m -d -o` when a second core is free, never slower.
    # diff-files rather than `ls-files -m -d`: it stats in threads (core.preloadIndex)
    # and, like `git add -A`, also names files whose stat data alone changed, so
    # update-index refreshes them instead of every later scan re-reading them.
    # --ignore-submodules=dirty: a submodule counts as changed when its HEAD moved
    # (whatever .gitmodules says), and git never runs inside it to look for dirt.
    tracked_out, untracked_out = git.run_all(
        ("diff-files", "--name-only", "-z", "--ignore-submodules=dirty"),
        ("ls-files", "-z", "-o", "--exclude-standard"),
    )
    listing = [
        (True, p) for p in tracked_out.stdout.decode("utf-8", "surrogateescape").split("\0")
    ] + [(False, p) for p in untracked_out.stdout.decode("utf-8", "surrogateescape").split("\0")]
    update: list[str] = []
    force_remove: list[str] = []
    maybe_lfs: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for tracked, path in listing:
        if not path or path in seen:  # an unmerged path comes more than once
            continue
        seen.add(path)
        if path.endswith("/"):
            # An untracked nested repository: record its HEAD commit as a gitlink.
            if nested_repo_ok(os.path.join(repo.top, path)):
                update.append(path.rstrip("/"))
            continue
        if excluder.secret(path) or excluder.too_big(path):
            if tracked:
                force_remove.append(path)
            continue
        if excluder.lfs_possible(path):
            maybe_lfs.append((path, tracked))
            continue
        update.append(path)
    if maybe_lfs:
        update += _drop_lfs(git, maybe_lfs, repo.top)
    if update:
        _update_index(git, ["--add", "--remove", "--replace"], update)
    if force_remove:
        _update_index(git, ["--force-remove"], force_remove)
    if known_tree is not None and not update and not force_remove:
        return Snapshot(known_tree, [])
    tree = git.out("write-tree")
    return Snapshot(tree, sorted(set(update) | set(force_remove)))


def _drop_lfs(git: Git, candidates: list[tuple[str, bool]], toplevel: str) -> list[str]:
    """Keep Git LFS files out: their pointers stay as the seed index had them.

    Hashing LFS content on every snapshot is slow and bloats the object store; a
    deleted LFS file is still recorded as deleted.
    """
    names = [p for p, _ in candidates]
    out = git.run(
        "check-attr", "-z", "--stdin", "filter", input="\0".join(names).encode() + b"\0"
    ).stdout.decode("utf-8", "surrogateescape")
    fields = out.split("\0")
    lfs = {fields[i] for i in range(0, len(fields) - 2, 3) if fields[i + 2] == "lfs"}
    keep = []
    for path, _tracked in candidates:
        if path in lfs and os.path.exists(os.path.join(toplevel, path)):
            continue
        keep.append(path)
    return keep


def _update_index(git: Git, flags: list[str], paths_: list[str]) -> None:
    data = "\0".join(paths_).encode("utf-8", "surrogateescape") + b"\0"
    proc = git.run("update-index", "-z", *flags, "--stdin", input=data, check=False)
    if proc.returncode == 0:
        return
    # update-index stops at the first path it cannot read (a file removed or made
    # unreadable mid-snapshot): retry path by path and leave out the bad ones.
    for path in paths_:
        git.run("update-index", *flags, "--", path, check=False)


def _seed_index(repo: Repo, git: Git, index: str, settings: CheckpointsConfig) -> None:
    """Start the private index from the user's index, without re-hashing.

    The user's index has valid stat data for every tracked file, so copying it (with
    its mtime, which git's racy-entry check compares against) means the first
    snapshot hashes only what differs from it. The user's file is only read.
    """
    import shutil

    user_index = os.path.join(repo.gitdir, "index")
    tmp = f"{index}.seed.{os.getpid()}"
    # Finished in the temp file and renamed last: a hook killed half way must not
    # leave an index that still holds the user's tracked secrets.
    seed = Git(git.cwd, git.deadline, dict(git.env, GIT_INDEX_FILE=tmp))
    try:
        try:
            shutil.copy2(user_index, tmp)
        except FileNotFoundError:
            _unlink(tmp)
            if _resolve(git, "HEAD") is None:
                return  # unborn branch, no index: start empty
            seed.run("read-tree", "HEAD")
        os.chmod(tmp, 0o600)
        # Drop what the user tracks but checkpoints must not hold (secrets, big files).
        excluder = Excluder(repo.top, settings)
        listing = seed.run("ls-files", "-z").stdout.decode("utf-8", "surrogateescape")
        drop = [
            p
            for p in dict.fromkeys(listing.split("\0"))
            if p and (excluder.secret(p) or excluder.too_big(p))
        ]
        if drop:
            _update_index(seed, ["--force-remove"], drop)
        os.replace(tmp, index)
    finally:
        _unlink(tmp)
        _unlink(tmp + ".lock")


def format_message(
    session_id: str,
    event: str,
    tool: str | None,
    files: Sequence[str],
    changed: Sequence[str],
    prompt: str | None,
) -> str:
    # File names can hold newlines: one line each, so none can pass for a trailer.
    files = [_one_line(f) for f in files]
    changed = [_one_line(f) for f in changed]
    subject = f"cc-guard: {event}" + (f" {tool}" if tool else "")
    named = [f for f in files if f]
    if named:
        subject += " " + ", ".join(named[:3]) + (" ..." if len(named) > 3 else "")
    lines = [subject[:200], ""]
    if prompt:
        first = prompt.strip().splitlines()[0] if prompt.strip() else ""
        if first:
            lines += [f"Prompt: {first[:200]}", ""]
    if changed:
        lines.append(f"Files ({len(changed)}):")
        lines += [f"  {p}" for p in changed[:_MAX_FILES_IN_MESSAGE]]
        if len(changed) > _MAX_FILES_IN_MESSAGE:
            lines.append(f"  ... and {len(changed) - _MAX_FILES_IN_MESSAGE} more")
        lines.append("")
    lines.append(f"CC-Guard-Session: {session_id}")
    lines.append(f"CC-Guard-Event: {event}")
    if tool:
        lines.append(f"CC-Guard-Tool: {tool}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
