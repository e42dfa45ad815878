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
from cc_guard.base.fs import append_line, sweep_temp_tree, temp_name, write_atomic
from cc_guard.base.paths import state_root, state_subroot
from cc_guard.checkpoints.exclude import Excluder, nested_repo_ok
from cc_guard.checkpoints.progress import (
    Progress,
    clear_behind,
    hash_in_batches,
    mark_behind,
)
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
#: Written into the tip cache beside each private index; an index whose cache says
#: otherwise was seeded by an older cc-guard and is seeded again. 2: the user's
#: assume-unchanged and skip-worktree flags are cleared in the private index.
INDEX_FORMAT = "2"
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


def repo_key(repo: Repo) -> str:
    """The name of the repository's directory under ``<state>/checkpoints``."""
    return _key(repo.common, 16)


def _repo_state_dir(repo: Repo) -> str:
    directory = os.path.join(state_subroot("checkpoints"), repo_key(repo))
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700, exist_ok=True)
        # Lets `prune` find the repository an index belongs to.
        write_atomic(os.path.join(directory, "repo.txt"), repo.common + "\n", durable=False)
    return directory


def check_session_id(session_id: str) -> None:
    """ValueError unless ``session_id`` may name files and refs (every function here
    that turns one into a path or a ref calls this first)."""
    if not valid_session_id(session_id):
        raise ValueError(f"unusable session id {session_id!r}")


def index_path(repo: Repo, session_id: str) -> Path:
    from pathlib import Path

    return Path(_index_file(repo, session_id))


def _index_file(repo: Repo, session_id: str) -> str:
    check_session_id(session_id)
    worktree = _key(repo.top, 12)
    return os.path.join(_repo_state_dir(repo), f"{session_id}.{worktree}.index")


def lock_session(repo: Repo, session_id: str, deadline: float) -> int:
    """Take the session's lock (one checkpoint at a time per session and repository).

    Returns the fd to pass to :func:`unlock_session`. flock(2) is released by the
    kernel when the last process holding it dies, so a hook killed with SIGKILL never
    leaves a stale lock behind. The fd is inherited by the git processes the hook
    starts: a git that outlives its hook (Claude Code kills a hook past its timeout,
    not the hook's children) still holds the lock, so the next hook waits for it
    instead of taking its ``index.lock`` for a stale one.
    """
    check_session_id(session_id)
    lock_file = os.path.join(_repo_state_dir(repo), f"{session_id}.lock")
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.set_inheritable(fd, True)
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
    """A tree of the work tree, and what it could not hold in time.

    ``changed``: the paths this snapshot updated in the index. ``pending``: changed
    paths the time ran out for (the tree has their previous state);
    ``slow``: paths left out because they cannot be hashed within the budget.
    """

    __slots__ = ("changed", "pending", "pending_bytes", "slow", "tree")

    def __init__(
        self,
        tree: str,
        changed: list[str],
        pending: list[str] | None = None,
        pending_bytes: int = 0,
        slow: list[str] | None = None,
    ) -> None:
        self.tree = tree
        self.changed = changed
        self.pending = pending or []
        self.pending_bytes = pending_bytes
        self.slow = slow or []

    @property
    def complete(self) -> bool:
        return not self.pending and not self.slow


def _reserve(budget: float) -> float:
    """Seconds of the budget kept for write-tree, commit-tree and update-ref."""
    return min(0.5 * budget, max(0.2, 0.25 * budget))


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
    check_session_id(session_id)
    cwd = os.fspath(cwd)
    settings = settings or checkpoints_config(cwd)  # cheap when no config file exists
    if not settings.enabled:
        return None
    started = time.monotonic()
    try:
        return checkpoint_or_tip(cwd, session_id, event, tool, files, prompt, settings)[1]
    except (DeadlineExceeded, CheckpointBusy) as exc:
        kind = "busy" if isinstance(exc, CheckpointBusy) else "timeout"
        record_incident(cwd, session_id, event, str(exc), time.monotonic() - started, kind)
        return None


