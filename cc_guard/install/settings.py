"""Installing into (and out of) a Claude Code settings file, safely.

A change is planned first (old bytes -> new bytes, shown as a diff for
``--dry-run``) and applied second. Applying never writes a file that was not
valid JSON, refuses a read-only file before touching anything, keeps a copy of
the previous bytes under ``<state_dir>/install/backups/``, and writes atomically
(through a symlink to its target, keeping the file's mode).

For an exact uninstall, the bytes the file had before cc-guard first touched it
are kept in ``<state_dir>/install/settings-<hash of path>.json`` together with a hash of
what cc-guard wrote. If the file still holds exactly what cc-guard wrote,
uninstall puts the old bytes back (or removes the file it created); if the user
edited it since, uninstall takes cc-guard's entries out and keeps their edits.

Claude Code (``/config``) and editors write these files too: the file is compared
with what the plan read right before the rename, and the change planned again when
it moved. A project install names ``cc-guard`` as PATH finds it (the file is shared
through git); a local one makes sure git ignores ``settings.local.json``.
"""

from __future__ import annotations

import base64
import contextlib
import difflib
import hashlib
import json
import os
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cc_guard.base import fs, paths
from cc_guard.git import DeadlineExceeded, Git, GitError
from cc_guard.install import jsonstyle, merge
from cc_guard.install.command import EXECUTABLE_NAME, find_executable

SCOPES = ("user", "project", "local")


class InstallError(Exception):
    """A settings file cannot be changed; nothing was written."""


def project_root(cwd: Path | None = None) -> Path:
    """The git work tree's top for ``cwd``, else ``cwd`` itself."""
    from cc_guard.git import GitError, plain

    cwd = Path(os.path.abspath(cwd or Path.cwd()))
    try:
        top = plain(cwd, "rev-parse", "--show-toplevel", timeout=10)
    except GitError:
        return cwd
    return Path(top) if top else cwd


def settings_path(scope: str, cwd: Path | None = None) -> Path:
    if scope == "user":
        return paths.claude_dir() / "settings.json"
    root = project_root(cwd)
    if scope == "project":
        return root / ".claude" / "settings.json"
    if scope == "local":
        return root / ".claude" / "settings.local.json"
    raise ValueError(f"unknown scope {scope!r}")


@dataclass
class Change:
    """What install or uninstall would do to one file."""

    path: Path
    before: bytes | None  # None: the file does not exist
    after: bytes | None  # None: remove the file
    notes: list[str] = field(default_factory=list)
    #: Directories to remove (if empty) after the file is removed: ones cc-guard created.
    remove_dirs: list[Path] = field(default_factory=list)
    #: Plans the same change again from the file as it is now: applying calls it when
    #: another writer (Claude Code's /config, an editor) changed the file meanwhile.
    replan: Callable[[], Change] | None = field(default=None, compare=False, repr=False)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        def lines(raw: bytes | None) -> list[str]:
            return [] if raw is None else raw.decode("utf-8", "replace").splitlines(keepends=True)

        old, new = lines(self.before), lines(self.after)
        text = "".join(
            difflib.unified_diff(
                old,
                new,
                fromfile=str(self.path) if self.before is not None else "/dev/null",
                tofile=str(self.path) if self.after is not None else "/dev/null",
            )
        )
        if text and not text.endswith("\n"):
            text += "\n\\ No newline at end of file\n"
        return text


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InstallError(f"{path} is a directory, expected a settings file") from None
    except OSError as exc:
        raise InstallError(f"{path} cannot be read ({exc.strerror or exc})") from None


def _parse(path: Path, raw: bytes | None) -> tuple[dict[str, Any], jsonstyle.Style]:
    if raw is None:
        return {}, jsonstyle.DEFAULT_STYLE
    try:
        return jsonstyle.loads(raw)
    except jsonstyle.JsonFileError as exc:
        raise InstallError(f"{path} is {exc}; left it untouched") from None


