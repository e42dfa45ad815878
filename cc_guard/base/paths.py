"""Where things live: Claude Code's directory, cc-guard's state dir and config file.

The one resolver. The string functions (``*_root``, ``config_path``) are the
primitives, with ``os`` alone, for the hook path and the statusline; the ``Path``
functions wrap them for everything else. On Linux the locations follow the XDG
rules platformdirs applies; elsewhere platformdirs decides.
"""

from __future__ import annotations

import os
import sys

from cc_guard.base.fs import ensure_private_dir

TYPE_CHECKING = False  # typing's costs the hook path; mypy reads the names below
if TYPE_CHECKING:
    from pathlib import Path

#: Overrides cc-guard's state directory (tests always set it).
STATE_ENV = "CC_GUARD_HOME"
#: Overrides the user config file (default: the user config dir's cc-guard/config.toml).
CONFIG_ENV = "CC_GUARD_CONFIG"
#: Claude Code's own override for its directory.
CLAUDE_ENV = "CLAUDE_CONFIG_DIR"
APP = "cc-guard"


def claude_root() -> str:
    """Claude Code's directory: ``$CLAUDE_CONFIG_DIR`` when set, else ``~/.claude``."""
    env = os.environ.get(CLAUDE_ENV)
    if env:
        return os.path.expanduser(env)
    return os.path.join(os.path.expanduser("~"), ".claude")


def state_root(create: bool = True) -> str:
    """cc-guard's state: ``$CC_GUARD_HOME``, else the user state dir (created 0700)."""
    env = os.environ.get(STATE_ENV)
    if env:
        path = os.path.expanduser(env)
    elif sys.platform == "linux":
        base = os.environ.get("XDG_STATE_HOME", "").strip() or os.path.expanduser("~/.local/state")
        path = os.path.join(base, APP)
    else:  # pragma: no cover - platformdirs knows the other platforms' rules
        import platformdirs

        path = platformdirs.user_state_dir(APP, appauthor=False)
    if create:
        ensure_private_dir(path)
    return path


def config_path() -> str:
    """The user config file: ``$CC_GUARD_CONFIG``, else ``<user config dir>/cc-guard/config.toml``."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return os.path.expanduser(env)
    if sys.platform == "linux":
        base = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
        return os.path.join(base, APP, "config.toml")
    import platformdirs  # pragma: no cover

    return os.path.join(platformdirs.user_config_dir(APP, appauthor=False), "config.toml")


def claude_dir() -> Path:
    from pathlib import Path

    return Path(claude_root())


def projects_dir() -> Path:
    return claude_dir() / "projects"


def state_dir(create: bool = True) -> Path:
    from pathlib import Path

    return Path(state_root(create))


def state_subdir(name: str, create: bool = True) -> Path:
    from pathlib import Path

    return Path(state_subroot(name, create))


def state_subroot(name: str, create: bool = True) -> str:
    path = os.path.join(state_root(create), name)
    if create:
        ensure_private_dir(path)
    return path


def config_file() -> Path:
    from pathlib import Path

    return Path(config_path())


def project_key(cwd: str | os.PathLike[str]) -> str:
    """Claude Code's directory name for a project: every character of the cwd that is not
    an ASCII letter or digit turned into ``-`` (seen on 2.1.328: ``/``, ``.`` and ``_``)."""
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in str(cwd))
