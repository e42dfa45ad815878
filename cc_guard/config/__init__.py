"""cc-guard's configuration: defaults (``sections``) and the TOML loader (``load``).

Import the loader from ``cc_guard.config.load`` (``load_config``, ``Config``,
``ConfigError``); this package's own names are import-light for the hook path.

Two files, both optional: the user file (``$CC_GUARD_CONFIG``, else the user config
dir's ``cc-guard/config.toml``) and a project's ``.cc-guard.toml``. The hook path
calls :func:`checkpoints_config`, which returns the defaults without importing the
loader when no config file exists (the common case).
"""

from __future__ import annotations

import os

from cc_guard.base.paths import config_path
from cc_guard.config.sections import (
    DEFAULT_EXCLUDE,
    PROJECT_FILE,
    SECTIONS,
    SUMMARIZERS,
    BackupConfig,
    CheckpointsConfig,
    ContextConfig,
    GitConfig,
    HandoffConfig,
)

TYPE_CHECKING = False  # typing's costs the hook path; mypy reads the names below
if TYPE_CHECKING:
    from cc_guard.config.sections import Section

    StrPath = str | os.PathLike[str]

__all__ = [
    "DEFAULT_EXCLUDE",
    "PROJECT_FILE",
    "SECTIONS",
    "SUMMARIZERS",
    "BackupConfig",
    "CheckpointsConfig",
    "ContextConfig",
    "GitConfig",
    "HandoffConfig",
    "any_config_file",
    "checkpoints_config",
    "context_config",
    "load_section",
]


def any_config_file(project_dir: StrPath | None, toplevel: StrPath | None = None) -> bool:
    """Whether a user or project config file might apply (a superset of the loader's search).

    Project file: ``.cc-guard.toml`` in ``project_dir`` or any parent up to the work
    tree's top (``toplevel`` when known, else the first directory holding ``.git``).
    """
    if os.path.exists(config_path()):
        return True
    if project_dir is None:
        return False
    current = os.path.abspath(project_dir)
    stop = os.fspath(toplevel) if toplevel is not None else None
    while True:
        if os.path.exists(os.path.join(current, PROJECT_FILE)):
            return True
        if current == stop or os.path.exists(os.path.join(current, ".git")):
            return False
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def load_section(
    name: str, project_dir: StrPath | None, toplevel: StrPath | None = None
) -> Section:
    """One section for a project; its defaults when no file applies or one is broken.

    For the hook path and the statusline: without a config file the loader is not
    even imported. A broken file must not stop them (a hook would then silently
    protect nothing): the loader logs the problem and the defaults apply.
    """
    if not any_config_file(project_dir, toplevel):
        return SECTIONS[name]()
    from pathlib import Path

    from cc_guard.config.load import load_config_safe

    try:
        return load_config_safe(None if project_dir is None else Path(project_dir)).section(name)
    except Exception:  # never fail the caller; load_config_safe has logged what it could
        return SECTIONS[name]()


def checkpoints_config(project_dir: StrPath | None, toplevel: StrPath | None = None) -> CheckpointsConfig:
    """``[checkpoints]`` for a project (see :func:`load_section`)."""
    section = load_section("checkpoints", project_dir, toplevel)
    assert isinstance(section, CheckpointsConfig)
    return section


def context_config(project_dir: StrPath | None) -> ContextConfig:
    """``[context]`` for a project (see :func:`load_section`)."""
    section = load_section("context", project_dir)
    assert isinstance(section, ContextConfig)
    return section