def checkpoint_or_tip(
    cwd: StrPath,
    session_id: str,
    event: str,
    tool: str | None,
    files: Sequence[str],
    prompt: str | None,
    settings: CheckpointsConfig,
    *,
    partial_ok: bool = True,
) -> tuple[str | None, str | None]:
    """Like take_checkpoint, but returns ``(tip, new)``: the session's newest checkpoint
    after the call (also when nothing changed) and the new one (None if unchanged).

    Raises DeadlineExceeded / CheckpointBusy instead of recording an incident: for
    callers (restore) that must not go on without a checkpoint of the current state;
    with ``partial_ok=False`` also when the budget ran out before every changed file
    was hashed (no checkpoint is taken then).
    """
    check_session_id(session_id)
    deadline = time.monotonic() + settings.time_budget_seconds
    repo = find_repo(cwd, deadline)
    if repo is None:
        return None, None
    try:
        fd = lock_session(repo, session_id, deadline)
        try:
            return _checkpoint_locked(
                repo, session_id, event, tool, list(files), prompt, settings, deadline, partial_ok
            )
        finally:
            unlock_session(fd)
    except (DeadlineExceeded, CheckpointBusy) as exc:
        _behind(repo, session_id, None, 0, str(exc))
        raise


def _behind(repo: Repo, session_id: str, files: int | None, size: int, reason: str) -> None:
    try:  # noqa: SIM105 - contextlib is not imported on the hook path
        mark_behind(_repo_state_dir(repo), session_id, files, size, reason)
    except OSError:
        pass  # a full state dir: the incident log says it, if it can


def record_incident(
    cwd: StrPath,
    session_id: str,
    event: str,
    reason: str,
    seconds: float,
    kind: str = "timeout",
) -> None:
    """One line in ``<state>/checkpoint-incidents.jsonl``. ``kind``: ``timeout`` (no
    checkpoint), ``busy`` (the session stayed locked), ``partial`` (a checkpoint of
    what was hashed in time)."""
    import json
    from datetime import UTC, datetime

    line = json.dumps(
        {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "session_id": session_id,
            "event": event,
            "cwd": os.fspath(cwd),
            "kind": kind,
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
    partial_ok: bool = True,
) -> tuple[str | None, str | None]:
    started = time.monotonic()
    ref = REF_PREFIX + session_id
    index = _index_file(repo, session_id)
    _clear_stale_locks(repo, ref, index)
    git = Git(repo.top, deadline, clean_env({"GIT_INDEX_FILE": index, **IDENTITY}))
    tip, index_format = _read_tip(repo, git, ref, index)
    if index_format != INDEX_FORMAT:
        _unlink(index)  # seeded by an older cc-guard, or never checkpointed: seed again
    old = tip[0] if tip else None
    # The index is exactly as we left it after the last checkpoint: if this snapshot
    # updates nothing, its tree is that checkpoint's tree (no write-tree needed).
    known = tip[1] if tip is not None and tip[2] == _index_stamp(index) else None
    # Changed files are hashed in batches until this point; the rest of the budget is
    # for the commit, so a checkpoint of what was hashed is always taken.
    hash_deadline = deadline - _reserve(settings.time_budget_seconds)
    progress = Progress.load(index, settings.time_budget_seconds)
    try:
        snap = snapshot_tree(repo, git, index, settings, known, hash_deadline, progress)
    except GitError:
        # git gc does not know the private index exists, so it can prune objects only
        # the index names (added by a snapshot abandoned before its commit); write-tree
        # then fails on every call. Start the index again from the user's, once.
        _unlink(index)
        snap = snapshot_tree(repo, git, index, settings, None, hash_deadline, progress)
    progress.save()
    if not snap.complete and not partial_ok:
        raise DeadlineExceeded(
            f"{len(snap.pending) + len(snap.slow)} changed files could not be hashed in time"
        )
    if tip is not None and tip[1] == snap.tree:
        if known is None or snap.changed:  # the index was rewritten: new stamp
            _write_tip(index, tip[0], tip[1])
        _report(repo, session_id, event, snap, settings, started)
        return old, None
    parent = old if tip is not None else _resolve(git, "HEAD")
    # The precise per-checkpoint file list is read back with `git log --name-status`;
    # the message names what this snapshot re-added (no extra git process).
    message = format_message(session_id, event, tool, files, snap.changed, prompt, snap)
    for _ in range(_CAS_RETRIES):
        argv = ["commit-tree", "--no-gpg-sign", snap.tree]
        if parent is not None:
            argv += ["-p", parent]
        new = git.out(*argv, input=message.encode("utf-8", "surrogateescape"))
        # Compare-and-swap: the empty old value means "must not exist yet".
        proc = git.run("update-ref", "-m", f"cc-guard: {event}", ref, new, old or "", check=False)
        if proc.returncode == 0:
            _write_tip(index, new, snap.tree)
            _report(repo, session_id, event, snap, settings, started)
            return new, new
        current = _resolve(git, ref)
        if current == old:
            err = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"git update-ref failed: {err}")
        # Someone else (a restore, a prune) moved the ref: chain onto theirs.
        old = current
        parent = current if current is not None else _resolve(git, "HEAD")
    raise GitError(f"{ref} kept changing under us")


