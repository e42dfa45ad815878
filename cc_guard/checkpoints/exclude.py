"""What a checkpoint leaves out even when git would not: secrets, big files, LFS content.

Also recognises nested repositories, which are recorded as gitlinks (their HEAD
commit) and never entered.
"""

from __future__ import annotations

import os
import sys

# Neither typing nor pathlib (~6 ms with urllib.parse) nor re (~6 ms with enum, unless
# the console script loaded it already) at import time: the hook path loads this module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from typing import Any

    StrPath = str | os.PathLike[str]

DEFAULT_EXCLUDE = (  # the one default list; cc_guard.config takes it from here
    ".env*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    ".netrc",
    ".pgpass",
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


class _Globs:
    """A set of fnmatch patterns (fnmatchcase semantics) matched as a whole.

    The usual patterns (``.env*``, ``*.pem``, ``.netrc``) need no regular
    expression: literals go to a set, ``prefix*`` and ``*suffix`` to one
    ``startswith``/``endswith`` call each. Anything else (more ``*``s, ``?``,
    ``[...]``) is compiled with fnmatch, as before.
    """

    __slots__ = ("literal", "prefixes", "regex", "suffixes")

    def __init__(self, patterns: list[str]) -> None:
        self.literal: set[str] = set()
        prefixes: list[str] = []
        suffixes: list[str] = []
        rest: list[str] = []
        for pattern in patterns:
            if "?" in pattern or "[" in pattern or pattern.count("*") > 1:
                rest.append(pattern)
            elif "*" not in pattern:
                self.literal.add(pattern)
            elif pattern.endswith("*"):
                prefixes.append(pattern[:-1])
            elif pattern.startswith("*"):
                suffixes.append(pattern[1:])
            else:
                rest.append(pattern)
        self.prefixes = tuple(prefixes)
        self.suffixes = tuple(suffixes)
        self.regex: re.Pattern[str] | None = None
        if rest:
            import fnmatch
            import re

            self.regex = re.compile("|".join(fnmatch.translate(p) for p in rest))

    def match(self, text: str) -> bool:
        return (
            text in self.literal
            or (bool(self.prefixes) and text.startswith(self.prefixes))
            or (bool(self.suffixes) and text.endswith(self.suffixes))
            or (self.regex is not None and self.regex.match(text) is not None)
        )


class Excluder:
    """Decides path by path; built once per checkpoint."""

    def __init__(self, toplevel: StrPath, settings: Settings) -> None:
        self.toplevel = toplevel
        self.settings = settings
        self._lfs_files: dict[str, bool] = {}
        # gitignore-like: a pattern without a slash matches the file name at any depth,
        # one with a slash matches the path from the top of the work tree.
        names = [p for p in settings.exclude if "/" not in p.strip("/")]
        paths = [p.strip("/") for p in settings.exclude if "/" in p.strip("/")]
        self._names = _Globs(names) if names else None
        self._paths = _Globs(paths) if paths else None

    def secret(self, path: str) -> bool:
        if self._names is not None and self._names.match(path.rsplit("/", 1)[-1]):
            return True
        return self._paths is not None and self._paths.match(path)

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
        return 40 <= len(head) <= 64 and not head.strip("0123456789abcdef")
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
