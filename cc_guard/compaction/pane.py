"""Type into a session's tmux pane, only when its screen proves it idle with an empty box.

Typing into a draft sends the draft to the model, Enter on a permission dialog
approves a tool call, and text typed during a turn is queued and sent later: so
cc-guard types only after two captures half a second apart both pass
:func:`cc_guard.context.screen.typing_verdict`, and never ``C-c``. Keys are sent
literally (``send-keys -l``), then Enter.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from cc_guard import tmux
from cc_guard.context.screen import Screen, parse, typing_verdict

#: Between the two captures whose agreement proves the screen settled.
LOOK_GAP = 0.5
#: Between the text and Enter (Claude Code's slash-command menu opens as it is typed).
ENTER_DELAY = 0.3
#: How long the typed text may take to appear in the box before cc-guard gives up on it.
SHOWN_WITHIN = 3.0


@dataclass(frozen=True)
class Pane:
    """A Claude Code pane: tmux's ``%N`` on a server (socket path; None: the default)."""

    pane_id: str
    socket: str | None = None

    @property
    def server(self) -> tmux.Server:
        return tmux.Server(self.socket)

    def alive(self) -> bool:
        return tmux.pane_alive(self.server, self.pane_id)

    def look(self) -> Screen:
        return parse(tmux.capture(self.server, self.pane_id))

    def describe(self) -> str:
        return self.pane_id + (f" (tmux server {self.socket})" if self.socket else "")


@dataclass
class Wait:
    """How waiting for an idle pane ended."""

    idle: bool
    reason: str
    screen: Screen | None = None


def wait_until_idle(
    pane: Pane,
    timeout: float,
    *,
    settle: float = 0.0,
    interval: float = 1.0,
    abort: Callable[[], str | None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Wait:
    """Look at the pane until it is safe to type (two agreeing captures) or ``timeout`` passes.

    ``abort`` is asked before every look; a reason from it ends the wait (a new prompt
    came, the session ended). A pane that is gone ends it too.
    """
    deadline = clock() + timeout
    if settle > 0:
        sleep(settle)
    reason = "the pane was never looked at"
    last: Screen | None = None
    while True:
        if abort is not None:
            stop = abort()
            if stop:
                return Wait(False, stop, last)
        if not pane.alive():
            return Wait(False, f"the tmux pane {pane.describe()} is gone", last)
        try:
            first = pane.look()
            sleep(LOOK_GAP)
            second = pane.look()
        except tmux.TmuxError as exc:
            return Wait(False, f"tmux could not read the pane: {exc}", last)
        last = second
        ok, reason = typing_verdict(first, second)
        if ok:
            return Wait(True, reason, second)
        if clock() + interval > deadline:
            return Wait(False, f"not idle for {timeout:g} s: {reason}", second)
        sleep(interval)


def type_line(pane: Pane, text: str, shown_within: float = SHOWN_WITHIN) -> tuple[bool, str]:
    """Type ``text`` (one line) and press Enter once the box shows it; (typed, why).

    A busy machine can take a moment to draw the typed text; if the box shows
    something else (someone typed at the same moment) or never shows it, Enter is
    not pressed and the text stays for the user to see.
    """
    if "\n" in text or "\r" in text:
        raise ValueError("one line only: a newline would submit half of it")
    tmux.send_literal(pane.server, pane.pane_id, text)
    time.sleep(ENTER_DELAY)
    head = text[:24]
    deadline = time.monotonic() + shown_within
    while True:
        screen = pane.look()
        if screen.has_box and screen.box_text.startswith(head):
            break
        drawn = screen.has_box and screen.box_text and head.startswith(screen.box_text[: len(head)])
        if (screen.has_box and screen.box_text and not drawn) or time.monotonic() >= deadline:
            return False, "the input box did not show the typed text; Enter was not pressed"
        time.sleep(0.1)
    tmux.send_key(pane.server, pane.pane_id, "Enter")
    return True, "typed"