def _report(
    repo: Repo,
    session_id: str,
    event: str,
    snap: Snapshot,
    settings: CheckpointsConfig,
    started: float,
) -> None:
    """Say whether checkpoints are behind the work tree (statusline, status, doctor)."""
    if snap.complete:
        clear_behind(_repo_state_dir(repo), session_id)
        return
    parts = []
    if snap.pending:
        parts.append(
            f"{len(snap.pending)} changed files ({_size_text(snap.pending_bytes)}) not hashed "
            f"within the {settings.time_budget_seconds:g} s budget; the next checkpoint goes on"
        )
    if snap.slow:
        parts.append(f"{len(snap.slow)} files too slow to hash within the budget left out")
    reason = "partial checkpoint: " + "; ".join(parts)
    count = len(snap.pending) + len(snap.slow)
    _behind(repo, session_id, count, snap.pending_bytes, reason)
    record_incident(repo.top, session_id, event, reason, time.monotonic() - started, "partial")


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.0f} KB"


def _read_tip(
    repo: Repo, git: Git, ref: str, index: str
) -> tuple[tuple[str, str, str] | None, str]:
    """The session ref's commit and tree (and the index stamp saved with them), or None
    when the ref does not exist yet; and the index format the cache names.

    Usually without a git process: the tree of the last checkpoint we wrote is cached
    beside the index and trusted only while the loose ref still names that commit.
    """
    index_format = ""
    try:
        with open(index + ".tip", "rb") as fh:
            cached = fh.read().decode().split()
        index_format = cached[3] if len(cached) >= 4 else ""
        with open(os.path.join(repo.common, ref), "rb") as fh:
            loose = fh.read().decode().strip()
        if len(cached) >= 3 and cached[0] == loose:
            return (cached[0], cached[1], cached[2]), index_format
    except (OSError, UnicodeDecodeError):
        pass
    out = git.out("for-each-ref", "--format=%(objectname) %(tree)", ref).split()
    return ((out[0], out[1], "") if len(out) == 2 else None), index_format


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
    stamp = _index_stamp(index)
    write_atomic(index + ".tip", f"{commit} {tree} {stamp} {INDEX_FORMAT}\n", durable=False)


def _resolve(git: Git, rev: str) -> str | None:
    proc = git.run("rev-parse", "-q", "--verify", rev + "^{commit}", check=False)
    out = proc.stdout.decode().strip()
    return out if proc.returncode == 0 and out else None


def _clear_stale_locks(repo: Repo, ref: str, index: str) -> None:
    """Remove lock files a killed git left behind for our own index and ref.

    Only called while holding the session lock, which every git a checkpoint starts
    holds too (:func:`lock_session`): no live process can be writing them, so any
    that exist are stale.
    """
    for lock in (index + ".lock", os.path.join(repo.common, ref + ".lock")):
        _unlink(lock)


def _unlink(path: str) -> None:
    try:  # noqa: SIM105 - contextlib is not imported on the hook path
        os.unlink(path)
    except FileNotFoundError:
        pass


