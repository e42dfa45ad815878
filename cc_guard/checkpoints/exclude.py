"""What a checkpoint leaves out even when git would not: secrets, big files, LFS content.

Also recognises nested repositories, which are recorded as gitlinks (their HEAD
commit) and never entered.
"""

from __future__ import annotations

import os

# Neither typing nor pathlib (it pulls in urllib.parse) nor re (it pulls in enum) at
# import time: the hook path loads this module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

    from cc_guard.config.sections import CheckpointsConfig

    StrPath = str | os.PathLike[str]


class _Globs:
    """A set of fnmatch patterns (fnmatchcase semantics) matched as a whole.

    The usual patterns (``.env*``, ``*.pem``, ``.netrc``) need no regular
    expression: literals go to a set, ``prefix*`` and ``*suffix`` to one
    ``startswith``/``endswith`` call each. Anything else (more ``*``s, ``?``,
    ``[...]``) is compiled with fnmatch.
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

    def __init__(self, toplevel: StrPath, settings: CheckpointsConfig) -> None:
        self.toplevel = toplevel
        self.settings = settings
        self._lfs_files: dict[str, bool] = {}
        #: What :meth:`too_big` saw of each path: its size, and ``"<size> <mtime_ns>"``.
        self.sizes: dict[str, int] = {}
        self.stat_keys: dict[str, str] = {}
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
        self.sizes[path] = st.st_size
        self.stat_keys[path] = f"{st.st_size} {st.st_mtime_ns}"
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
