"""The one place cc-guard runs tmux: argv lists, never a shell string.

``cc-guard launch`` lays out Claude Code and the dashboard with these. Other
features reach a recorded pane: read it (:func:`capture`) and type into it
(:func:`send_literal` types text literally with ``send-keys -l``, never as key names;
:func:`send_key` sends one named key such as ``Enter``). Nothing here decides
*whether* to type: see :mod:`cc_guard.context.screen` and
:mod:`cc_guard.compaction.pane`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Layouts of ``cc-guard launch``: the dashboard to the right of Claude Code, or below it.
LAYOUTS = ("right", "below")
#: How much of the window the dashboard gets.
DASHBOARD_PERCENT = 40


class TmuxError(Exception):
    """A tmux command failed; the message is tmux's own stderr."""


@dataclass(frozen=True)
class Server:
    """A tmux server: the default one, or the one a socket path names."""

    socket: str | None = None

    @classmethod
    def current(cls) -> Server:
        """The server of the tmux client we run inside (``$TMUX``'s socket), else the default."""
        value = os.environ.get("TMUX", "")
        return cls(value.split(",")[0] or None) if value else cls()

    def argv(self, *args: str) -> list[str]:
        return ["tmux", *(["-S", self.socket] if self.socket else []), *args]

    def run(self, *args: str, check: bool = True) -> str:
        """Run one tmux command; its stdout. :class:`TmuxError` when it fails and ``check``."""
        try:
            proc = subprocess.run(
                self.argv(*args), capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TmuxError(f"tmux {args[0] if args else ''} failed: {exc}") from None
        if check and proc.returncode != 0:
            raise TmuxError(proc.stderr.strip() or f"tmux {args[0]} exited {proc.returncode}")
        return proc.stdout


def available() -> bool:
    return shutil.which("tmux") is not None


def inside() -> bool:
    """Whether this process runs in a tmux pane (``$TMUX`` and ``$TMUX_PANE`` set)."""
    return bool(os.environ.get("TMUX")) and bool(os.environ.get("TMUX_PANE")) and available()


def _env_args(env: Mapping[str, str]) -> list[str]:
    return [f"-e{key}={value}" for key, value in env.items()]


def split(
    server: Server,
    target: str,
    argv: Sequence[str],
    *,
    cwd: str,
    layout: str,
    env: Mapping[str, str] | None = None,
    percent: int = DASHBOARD_PERCENT,
    focus: bool = False,
) -> str:
    """Split pane ``target`` and run ``argv`` in the new pane (right of it or below); its id."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    args = [
        "split-window",
        "-h" if layout == "right" else "-v",
        *([] if focus else ["-d"]),
        "-l",
        f"{percent}%",
        "-t",
        target,
        "-c",
        cwd,
        "-P",
        "-F",
        "#{pane_id}",
        *_env_args(env or {}),
        *argv,
    ]
    return server.run(*args).strip()


def new_session(
    server: Server,
    name: str,
    argv: Sequence[str],
    *,
    cwd: str,
    env: Mapping[str, str] | None = None,
    size: tuple[int, int] | None = None,
) -> str:
    """A detached tmux session running ``argv`` in its first pane; that pane's id."""
    geometry = ["-x", str(size[0]), "-y", str(size[1])] if size else []
    args = [
        "new-session",
        "-d",
        "-s",
        name,
        *geometry,
        "-c",
        cwd,
        "-P",
        "-F",
        "#{pane_id}",
        *_env_args(env or {}),
        *argv,
    ]
    return server.run(*args).strip()


def new_window(
    server: Server, argv: Sequence[str], *, cwd: str, env: Mapping[str, str] | None = None
) -> str:
    """A new window in the current tmux session running ``argv``; its pane id."""
    args = ["new-window", "-c", cwd, "-P", "-F", "#{pane_id}", *_env_args(env or {}), *argv]
    return server.run(*args).strip()


def pane_alive(server: Server, pane_id: str) -> bool:
    try:
        out = server.run("list-panes", "-a", "-F", "#{pane_id}", check=False)
    except TmuxError:  # no tmux, or no server on that socket
        return False
    return pane_id in out.split()


def capture(server: Server, pane_id: str) -> str:
    """The pane's visible screen as plain text (``capture-pane -p``)."""
    return server.run("capture-pane", "-p", "-t", pane_id)


def send_literal(server: Server, pane_id: str, text: str) -> None:
    """Type ``text`` into the pane exactly as written (``send-keys -l``)."""
    server.run("send-keys", "-t", pane_id, "-l", "--", text)


def send_key(server: Server, pane_id: str, key: str) -> None:
    """Press one named key (``Enter``) in the pane."""
    server.run("send-keys", "-t", pane_id, key)


def pane_pid(server: Server, pane_id: str) -> int | None:
    out = server.run("display-message", "-p", "-t", pane_id, "#{pane_pid}", check=False).strip()
    return int(out) if out.isdigit() else None


def set_buffer(server: Server, text: str) -> None:
    """Put ``text`` into tmux's paste buffer (``prefix ]`` pastes it)."""
    server.run("set-buffer", "--", text)


def attach_argv(server: Server, name: str) -> list[str]:
    return server.argv("attach-session", "-t", name)
