"""Where things live: Claude Code's directory and cc-guard's own state.

Kept import-light: the hook and statusline paths import this module.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

#: Overrides cc-guard's state directory (tests always set it).
STATE_ENV = "CC_GUARD_HOME"
#: Overrides the user config file (default: platformdirs user config dir / config.toml).
CONFIG_ENV = "CC_GUARD_CONFIG"
#: Claude Code's own override for its directory.
CLAUDE_ENV = "CLAUDE_CONFIG_DIR"


def claude_dir() -> Path:
    """Claude Code's directory: ``$CLAUDE_CONFIG_DIR`` when set, else ``~/.claude``."""
    env = os.environ.get(CLAUDE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".claude"


def projects_dir() -> Path:
    return claude_dir() / "projects"


def state_dir(create: bool = True) -> Path:
    """cc-guard's state: ``$CC_GUARD_HOME`` when set, else the platformdirs user state dir.

    Created 0700 on first use.
    """
    env = os.environ.get(STATE_ENV)
    if env:
        path = Path(env).expanduser()
    else:
        import platformdirs  # deferred: only needed without the override

        path = Path(platformdirs.user_state_dir("cc-guard", appauthor=False))
    if create:
        ensure_private_dir(path)
    return path


def state_subdir(name: str, create: bool = True) -> Path:
    path = state_dir(create) / name
    if create:
        ensure_private_dir(path)
    return path


def config_file() -> Path:
    """The user config file: ``$CC_GUARD_CONFIG`` when set, else ``<user config dir>/config.toml``."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("cc-guard", appauthor=False)) / "config.toml"


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) with mode 0700; tighten it if it exists looser."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)


def write_private(path: Path, data: bytes | str) -> None:
    """Atomically write ``data`` to ``path`` with mode 0600 (see :func:`write_atomic`)."""
    write_atomic(path, data, 0o600)


def write_atomic(path: Path, data: bytes | str, mode: int) -> None:
    """Atomically write ``data`` to ``path`` with ``mode``.

    Written to a temp file in the same directory and renamed over the target, so a
    reader never sees a half-written file and a crash leaves the old one intact.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def append_private(path: Path, line: str) -> None:
    """Append one line to a 0600 log file (created if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def project_key(cwd: str | os.PathLike[str]) -> str:
    """Claude Code's directory name for a project: every character of the cwd that is not
    an ASCII letter or digit turned into ``-`` (seen on 2.1.328: ``/``, ``.`` and ``_``)."""
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in str(cwd))
