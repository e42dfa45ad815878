"""Running git for checkpoints: argv lists, a clean environment, a deadline.

Everything here runs on the hook path, so it imports only the standard library.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from cc_guard.checkpoints import spawn

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

    # A plain class, not a dataclass: see cc_guard.hooks.types (import cost on the hook path).
    __slots__ = ("cwd", "deadline", "env")

    def __init__(self, cwd: Path, deadline: float, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.deadline = deadline
        self.env = env

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
        argv = ["git", "-C", str(self.cwd), *_CONFIG_ARGS, *args]
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
            (["git", "-C", str(self.cwd), *_CONFIG_ARGS, *c], self.env, None) for c in commands
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


class Repo:
    """A work tree and where its git data lives."""

    __slots__ = ("common_dir", "git_dir", "toplevel")

    def __init__(self, toplevel: Path, git_dir: Path, common_dir: Path) -> None:
        self.toplevel = toplevel
        self.git_dir = git_dir  # this worktree's dir (.git, or .git/worktrees/<name>)
        self.common_dir = common_dir  # shared objects and refs

    def __repr__(self) -> str:
        return f"Repo({self.toplevel}, git_dir={self.git_dir}, common_dir={self.common_dir})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Repo):
            return NotImplemented
        return (self.toplevel, self.git_dir, self.common_dir) == (
            other.toplevel,
            other.git_dir,
            other.common_dir,
        )

    __hash__ = None  # type: ignore[assignment]


def find_repo(cwd: Path, deadline: float) -> Repo | None:
    """The repository containing ``cwd``, or None when it is not in a work tree."""
    if not cwd.is_dir():
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
    git_dir = Path(lines[1])
    common = Path(lines[2])
    if not common.is_absolute():
        common = (cwd / common).resolve()
    return Repo(Path(lines[0]), git_dir, common)


def _find_repo_fast(cwd: Path) -> Repo | None:
    """Find the repository by looking for ``.git`` upwards, as git does, without a process.

    Only the plain layouts are handled here (a ``.git`` directory, or a ``.git`` file
    pointing at a worktree or submodule git dir, no ``core.worktree``); anything else
    returns None and ``git rev-parse`` decides. Saves one git process per hook.
    """
    current = Path(os.path.abspath(cwd))
    if current.name == ".git" or ".git" in current.parts:
        return None  # inside a git dir: let git answer
    for directory in (current, *current.parents):
        dotgit = directory / ".git"
        try:
            if dotgit.is_dir():
                git_dir = dotgit
            elif dotgit.is_file():
                text = dotgit.read_text("utf-8").strip()
                if not text.startswith("gitdir:"):
                    return None
                git_dir = Path(text[7:].strip())
                if not git_dir.is_absolute():
                    git_dir = directory / git_dir
                git_dir = Path(os.path.normpath(git_dir))
            else:
                continue
            if not (git_dir / "HEAD").is_file():
                return None
            common = git_dir
            commondir = git_dir / "commondir"
            if commondir.is_file():
                common = Path(os.path.normpath(git_dir / commondir.read_text("utf-8").strip()))
            config = (common / "config").read_bytes()
        except (OSError, UnicodeDecodeError):
            return None
        # A worktree configured elsewhere, or a bare repository: git knows best.
        if b"worktree" in config or b"bare = true" in config:
            return None
        return Repo(
            Path(os.path.realpath(directory)),
            Path(os.path.realpath(git_dir)),
            Path(os.path.realpath(common)),
        )
    return None
