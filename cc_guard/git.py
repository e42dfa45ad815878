"""The one way cc-guard runs git: argv lists, a clean environment, a deadline.

Never a shell string. Every command gets cc-guard's config overrides (no hooks, no
fsmonitor, no gc) unless the caller needs the repository's own configuration
(``overrides=False``: where the hooks directory is, a push). Runs on the hook path,
so it imports only the standard library.
"""

from __future__ import annotations

import os
import time

from cc_guard.base import spawn

TYPE_CHECKING = False  # not typing's (import cost on the hook path)
if TYPE_CHECKING:
    from pathlib import Path

# Variables a user's shell or an enclosing git process (hooks, rebase -x) may set that
# would point our commands at another repository, index or object store. Like
# pre-commit's no_git_env(): drop every GIT_* except the few that only say how to
# run git, not which repository to act on.
_KEEP_GIT_VARS = frozenset(
    {
        "GIT_EXEC_PATH",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSL_CAINFO",
        "GIT_SSL_NO_VERIFY",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CONFIG_SYSTEM",
        "GIT_ASKPASS",
        "GIT_ALLOW_PROTOCOL",
        "GIT_HTTP_PROXY_AUTHMETHOD",
    }
)

#: Checkpoint commits are authored by cc-guard, so they never pass for the user's work
#: and commit-tree works where the user has no identity configured.
IDENTITY = {
    "GIT_AUTHOR_NAME": "cc-guard",
    "GIT_AUTHOR_EMAIL": "cc-guard@localhost",
    "GIT_COMMITTER_NAME": "cc-guard",
    "GIT_COMMITTER_EMAIL": "cc-guard@localhost",
}

# Config overrides for every command: no hooks (reference-transaction hooks would run on
# update-ref), no fsmonitor daemons, no split index whose shared files a user's gc could
# expire under our private index, never wait for a terminal prompt.
_CONFIG_ARGS = (
    "-c",
    f"core.hooksPath={os.devnull}",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.splitIndex=false",
    "-c",
    "gc.auto=0",
    "-c",
    "maintenance.auto=false",
)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_")
        or k in _KEEP_GIT_VARS
        or k.startswith("GIT_CONFIG_KEY_")
        or k.startswith("GIT_CONFIG_VALUE_")
        or k == "GIT_CONFIG_COUNT"
    }
    env["GIT_TERMINAL_PROMPT"] = "0"
    # Never take optional locks (e.g. refreshing the user's index) behind the user's back.
    env["GIT_OPTIONAL_LOCKS"] = "0"
    env["LC_ALL"] = "C"
    if extra:
        env.update(extra)
    return env


class GitError(Exception):
    """A git command failed; the message carries git's stderr (never file contents)."""


class DeadlineExceeded(Exception):
    """The checkpoint ran out of its time budget."""


