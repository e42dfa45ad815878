"""The command lines cc-guard installs, and how to recognise them again later.

Claude Code runs hook and statusLine commands through a shell, so the executable
path is shell-quoted. cc-guard's own entries are recognised by what they run
(the ``cc-guard`` executable, or ``python -m cc_guard``, followed by ``hook <Event>``
or ``statusline``), not by the exact path, so an uninstall after the executable
moved (a new virtualenv, an upgrade) still finds them.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

EXECUTABLE_NAME = "cc-guard"


def find_executable() -> list[str]:
    """argv prefix that runs this cc-guard: the console script if one can be found.

    Tried in order: the script this process was started as, the one next to this
    Python (a virtualenv's bin), the one on PATH, and finally ``python -m cc_guard``.
    """
    argv0 = sys.argv[0] if sys.argv else ""
    if Path(argv0).name == EXECUTABLE_NAME and os.path.isfile(argv0):
        # abspath, not resolve: a pipx-style symlink stays valid across upgrades.
        return [os.path.abspath(argv0)]
    beside = Path(sys.executable).parent / EXECUTABLE_NAME
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    on_path = shutil.which(EXECUTABLE_NAME)
    if on_path:
        return [os.path.abspath(on_path)]
    return [os.path.abspath(sys.executable), "-m", "cc_guard"]


def shell_join(argv: list[str]) -> str:
    return " ".join(shlex.quote(arg) for arg in argv)


def hook_command(prefix: list[str], event: str) -> str:
    return shell_join([*prefix, "hook", event])


def statusline_command(prefix: list[str], wrapped: str | None = None) -> str:
    argv = [*prefix, "statusline"]
    if wrapped is not None:
        argv += ["--wrap", wrapped]
    return shell_join(argv)


@dataclass(frozen=True)
class Parsed:
    """A command line recognised as cc-guard's: what it runs and with what."""

    subcommand: str  # "hook" or "statusline"
    args: tuple[str, ...]


def parse_own(command: object) -> Parsed | None:
    """``Parsed`` if ``command`` is one cc-guard installed, else None."""
    if not isinstance(command, str) or (
        EXECUTABLE_NAME not in command and "cc_guard" not in command
    ):
        return None
    try:
        argv = shlex.split(command)
    except ValueError:
        return None
    if len(argv) >= 2 and Path(argv[0]).name == EXECUTABLE_NAME:
        rest = argv[1:]
    elif len(argv) >= 4 and argv[1:3] == ["-m", "cc_guard"] and "python" in Path(argv[0]).name:
        rest = argv[3:]
    else:
        return None
    if rest[0] == "hook" and len(rest) == 2:
        return Parsed("hook", (rest[1],))
    if rest[0] == "statusline" and (len(rest) == 1 or (len(rest) == 3 and rest[1] == "--wrap")):
        return Parsed("statusline", tuple(rest[1:]))
    return None


def is_own_hook(command: object) -> bool:
    parsed = parse_own(command)
    return parsed is not None and parsed.subcommand == "hook"


def own_statusline(command: object) -> Parsed | None:
    parsed = parse_own(command)
    return parsed if parsed is not None and parsed.subcommand == "statusline" else None


def wrapped_command(parsed: Parsed) -> str | None:
    """The user's own statusLine command that a ``statusline --wrap`` runs, if any."""
    if len(parsed.args) == 2 and parsed.args[0] == "--wrap":
        return parsed.args[1]
    return None