def plan_install(
    path: Path,
    prefix: list[str],
    *,
    statusline: bool = True,
    extra_tools: tuple[str, ...] | list[str] = (),
    inherited: dict[str, Any] | None = None,
) -> Change:
    before = _read(path)
    data, style = _parse(path, before)
    try:
        merge.add_hooks(data, merge.hook_groups(prefix, extra_tools))
    except merge.MergeError as exc:
        raise InstallError(f"{path}: {exc}; left it untouched") from None
    notes = []
    if statusline:
        done = merge.add_statusline(data, prefix, inherited)
        notes.append(f"statusLine: {done}")
    elif merge.remove_statusline(data):
        notes.append("statusLine: cc-guard's removed")
    if data.get("disableAllHooks") is True:
        notes.append('warning: "disableAllHooks" is true here, so Claude Code runs no hooks')
    after = jsonstyle.dumps(data, style)
    if before is not None and after == before:
        after = before

    def replan() -> Change:
        return plan_install(
            path, prefix, statusline=statusline, extra_tools=extra_tools, inherited=inherited
        )

    return Change(path, before, after, notes, replan=replan)


def inherited_statusline(scope: str, cwd: Path | None = None) -> dict[str, Any] | None:
    """The user's statusLine that ``scope``'s file would override, if they have one.

    Claude Code takes local over project over user settings, so a statusLine set at
    project scope hides one in the user file: that one is wrapped instead.
    """
    lower = SCOPES[: SCOPES.index(scope)]  # SCOPES runs from lowest to highest precedence
    for other in reversed(lower):
        try:
            data, _ = jsonstyle.loads(settings_path(other, cwd).read_bytes())
        except (OSError, jsonstyle.JsonFileError):
            continue
        found = merge.user_statusline(data)
        if found is not None:
            return found
        if "statusLine" in data:
            return None  # a statusLine that is not the user's command wins over lower ones
    return None


def installed_elsewhere(scope: str, cwd: Path | None = None) -> list[Path]:
    """The other scopes' settings files that already hold cc-guard's hooks."""
    found = []
    for other in SCOPES:
        if other == scope:
            continue
        path = settings_path(other, cwd)
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        if _has_own(raw):
            found.append(path)
    return found


def plan_uninstall(path: Path) -> Change:
    change = _plan_uninstall(path)
    change.replan = lambda: plan_uninstall(path)
    return change


def _plan_uninstall(path: Path) -> Change:
    before = _read(path)
    if before is None:
        return Change(path, None, None, ["not installed (no file)"])
    record = _load_record(path)
    if (
        record is not None
        and record.get("before_known")
        and record.get("after_sha256") == _sha(before)
    ):
        # Untouched since cc-guard wrote it: give back the exact previous bytes.
        old = record.get("before")
        after = None if old is None else base64.b64decode(old)
        dirs = [Path(d) for d in record.get("created_dirs", [])]
        return Change(path, before, after, ["restored the file as it was before install"], dirs)
    data, style = _parse(path, before)
    keep = set(record.get("existing_keys", [])) if record is not None else set()
    hooks_changed = merge.remove_hooks(data, keep)
    had_statusline = record is None or record.get("had_statusline", True) is not False
    status_changed = merge.remove_statusline(data, restore=had_statusline)
    if not (hooks_changed or status_changed):
        return Change(path, before, before, ["not installed"])
    return Change(path, before, jsonstyle.dumps(data, style), ["removed cc-guard's entries"])


# --- applying ---------------------------------------------------------------------------


def _sha(raw: bytes | None) -> str | None:
    return None if raw is None else hashlib.sha256(raw).hexdigest()


def _record_path(path: Path) -> Path:
    key = hashlib.sha256(str(Path(os.path.abspath(path))).encode()).hexdigest()[:16]
    return paths.state_subdir("install") / f"settings-{key}.json"


