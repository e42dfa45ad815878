"""Restoring a checkpoint into the work tree, undoably.

Only work-tree files are written: never HEAD, the index, branches or stash (no
``reset --hard``). A plan is made against a tree of the work tree as it is, with no
ref moved, so a restore the user declines changes nothing. Going ahead checkpoints
the current state first (``PreRestore``, or ``PreUndo`` for ``--undo``) so the
restore can be undone, and applies the plan only if that checkpoint still gives the
same one. A file the checkpoint lacks is removed only when this session created it
and nobody changed it since.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cc_guard.base import fs
from cc_guard.checkpoints.history import (
    SAFETY_EVENTS,
    list_checkpoints,
    resolve_checkpoint,
    user_git,
)
from cc_guard.checkpoints.snapshot import CheckpointBusy, checkpoint_or_tip, repo_state_dir
from cc_guard.checkpoints.worktree import worktree_tree
from cc_guard.config import CheckpointsConfig, checkpoints_config
from cc_guard.git import DeadlineExceeded, Git, GitError, Repo

_GITLINK = "160000"
#: Marks the temp files a restore writes in the work tree (see fs.temp_name).
WORKTREE_TEMP_TAG = "cc-guard"
_RESTORE_BUDGET = 300.0
_NOTHING = "\0"  # a path selector no file matches (git paths hold no NUL)


class NotRestored(LookupError):
    """Going ahead with a plan failed before any file was written."""


@dataclass
class RestoreResult:
    target: str  # the checkpoint restored
    #: Checkpoint of the state before the restore (what --undo goes back to); "" until
    #: the restore goes ahead.
    safety: str
    session_id: str
    written: list[str] = field(default_factory=list)  # changed or re-created files
    created: list[str] = field(default_factory=list)  # of those, the ones absent before
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # not ours to delete, or changed since
    skipped: list[str] = field(default_factory=list)  # would clobber what --undo can't restore
    applied: bool = False
    #: The event of the safety checkpoint: PreRestore, or PreUndo for --undo.
    event: str = "PreRestore"
    #: What the plan was made from (not journaled): the work tree's tree, the paths
    #: asked for, and --undo's file lists; going ahead re-plans from the same.
    have: str = field(default="", repr=False)
    only: list[str] | None = field(default=None, repr=False)
    undo_of: dict[str, str] | None = field(default=None, repr=False)
    undo_left: dict[str, str] | None = field(default=None, repr=False)

    @property
    def changes(self) -> int:
        return len(self.written) + len(self.deleted)

    def outcome(self) -> tuple[list[str], ...]:
        return self.written, self.created, self.deleted, self.kept, self.skipped


_NOT_JOURNALED = ("have", "only", "undo_of", "undo_left")


@dataclass(frozen=True)
class _Entry:
    mode: str
    sha: str


def plan_restore(
    cwd: Path,
    spec: str,
    only: list[str] | None = None,
    *,
    undo_of: dict[str, str] | None = None,
    undo_left: dict[str, str] | None = None,
    event: str = "PreRestore",
) -> RestoreResult:
    """Work out what restoring ``spec`` would change; nothing is written, no ref moves.

    ``only``: paths relative to the top of the work tree (files or directories).
    ``undo_of``: for --undo, the files the restore being undone created (path -> blob):
    those are removed when still unchanged. ``undo_left``: for --undo, what that
    restore wrote (path -> blob): a file changed since is kept.
    """
    repo, git = user_git(cwd)
    target = resolve_checkpoint(cwd, spec)
    have = worktree_tree(repo.toplevel)
    return _plan(
        cwd, repo, git, target.sha, target.session_id, have, only, undo_of, undo_left, event
    )


def _plan(
    cwd: Path,
    repo: Repo,
    git: Git,
    target: str,
    session: str,
    have_rev: str,
    only: list[str] | None,
    undo_of: dict[str, str] | None,
    undo_left: dict[str, str] | None,
    event: str,
) -> RestoreResult:
    want = _tree(git, target)
    have = _tree(git, have_rev)
    result = RestoreResult(
        target=target,
        safety="",
        session_id=session,
        event=event,
        have=have_rev,
        only=only,
        undo_of=undo_of,
        undo_left=undo_left,
    )
    deletable = _session_created(cwd, git, session, undo_of)
    for path, entry in sorted(have.items()):
        if path in want or not _selected(path, only) or entry.mode == _GITLINK:
            continue
        if deletable.get(path) == entry.sha:
            result.deleted.append(path)
        else:
            result.kept.append(path)
    going = set(result.deleted)
    for path, entry in sorted(want.items()):
        if not _selected(path, only) or entry.mode == _GITLINK:
            continue
        current = have.get(path)
        if current == entry:
            continue
        if undo_left is not None and current is not None and undo_left.get(path) != current.sha:
            result.kept.append(path)  # changed since the restore being undone
        elif not _safe_path(path) or _unprotected(repo.toplevel, path, have, going):
            result.skipped.append(path)
        else:
            result.written.append(path)
            if current is None:
                result.created.append(path)
    return result


def _go_ahead(cwd: Path, repo: Repo, git: Git, plan: RestoreResult) -> None:
    """Checkpoint the current state (the safety checkpoint) and check that the plan
    made from it is the one shown; NotRestored otherwise, with nothing written."""
    try:
        safety, _ = checkpoint_or_tip(
            repo.toplevel,
            plan.session_id,
            plan.event,
            None,
            [],
            None,
            _settings(repo.toplevel),
            partial_ok=False,  # --undo must be able to put back everything
        )
    except (OSError, GitError, DeadlineExceeded, CheckpointBusy) as exc:
        raise NotRestored(f"could not checkpoint the current state ({exc})") from None
    if safety is None:
        raise NotRestored("could not checkpoint the current state")
    if _tree_sha(git, safety) != plan.have:
        fresh = _plan(
            cwd,
            repo,
            git,
            plan.target,
            plan.session_id,
            safety,
            plan.only,
            plan.undo_of,
            plan.undo_left,
            plan.event,
        )
        if fresh.outcome() != plan.outcome():
            raise NotRestored(
                "the work tree changed after the plan was made; run the restore again "
                "to see what it would do now"
            )
    plan.safety = safety


def _safe_path(path: str) -> bool:
    """No ``.git``, ``..`` or empty component: git's own checks, for trees cc-guard
    did not write (any commit with the trailers passes for a checkpoint)."""
    return all(
        part not in ("", ".", "..") and part.lower().rstrip(". ") != ".git"
        for part in path.split("/")
    )


def _unprotected(top: Path, path: str, have: dict[str, _Entry], going: set[str]) -> bool:
    """Whether writing ``path`` would clobber something the safety checkpoint lacks.

    Ignored, excluded (secret, too big) and just-appeared files are not in it, so
    overwriting them could not be undone; a symlink or file where a directory must
    be would be written through or fail half way; a nested repository is never
    entered. Those paths are left alone.
    """
    parts = path.split("/")
    for i in range(1, len(parts)):
        parent = "/".join(parts[:i])
        try:
            st = os.lstat(top / parent)
        except FileNotFoundError:
            return False  # created from here down
        if not stat.S_ISDIR(st.st_mode):
            return parent not in going
        if os.path.lexists(top / parent / ".git"):
            return True  # a nested repository's work tree: never entered
    try:
        st = os.lstat(top / path)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(st.st_mode):
        inside = path + "/"
        return any(p.startswith(inside) and p not in going for p in have)
    return path not in have


def _session_created(
    cwd: Path, git: Git, session: str, undo_of: dict[str, str] | None
) -> dict[str, str]:
    """Files the session made, with the content it last saw (path -> blob sha).

    A file is the session's when its first checkpoint (and that one's parent, the
    user's HEAD) lacks it and its newest checkpoint of work has it. A file changed
    since, or made by the user after the last checkpoint, is kept. PreRestore and
    PreUndo checkpoints are passed over: they snapshot whatever the work tree held
    when a restore went ahead, not the session's work.
    """
    if undo_of is not None:
        return dict(undo_of)
    chain = list_checkpoints(cwd, session)  # newest first
    first = chain[-1] if chain else None
    last = next((cp.sha for cp in chain if cp.event not in SAFETY_EVENTS), None)
    if first is None or last is None:
        return {}
    baseline = set(_tree(git, first.sha))
    if first.parent is not None:
        baseline |= set(_tree(git, first.parent))
    latest = _tree(git, last)
    return {p: e.sha for p, e in latest.items() if p not in baseline}


def apply_restore(cwd: Path, plan: RestoreResult, *, journal: bool = True) -> RestoreResult:
    """Checkpoint the current state, then write the planned files, remove the planned
    deletions, and journal it for --undo.

    NotRestored, with nothing written, when the current state cannot be checkpointed
    or the work tree changed so that the plan would differ. Journaled before anything
    is written, so even a restore that stops half way (a directory where a file should
    go, a full disk) can be undone.
    """
    repo, git = user_git(cwd)
    want = _tree(git, plan.target)
    contents = _read_contents(git, want, plan.written)
    for path in plan.written:  # checked before anything is checkpointed, written or journaled
        if want[path].mode == "120000" and b"\0" in contents[path]:
            raise OSError(
                errno.EINVAL, "the checkpoint's symlink points at a name with a NUL byte", path
            )
    if not plan.safety:
        _go_ahead(cwd, repo, git, plan)
    if journal:
        record = asdict(plan)
        for key in _NOT_JOURNALED:
            record.pop(key, None)
        record["time"] = datetime.now(UTC).isoformat(timespec="seconds")
        record["toplevel"] = str(repo.toplevel)
        record["created_blobs"] = {p: want[p].sha for p in plan.created}
        record["written_blobs"] = {p: want[p].sha for p in plan.written}
        fs.append_private(_journal(repo), json.dumps(record))
    # A restore killed half way left its temp files where it wrote: remove those of
    # dead processes in the directories this one writes to (and only cc-guard's).
    for directory in sorted({os.path.dirname(p) for p in plan.written}):
        if _no_symlink_below(repo.toplevel, directory):
            fs.sweep_temp_files(repo.toplevel / directory, WORKTREE_TEMP_TAG)
    # Deletions first: a file the session put where a directory of the checkpoint
    # should be (or the other way round) must go before the other can be written.
    # Computed once: per deletion it cost O(files in the checkpoint).
    keep_dirs = {p.rsplit("/", i)[0] for p in want for i in range(1, p.count("/") + 1)}
    for path in plan.deleted:
        _no_symlink_parents(repo.toplevel, path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(repo.toplevel / path)
        _remove_empty_parents(repo.toplevel, path, keep_dirs)
    for path in plan.written:
        _no_symlink_parents(repo.toplevel, path)
        _write_file(repo.toplevel / path, want[path], contents[path])
    plan.applied = True
    return plan


def restore_checkpoint(cwd: Path, sha: str, paths: list[str] | None = None) -> RestoreResult:
    """Plan and apply in one go (the API for handoff/resume; the CLI confirms in between).

    ``sha``: a checkpoint (short sha, session id/prefix, or ``<session>~N``);
    ``paths``: relative to the top of the work tree. Raises LookupError for an
    unknown checkpoint, NotRestored when the current state could not be
    checkpointed first.
    """
    return apply_restore(cwd, plan_restore(cwd, sha, paths))


def last_restore(cwd: Path) -> dict[str, object] | None:
    """The newest restore in this work tree that has not been undone.

    The journal is shared by the repository's linked worktrees (it lives with the
    common git dir): a restore in one must never be undone into another.
    """
    repo, _ = user_git(cwd)
    try:
        lines = _journal(repo).read_text("utf-8").splitlines()
    except FileNotFoundError:
        return None
    undone: set[str] = set()
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("toplevel", str(repo.toplevel)) != str(repo.toplevel):
            continue
        if "undo_of" in record:
            undone.add(str(record["undo_of"]))
        elif record.get("safety") not in undone:
            return dict(record)
    return None


def plan_undo(cwd: Path) -> tuple[RestoreResult, dict[str, object]]:
    """Put back only what the last restore changed; later edits to other files stay."""
    record = last_restore(cwd)
    if record is None:
        raise LookupError("no restore to undo in this repository")
    created = record.get("created_blobs")
    undo_of = {str(k): str(v) for k, v in created.items()} if isinstance(created, dict) else {}
    written = record.get("written_blobs")
    left = {str(k): str(v) for k, v in written.items()} if isinstance(written, dict) else None
    touched = [str(p) for key in ("written", "deleted") for p in _list(record.get(key))]
    plan = plan_restore(
        cwd,
        str(record["safety"]),
        touched or [_NOTHING],
        undo_of=undo_of,
        undo_left=left,
        event="PreUndo",
    )
    return plan, record


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def apply_undo(cwd: Path, plan: RestoreResult, record: dict[str, object]) -> RestoreResult:
    repo, _ = user_git(cwd)
    apply_restore(cwd, plan, journal=False)
    undo = {"undo_of": record["safety"], "toplevel": str(repo.toplevel)}
    fs.append_private(_journal(repo), json.dumps(undo))
    return plan


def _journal(repo: Repo) -> Path:
    return repo_state_dir(repo) / "restores.jsonl"


def _settings(project: Path) -> CheckpointsConfig:
    return checkpoints_config(project).replace(enabled=True, time_budget_seconds=_RESTORE_BUDGET)


def _selected(path: str, only: list[str] | None) -> bool:
    if not only:
        return True
    return any(path == o.rstrip("/") or path.startswith(o.rstrip("/") + "/") for o in only)


def _tree_sha(git: Git, rev: str) -> str:
    return git.out("rev-parse", rev + "^{tree}")


def _tree(git: Git, rev: str) -> dict[str, _Entry]:
    out = git.run("ls-tree", "-r", "-z", "--full-tree", rev).stdout.decode(
        "utf-8", "surrogateescape"
    )
    entries = {}
    for item in out.split("\0"):
        if not item:
            continue
        meta, path = item.split("\t", 1)
        mode, _type, sha = meta.split()
        entries[path] = _Entry(mode, sha)
    return entries


def _read_contents(git: Git, want: dict[str, _Entry], paths_: list[str]) -> dict[str, bytes]:
    """What each file must hold in the work tree, as ``git checkout`` would write it.

    Checkpoints store the cleaned form (update-index ran the clean filters), so
    files with a smudge filter (git-crypt, ...), ``eol=crlf``, ``ident`` or a
    working-tree encoding go through ``git cat-file --filters``, one process each;
    every other file comes raw from one ``cat-file --batch``.
    """
    blobs = _read_blobs(git, [want[p].sha for p in paths_])
    out = {p: blobs[want[p].sha] for p in paths_}
    for path in _smudged(git, [p for p in paths_ if want[p].mode != "120000"]):
        out[path] = git.run("cat-file", "--filters", f"--path={path}", want[path].sha).stdout
    return out


def _smudged(git: Git, paths_: list[str]) -> list[str]:
    """The paths whose work-tree form can differ from the blob (a superset is fine)."""
    if not paths_:
        return []

    def config(key: str) -> str:
        proc = git.run("config", "--get", key, check=False)
        return proc.stdout.decode("utf-8", "replace").strip().lower()

    crlf = config("core.autocrlf") == "true" or config("core.eol") == "crlf"
    data = "\0".join(paths_).encode("utf-8", "surrogateescape") + b"\0"
    attrs = ("filter", "eol", "text", "ident", "working-tree-encoding")
    out = git.run("check-attr", "-z", "--stdin", *attrs, input=data).stdout
    fields = out.decode("utf-8", "surrogateescape").split("\0")
    found: dict[str, bool] = {}
    for i in range(0, len(fields) - 2, 3):
        path, attr, value = fields[i], fields[i + 1], fields[i + 2]
        if attr == "text":
            converts = crlf and value != "unset"
        elif attr == "eol":
            converts = value == "crlf"
        else:
            converts = value not in ("unspecified", "unset")
        found[path] = found.get(path, False) or converts
    return [p for p in paths_ if found.get(p)]


def _read_blobs(git: Git, shas: list[str]) -> dict[str, bytes]:
    unique = list(dict.fromkeys(shas))
    if not unique:
        return {}
    out = git.run("cat-file", "--batch", input=("\n".join(unique) + "\n").encode()).stdout
    blobs: dict[str, bytes] = {}
    pos = 0
    for sha in unique:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        blobs[sha] = out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return blobs


def _remove_empty_parents(top: Path, path: str, keep_dirs: set[str]) -> None:
    """Remove directories left empty by a deletion, unless the checkpoint has files there.

    Only empty ones (rmdir fails otherwise), so nothing of the user's goes with them.
    """
    parent = Path(path).parent
    while str(parent) not in (".", "") and str(parent) not in keep_dirs:
        try:
            os.rmdir(top / parent)
        except OSError:
            return
        parent = parent.parent


def _no_symlink_parents(top: Path, path: str) -> None:
    """Refuse to write or delete through a symlinked directory (as git does): checked
    again at apply time, since the work tree can change after the plan was shown."""
    parts = path.split("/")
    for i in range(1, len(parts)):
        parent = "/".join(parts[:i])
        if os.path.islink(top / parent):
            raise OSError(f"{parent} is a symbolic link; not writing {path} through it")


def _no_symlink_below(top: Path, directory: str) -> bool:
    path = top
    for part in [p for p in directory.split("/") if p]:
        path = path / part
        if path.is_symlink():
            return False
    return True


def _write_file(target: Path, entry: _Entry, data: bytes) -> None:
    """Atomically replace one work-tree file (temp file + rename in its directory)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        raise IsADirectoryError(f"{target} is a directory now; not replacing it")
    if entry.mode == "120000":
        tmp_link = fs.temp_name(target, WORKTREE_TEMP_TAG)
        os.symlink(os.fsdecode(data), tmp_link)
        os.replace(tmp_link, target)
        return
    tmp = fs.temp_name(target, WORKTREE_TEMP_TAG)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, (0o777 if entry.mode == "100755" else 0o666) & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