class Git:
    """Runs git in one directory with one environment until one deadline (monotonic)."""

    # A plain class, not a dataclass: the hook path does not import dataclasses.
    __slots__ = ("config", "cwd", "deadline", "env")

    def __init__(
        self,
        cwd: str | os.PathLike[str],
        deadline: float,
        env: dict[str, str],
        overrides: bool = True,
    ) -> None:
        self.cwd = cwd
        self.deadline = deadline
        self.env = env
        self.config = _CONFIG_ARGS if overrides else ()

    @classmethod
    def for_command(
        cls,
        cwd: str | os.PathLike[str],
        timeout: float = 3600.0,
        extra_env: dict[str, str] | None = None,
        overrides: bool = True,
    ) -> Git:
        """A runner for a command a user runs (its own, generous deadline)."""
        return cls(cwd, time.monotonic() + timeout, clean_env(extra_env), overrides)

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        check: bool = True,
        env: dict[str, str] | None = None,
    ) -> spawn.Result:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded(f"no time left before git {args[0]}")
        argv = ["git", "-C", str(self.cwd), *self.config, *args]
        try:
            proc = spawn.run(argv, env or self.env, input, remaining)
        except spawn.Timeout as exc:
            # The runner has killed git; git writes every file through a lock file or
            # a temp object, so a killed git leaves nothing half-written.
            raise DeadlineExceeded(f"git {args[0]} ran past the time budget") from exc
        if check and proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed ({proc.returncode}): {err[-1] if err else ''}")
        return proc

    def run_all(self, *commands: tuple[str, ...]) -> list[spawn.Result]:
        """Run read-only git commands at the same time (no stdin); all must succeed."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded(f"no time left before git {commands[0][0]}")
        argvs: list[tuple[list[str], dict[str, str], bytes | None]] = [
            (["git", "-C", str(self.cwd), *self.config, *c], self.env, None) for c in commands
        ]
        try:
            procs = spawn.run_all(argvs, remaining)
        except spawn.Timeout as exc:
            raise DeadlineExceeded(f"git {commands[0][0]} ran past the time budget") from exc
        for args, proc in zip(commands, procs, strict=True):
            if proc.returncode != 0:
                err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
                raise GitError(
                    f"git {args[0]} failed ({proc.returncode}): {err[-1] if err else ''}"
                )
        return procs

    def out(self, *args: str, input: bytes | None = None) -> str:
        return self.run(*args, input=input).stdout.decode("utf-8", "surrogateescape").strip()


def plain(cwd: str | os.PathLike[str], *args: str, timeout: float = 30.0) -> str:
    """Run git with the repository's own configuration (its hooks path, its remotes);
    stdout, stripped. :class:`GitError` when it fails or runs out of time."""
    try:
        out = Git.for_command(cwd, timeout=timeout, overrides=False).run(*args, check=False)
    except (OSError, DeadlineExceeded) as exc:
        raise GitError(f"git {args[0] if args else ''} could not run: {exc}") from None
    if out.returncode != 0:
        err = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(err[-1] if err else f"git {args[0] if args else ''} failed")
    return out.stdout.decode("utf-8", "surrogateescape").strip()


class Repo:
    """A work tree and where its git data lives.

    Kept as strings (``top``, ``gitdir``, ``common``) for the hook path, which does
    not import pathlib (it pulls in urllib.parse); the Path properties are for
    everything else.
    """

    __slots__ = ("common", "gitdir", "top")

    def __init__(
        self,
        toplevel: str | os.PathLike[str],
        git_dir: str | os.PathLike[str],
        common_dir: str | os.PathLike[str],
    ) -> None:
        self.top = os.fspath(toplevel)
        self.gitdir = os.fspath(git_dir)  # this worktree's dir (.git, or .git/worktrees/<name>)
        self.common = os.fspath(common_dir)  # shared objects and refs

    @property
    def toplevel(self) -> Path:
        from pathlib import Path

        return Path(self.top)

    @property
    def git_dir(self) -> Path:
        from pathlib import Path

        return Path(self.gitdir)

    @property
    def common_dir(self) -> Path:
        from pathlib import Path

        return Path(self.common)

    def __repr__(self) -> str:
        return f"Repo({self.top}, git_dir={self.gitdir}, common_dir={self.common})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Repo):
            return NotImplemented
        return (self.top, self.gitdir, self.common) == (other.top, other.gitdir, other.common)

    __hash__ = None  # type: ignore[assignment]


def find_repo(cwd: str | os.PathLike[str], deadline: float) -> Repo | None:
    """The repository containing ``cwd``, or None when it is not in a work tree."""
    cwd = os.fspath(cwd)
    if not os.path.isdir(cwd):
        return None
    found = _find_repo_fast(cwd)
    if found is not None:
        return found
    git = Git(cwd, deadline, clean_env())
    proc = git.run(
        "rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir", check=False
    )
    if proc.returncode != 0:
        return None
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) != 3 or not lines[0]:
        return None  # bare repository or inside .git: nothing to snapshot
    common = lines[2]
    if not os.path.isabs(common):
        common = os.path.realpath(os.path.join(cwd, common))
    return Repo(lines[0], lines[1], common)


def _find_repo_fast(cwd: str) -> Repo | None:
    """Find the repository by looking for ``.git`` upwards, as git does, without a process.

    Only the plain layouts are handled here (a ``.git`` directory, or a ``.git`` file
    pointing at a worktree or submodule git dir, no ``core.worktree``); anything else
    returns None and ``git rev-parse`` decides. Saves one git process per hook.
    """
    directory = os.path.abspath(cwd)
    if ".git" in directory.split(os.sep):
        return None  # inside a git dir: let git answer
    while True:
        dotgit = os.path.join(directory, ".git")
        try:
            if os.path.isdir(dotgit):
                git_dir = dotgit
            elif os.path.isfile(dotgit):
                with open(dotgit, encoding="utf-8") as fh:
                    text = fh.read().strip()
                if not text.startswith("gitdir:"):
                    return None
                git_dir = os.path.normpath(os.path.join(directory, text[7:].strip()))
            else:
                parent = os.path.dirname(directory)
                if parent == directory:
                    return None
                directory = parent
                continue
            if not os.path.isfile(os.path.join(git_dir, "HEAD")):
                return None
            common = git_dir
            commondir = os.path.join(git_dir, "commondir")
            if os.path.isfile(commondir):
                with open(commondir, encoding="utf-8") as fh:
                    common = os.path.normpath(os.path.join(git_dir, fh.read().strip()))
            with open(os.path.join(common, "config"), "rb") as fh:
                config = fh.read()
        except (OSError, UnicodeDecodeError):
            return None
        # A worktree configured elsewhere, or a bare repository: git knows best.
        if b"worktree" in config or b"bare = true" in config:
            return None
        return Repo(
            os.path.realpath(directory), os.path.realpath(git_dir), os.path.realpath(common)
        )