def snapshot_tree(
    repo: Repo,
    git: Git,
    index: StrPath,
    settings: CheckpointsConfig,
    known_tree: str | None = None,
    hash_deadline: float | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """Bring the private index up to date with the work tree and write its tree.

    ``known_tree``: the index's tree when the caller knows it; used (skipping
    write-tree) only if nothing needed updating. ``hash_deadline`` (with
    ``progress``): hash changed files in batches until then and leave the rest
    pending (see :mod:`cc_guard.checkpoints.progress`); without it, all at once.
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
    slow: list[str] = []
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
        if progress is not None and path in progress.slow:
            if progress.slow[path] == excluder.stat_keys.get(path):
                slow.append(path)  # cannot be hashed within the budget: left out
                if tracked:
                    force_remove.append(path)
                continue
            del progress.slow[path]  # changed since: try again
            progress.changed = True
        if excluder.lfs_possible(path):
            maybe_lfs.append((path, tracked))
            continue
        update.append(path)
    if maybe_lfs:
        update += _drop_lfs(git, maybe_lfs, repo.top)
    if force_remove:
        _update_index(git, ["--force-remove"], force_remove)
    flags = ["--add", "--remove", "--replace"]
    pending: list[str] = []
    pending_bytes = 0
    if update and hash_deadline is not None and progress is not None:
        outcome = hash_in_batches(
            git,
            update,
            excluder.sizes,
            excluder.stat_keys,
            hash_deadline,
            progress,
            lambda runner, batch: _update_index(runner, flags, batch),
        )
        if outcome.pending or outcome.slow:
            _unlink(index + ".lock")  # the killed batch's; it is dead, we hold the lock
        update, pending, pending_bytes = outcome.hashed, outcome.pending, outcome.pending_bytes
        slow += outcome.slow
    elif update:
        _update_index(git, flags, update)
    if known_tree is not None and not update and not force_remove:
        return Snapshot(known_tree, [], pending, pending_bytes, slow)
    tree = git.out("write-tree")
    return Snapshot(tree, sorted(set(update) | set(force_remove)), pending, pending_bytes, slow)


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

    # Once per session and work tree: a good moment to remove the temp files killed
    # processes left in the state dir (the statusline's feeds, handoffs, indexes).
    sweep_temp_tree(state_root())
    user_index = os.path.join(repo.gitdir, "index")
    tmp = temp_name(index)
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
        # Drop what the user tracks but checkpoints must not hold (secrets, big files),
        # and clear the user's flags that would hide a file's changes from every scan:
        # assume-unchanged (a lowercase tag), and skip-worktree (tag S) unless a sparse
        # checkout really left the file out of the work tree (then it is no deletion).
        excluder = Excluder(repo.top, settings)
        listing = seed.run("ls-files", "-z", "-v").stdout.decode("utf-8", "surrogateescape")
        drop: list[str] = []
        assumed: list[str] = []
        skipped: list[str] = []
        for entry in dict.fromkeys(listing.split("\0")):
            if len(entry) < 3:
                continue
            tag, path = entry[0], entry[2:]
            if excluder.secret(path) or excluder.too_big(path):
                drop.append(path)
                continue
            if tag.islower():
                assumed.append(path)
            if tag in "Ss" and os.path.lexists(os.path.join(repo.top, path)):
                skipped.append(path)
        if drop:
            _update_index(seed, ["--force-remove"], drop)
        if assumed:
            _update_index(seed, ["--no-assume-unchanged"], assumed)
        if skipped:
            _update_index(seed, ["--no-skip-worktree"], skipped)
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
    snap: Snapshot | None = None,
) -> str:
    # File names can hold newlines: one line each, so none can pass for a trailer.
    files = [_one_line(f) for f in files]
    changed = [_one_line(f) for f in changed]
    subject = f"cc-guard: {event}" + (f" {tool}" if tool else "")
    named = [f for f in files if f]
    if named:
        subject += " " + ", ".join(named[:3]) + (" ..." if len(named) > 3 else "")
    lines = [subject[:200], ""]
    if prompt and prompt.strip():
        # What the user typed goes to the ref and, with [backup], to a remote: redacted
        # whole before its first line is taken and cut (a cut secret matches nothing).
        # re comes with it, on UserPromptSubmit only (the one event with a prompt).
        from cc_guard.base.redact import redact

        first = redact(prompt).strip().splitlines()
        if first:
            lines += [f"Prompt: {_one_line(first[0])[:200]}", ""]
    if changed:
        lines.append(f"Files ({len(changed)}):")
        lines += [f"  {p}" for p in changed[:_MAX_FILES_IN_MESSAGE]]
        if len(changed) > _MAX_FILES_IN_MESSAGE:
            lines.append(f"  ... and {len(changed) - _MAX_FILES_IN_MESSAGE} more")
        lines.append("")
    if snap is not None and snap.pending:
        lines.append(
            f"Partial: {len(snap.pending)} changed files ({_size_text(snap.pending_bytes)}) "
            "were not hashed within the time budget and keep their previous state here; "
            "the next checkpoint goes on from this one."
        )
        lines.append("")
    if snap is not None and snap.slow:
        shown = ", ".join(_one_line(p) for p in snap.slow[:5])
        lines.append(f"Left out, too slow to hash within the time budget: {shown}")
        lines.append("")
    lines.append(f"CC-Guard-Session: {session_id}")
    lines.append(f"CC-Guard-Event: {event}")
    if tool:
        lines.append(f"CC-Guard-Tool: {tool}")
    if snap is not None and snap.pending:
        lines.append(f"CC-Guard-Pending: {len(snap.pending)}")
    if snap is not None and snap.slow:
        lines.append(f"CC-Guard-Too-Slow: {len(snap.slow)}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
