"""The dashboard inside tmux: new windows for long-running commands, the paste buffer."""

from __future__ import annotations

import contextlib

from cc_guard import tmux


def open_window(argv: list[str], cwd: str, env: dict[str, str] | None = None) -> bool:
    """Run ``argv`` in a new window of the current tmux session; False outside tmux."""
    if not tmux.inside():
        return False
    try:
        tmux.new_window(tmux.Server.current(), argv, cwd=cwd, env=env or {})
    except tmux.TmuxError:
        return False
    return True


def set_buffer(text: str) -> None:
    """Also put ``text`` in tmux's paste buffer (terminals without OSC 52 clipboard)."""
    if tmux.inside():
        with contextlib.suppress(tmux.TmuxError):
            tmux.set_buffer(tmux.Server.current(), text)