def _load_record(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(_record_path(path).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _check_writable(path: Path) -> None:
    target = path.resolve()
    if target.exists():
        # Checked by mode bits, not os.access: root may write anything, but a file the
        # user made read-only says "do not edit", and an atomic rename would ignore it.
        mode = target.stat().st_mode
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
            target, os.W_OK
        ):
            raise InstallError(f"{path} is read-only; nothing was written")
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InstallError(f"{parent} is not writable; nothing was written to {path}")


def _missing_dirs(path: Path) -> list[Path]:
    missing = []
    parent = path.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    return missing


def _write(path: Path, data: bytes, expected: bytes | None) -> bool:
    """Atomic write to ``path`` (or its symlink target), keeping an existing file's mode,
    if it still holds ``expected``: False (nothing written) when it changed since."""
    target = path.resolve()
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    target.parent.mkdir(parents=True, exist_ok=True)  # the user's .claude: their umask
    fs.sweep_temp_files(target.parent)  # what a killed install left there
    return fs.write_atomic_if(target, data, expected, mode)


#: How often a change is planned again when the file keeps changing under it.
_REPLANS = 5


def _changed_meanwhile(change: Change) -> Change:
    if change.replan is None:
        raise InstallError(
            f"{change.path} changed while cc-guard was writing it; nothing was written"
        )
    return change.replan()


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def backup(path: Path, raw: bytes) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    key = _record_path(path).stem.removeprefix("settings-")
    dest = paths.state_subdir("install") / "backups" / f"{path.name}.{key}.{stamp}"
    n = 1
    while dest.exists():
        n += 1
        dest = dest.with_name(f"{path.name}.{key}.{stamp}.{n}")
    fs.ensure_private_dir(dest.parent)
    fs.write_private(dest, raw)
    return dest


def apply_install(change: Change) -> Path | None:
    """Write an install change; returns the backup of the previous file, if there was one.

    Planned again (up to a few times) when the file changed between the plan and the
    write, so an edit made meanwhile is kept rather than overwritten.
    """
    for _ in range(_REPLANS):
        if not change.changed or change.after is None:
            return None
        _check_writable(change.path)
        base = _install_record(change)
        saved = backup(change.path, change.before) if change.before is not None else None
        if _write(change.path, change.after, change.before):
            base.update(path=str(change.path), after_sha256=_sha(change.after))
            fs.write_private(_record_path(change.path), json.dumps(base, indent=1))
            return saved
        change = _changed_meanwhile(change)
    raise InstallError(
        f"{change.path} kept changing while cc-guard was writing it; nothing was written"
    )


def _install_record(change: Change) -> dict[str, Any]:
    """What uninstall needs to know about the file as it was before the first install."""
    record = _load_record(change.path)
    if record is not None and record.get("after_sha256") == _sha(change.before):
        return record  # installed before and untouched since: keep the original bytes
    if change.before is None or not _has_own(change.before):
        before_data = {} if change.before is None else jsonstyle.loads(change.before)[0]
        return {
            "before_known": True,
            "before": None if change.before is None else base64.b64encode(change.before).decode(),
            "created_dirs": [str(d) for d in _missing_dirs(change.path.resolve())],
            "existing_keys": merge.existing_keys(before_data),
            "had_statusline": "statusLine" in before_data,
        }
    # Edited since cc-guard wrote it: the exact bytes are gone (uninstall merges out
    # instead), but what existed before the first install is still known.
    kept: dict[str, Any] = {
        key: record[key]
        for key in ("existing_keys", "had_statusline", "ignored_in")
        if record is not None and key in record
    }
    return {"before_known": False, **kept}


def apply_uninstall(change: Change) -> Path | None:
    for _ in range(_REPLANS):
        if not change.changed:
            _forget(change.path)
            return None
        _check_writable(change.path)
        saved = backup(change.path, change.before) if change.before is not None else None
        if change.after is None:
            if not _remove(change):
                change = _changed_meanwhile(change)
                continue
            for directory in change.remove_dirs:
                with contextlib.suppress(OSError):
                    directory.rmdir()  # only when empty: something else may live there now
        elif not _write(change.path, change.after, change.before):
            change = _changed_meanwhile(change)
            continue
        _unignore(change.path)
        _forget(change.path)
        return saved
    raise InstallError(
        f"{change.path} kept changing while cc-guard was writing it; nothing was written"
    )


def _remove(change: Change) -> bool:
    """Remove the file cc-guard created, if it still holds what the plan read."""
    target = change.path.resolve()
    if _read(change.path) != change.before:
        return False
    target.unlink()
    return True


def command_prefix(scope: str) -> list[str]:
    """What the installed commands run.

    The project file is shared through git, so it names ``cc-guard`` as each user's
    PATH finds it: this machine's absolute path would mean nothing on a teammate's.
    The user and local files are this machine's own and keep the absolute path of
    this cc-guard (it works whatever PATH Claude Code is started with).
    """
    if scope != "project":
        return find_executable()
    if shutil.which(EXECUTABLE_NAME) is None:
        raise InstallError(
            f"{EXECUTABLE_NAME} is not on your PATH: a project install writes the bare command "
            f"`{EXECUTABLE_NAME}` into the shared .claude/settings.json, so install it where PATH "
            f"finds it (e.g. pipx install cc-guard) or use --scope local for this machine only"
        )
    return [EXECUTABLE_NAME]


def keep_out_of_git(path: Path, *, dry_run: bool = False) -> str | None:
    """Make sure git ignores ``path`` (the local settings file, which is this machine's).

    Nothing to do when git already ignores it or ``path`` is in no repository;
    otherwise one line goes into the repository's ``info/exclude`` (never into a
    file that is committed), remembered so uninstall can take it out again.
    Returns what was done, for the user.
    """
    root = project_root(path.parent.parent)
    rel = Path(os.path.relpath(path, root)).as_posix()
    if rel.startswith("../"):
        return None
    git = Git.for_command(root, timeout=30)
    try:
        ignored = git.run("check-ignore", "-q", "--no-index", "--", rel, check=False).returncode
        if ignored != 1:
            return None  # ignored already (0), or no repository (128)
        found = git.run("rev-parse", "--git-path", "info/exclude").stdout.decode().strip()
    except (GitError, DeadlineExceeded, OSError):
        return None
    exclude = Path(found) if os.path.isabs(found) else root / found
    if dry_run:
        return f"would add /{rel} to {exclude} so git ignores it"
    line = f"/{rel}"
    try:
        text = exclude.read_text("utf-8") if exclude.exists() else ""
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with open(exclude, "a", encoding="utf-8") as fh:
            fh.write(("" if not text or text.endswith("\n") else "\n") + line + "\n")
    except OSError as exc:
        return f"could not add /{rel} to {exclude} ({exc.strerror or exc}): keep it out of git yourself"
    record = _load_record(path) or {}
    record.update(ignored_in=str(exclude), ignore_line=line)
    fs.write_private(_record_path(path), json.dumps(record, indent=1))
    return f"added /{rel} to {exclude} so git ignores it"


def _unignore(path: Path) -> None:
    """Take out the ignore line install added, once the file it was for is gone."""
    record = _load_record(path)
    if record is None or "ignored_in" not in record or path.exists():
        return
    exclude = Path(str(record["ignored_in"]))
    line = str(record.get("ignore_line", ""))
    with contextlib.suppress(OSError):
        lines = exclude.read_text("utf-8").split("\n")
        if line in lines:
            lines.remove(line)
            exclude.write_text("\n".join(lines), "utf-8")


def _forget(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        _record_path(path).unlink()


def _has_own(raw: bytes) -> bool:
    try:
        data, _ = jsonstyle.loads(raw)
    except jsonstyle.JsonFileError:
        return False
    probe = json.loads(json.dumps(data))
    return merge.remove_hooks(probe) or merge.remove_statusline(probe)
