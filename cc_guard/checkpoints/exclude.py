"""What a checkpoint leaves out even when git would not: secrets, big files, LFS content.

Also recognises nested repositories, which are recorded as gitlinks (their HEAD
commit) and never entered.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys

# Neither typing nor pathlib (~6 ms with urllib.parse) at import time: the hook path
# loads this module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    StrPath = str | os.PathLike[str]

DEFAULT_EXCLUDE = (
    ".env*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.p12",
    "*.pfx",
    "*.keystore",
    "*.jks",
    ".netrc",
    "credentials.json",
)
DEFAULT_EDIT_TOOLS = ("Write", "Edit", "MultiEdit", "NotebookEdit", "Bash")


class Settings:
    """The ``[checkpoints]`` config section, as the checkpoint code needs it.

    A plain class: dataclasses costs ~10 ms to import on the hook path.
    """

    __slots__ = ("enabled", "exclude", "extra_tools", "max_file_mb", "time_budget_seconds")

    def __init__(
        self,
        enabled: bool = True,
        max_file_mb: float = 20,
        exclude: tuple[str, ...] = DEFAULT_EXCLUDE,
        extra_tools: tuple[str, ...] = (),
        time_budget_seconds: float = 2.0,
    ) -> None:
        self.enabled = enabled
        self.max_file_mb = max_file_mb
        self.exclude = tuple(exclude)
        self.extra_tools = tuple(extra_tools)
        self.time_budget_seconds = time_budget_seconds

    def replace(self, **changes: Any) -> Settings:
        values = {k: getattr(self, k) for k in self.__slots__}
        values.update(changes)
        return Settings(**values)

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def tools(self) -> frozenset[str]:
        return frozenset(DEFAULT_EDIT_TOOLS) | frozenset(self.extra_tools)


def load_settings(project_dir: StrPath | None, toplevel: StrPath | None = None) -> Settings:
    """Read ``[checkpoints]`` from cc-guard's config; defaults when it is missing or broken.

    A broken config must not stop checkpoints (the hook would then silently protect
    nothing), so any error falls back to the defaults. When no config file exists
    at all (the common case) cc_guard.config is not even imported.
    """
    if project_dir is not None and not _any_config_file(project_dir, toplevel):
        return Settings()
    try:
        from pathlib import Path

        from cc_guard.config import load_config_safe

        section: Any = load_config_safe(
            None if project_dir is None else Path(project_dir)
        ).checkpoints
    except Exception:
        return Settings()
    base = Settings()
    return Settings(
        enabled=bool(getattr(section, "enabled", base.enabled)),
        max_file_mb=float(getattr(section, "max_file_mb", base.max_file_mb)),
        exclude=tuple(getattr(section, "exclude", base.exclude)),
        extra_tools=tuple(getattr(section, "extra_tools", base.extra_tools)),
        time_budget_seconds=float(
            getattr(section, "time_budget_seconds", base.time_budget_seconds)
        ),
    )


def _any_config_file(project_dir: StrPath, toplevel: StrPath | None) -> bool:
    """Whether a user or project config file might apply (a superset of cc_guard.config's search).

    User file: ``$CC_GUARD_CONFIG``, else platformdirs' Linux config dir. Project
    file: ``.cc-guard.toml`` in ``project_dir`` or any parent (cc_guard.config stops
    at the work tree's top; looking further only costs a stat or two).
    """
    env = os.environ.get("CC_GUARD_CONFIG")
    if env:
        if os.path.exists(os.path.expanduser(env)):
            return True
    elif sys.platform != "linux":
        return True  # let cc_guard.config resolve the platform's config dir
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
        if os.path.exists(os.path.join(xdg, "cc-guard", "config.toml")):
            return True
    current = os.path.abspath(project_dir)
    stop = os.fspath(toplevel) if toplevel is not None else None
    while True:
        if os.path.exists(os.path.join(current, ".cc-guard.toml")):
            return True
        if current == stop or os.path.exists(os.path.join(current, ".git")):
            return False
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


class Excluder:
    """Decides path by path; built once per checkpoint."""

    def __init__(self, toplevel: StrPath, settings: Settings) -> None:
        self.toplevel = toplevel
        self.settings = settings
        self._lfs_files: dict[str, bool] = {}
        self._name_re: re.Pattern[str] | None = None
        self._path_re: re.Pattern[str] | None = None
        # gitignore-like: a pattern without a slash matches the file name at any depth,
        # one with a slash matches the path from the top of the work tree.
        names = [p for p in settings.exclude if "/" not in p.strip("/")]
        paths = [p.strip("/") for p in settings.exclude if "/" in p.strip("/")]
        if names:
            self._name_re = re.compile("|".join(fnmatch.translate(p) for p in names))
        if paths:
            self._path_re = re.compile("|".join(fnmatch.translate(p) for p in paths))

    def secret(self, path: str) -> bool:
        if self._name_re is not None and self._name_re.match(path.rsplit("/", 1)[-1]):
            return True
        return bool(self._path_re is not None and self._path_re.match(path))

    def too_big(self, path: str) -> bool:
        try:
            st = os.lstat(os.path.join(self.toplevel, path))
        except OSError:
            return False
        return st.st_size > self.settings.max_bytes

    def lfs_possible(self, path: str) -> bool:
        """Whether some .gitattributes that applies to ``path`` mentions LFS.

        A cheap pre-check so ``git check-attr`` runs only in repositories using LFS.
        """
        parts = path.split("/")[:-1]
        dirs = [""] + ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return any(self._mentions_lfs(d) for d in dirs)

    def _mentions_lfs(self, directory: str) -> bool:
        cached = self._lfs_files.get(directory)
        if cached is None:
            attrs = os.path.join(self.toplevel, directory, ".gitattributes")
            try:
                with open(attrs, "rb") as fh:
                    cached = b"lfs" in fh.read()
            except OSError:
                cached = False
            self._lfs_files[directory] = cached
        return cached


def nested_repo_ok(path: StrPath) -> bool:
    """Whether a nested repository at ``path`` has a commit checked out.

    git records a nested repository by its HEAD commit; one without a commit cannot
    be recorded and would make ``update-index`` fail for every other path too. Read
    from the files (no git process, never writing anything inside it).
    """
    from pathlib import Path  # rare (an untracked nested repository): pay for it here

    path = Path(path)
    dotgit = path / ".git"
    try:
        if dotgit.is_file():
            text = dotgit.read_text("utf-8", "replace").strip()
            if not text.startswith("gitdir:"):
                return False
            gitdir = Path(text[len("gitdir:") :].strip())
            if not gitdir.is_absolute():
                gitdir = path / gitdir
        else:
            gitdir = dotgit
        head = (gitdir / "HEAD").read_text("utf-8", "replace").strip()
    except OSError:
        return False
    if not head.startswith("ref:"):
        return bool(re.fullmatch(r"[0-9a-f]{40,64}", head))
    ref = head[4:].strip()
    common = gitdir
    try:
        common_file = (gitdir / "commondir").read_text("utf-8").strip()
        common = (gitdir / common_file).resolve()
    except OSError:
        pass
    for base in {gitdir, common}:
        if (base / ref).is_file():
            return True
        try:
            packed = (base / "packed-refs").read_text("utf-8", "replace")
        except OSError:
            continue
        if any(line.endswith(" " + ref) for line in packed.splitlines()):
            return True
    return False
