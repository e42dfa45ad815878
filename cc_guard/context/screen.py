"""Read a Claude Code screen (``tmux capture-pane -p``): may cc-guard type into it?

Markers measured on 2.1.328 and 2.1.332 (``CLAUDE-CODE-FACTS.md`` section 3):

- the input line is the **last** line starting with the prompt sign (U+276F) + NO-BREAK SPACE, between two
  full-width rules of ``─``; past prompts in the scrollback use a normal space;
- it is empty when nothing follows the prompt sign; placeholders look like text in a
  plain capture: ``Press up to edit queued messages`` (something is queued: do not
  type), ``Once fixed, resend your message`` and ``Resend your message to try again``
  (empty, after a failure);
- busy: ``esc to interrupt`` in the footer below the box (dropped when the box holds
  text), or a spinner line a few lines above it (``· Onioning…``, ``✢ Computing… (2s ·
  ↓ 10 tokens)``, ``Compacting conversation…``, ``API error · retrying in 2s · attempt
  2/10``), with a tip and a hint line between;
- a dialog replaces the box: no prompt-sign line between rules, ``Do you want to proceed?``
  / ``Esc to cancel``. Enter there approves a tool call.

Typing is safe only when two captures half a second apart both show the empty box,
no spinner, no ``esc to interrupt``, no dialog, and the same screen
(:func:`typing_verdict`). When in doubt, do not type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROMPT = "\u276f\u00a0"  # the prompt sign, then a NO-BREAK SPACE
RULE = "─"
QUEUED = "Press up to edit queued messages"
#: Placeholders shown in an empty box after a failed turn: typing there is fine.
AFTER_FAILURE = ("Once fixed, resend your message", "Resend your message to try again")
BUSY_FOOTER = "esc to interrupt"
DIALOG_MARKERS = ("Do you want to proceed?", "Esc to cancel", "Do you want to make this edit")
#: A running spinner: a glyph, a verb and an ellipsis (``· Onioning…``, ``✢ Computing… (2s``),
#: or the retry and compaction lines. The finished line (``✻ Cooked for 3s · done``) has none.
_SPINNER = re.compile(r"^\s*\S \w[\w' -]*…|retrying in \d+s|Compacting conversation")
COMPACT_ERROR = "Error during compaction"
COMPACTED = "Compacted (ctrl+o"
#: How many lines above the input box a running spinner can be.
SPINNER_LINES = 6
#: How many lines a long input can wrap onto inside the box.
MAX_BOX_LINES = 40


@dataclass
class Screen:
    """What one capture shows."""

    text: str  # the capture itself
    has_box: bool  # the input line between two rules is on screen
    box_text: str  # what the input line holds ("" when empty)
    placeholder: str | None  # a dim placeholder shown in an empty box
    busy: bool  # a turn (or a compaction, or retries) is running
    dialog: bool  # a dialog (a permission request, ...) replaces the box
    compact_error: str | None  # the last "Error during compaction: ..." line
    compacted: bool  # the screen shows "Compacted (ctrl+o to see full summary)"

    @property
    def empty(self) -> bool:
        return self.has_box and (self.box_text == "" or self.box_text in AFTER_FAILURE)


def _is_rule(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= 10 and set(stripped) == {RULE}


def parse(capture: str) -> Screen:
    lines = capture.rstrip("\n").split("\n")
    box = -1
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith(PROMPT):
            box = index
            break
    # The box: a rule, the prompt line (and the lines its text wraps onto), a rule.
    bottom = -1
    if box > 0 and _is_rule(lines[box - 1]):
        for index in range(box + 1, min(len(lines), box + 1 + MAX_BOX_LINES)):
            if _is_rule(lines[index]):
                bottom = index
                break
    has_box = bottom > box
    box_text = ""
    if has_box:
        parts = [lines[box][len(PROMPT) :], *lines[box + 1 : bottom]]
        box_text = " ".join(part.strip(" \u00a0") for part in parts).strip()
    placeholder = box_text if box_text in (QUEUED, *AFTER_FAILURE) else None
    footer = "\n".join(lines[bottom + 1 :]) if has_box else "\n".join(lines[-3:])
    above = lines[max(0, box - 1 - SPINNER_LINES) : box - 1] if has_box else lines[-SPINNER_LINES:]
    spinner = any(_SPINNER.search(line) for line in above)
    dialog = not has_box and any(marker in capture for marker in DIALOG_MARKERS)
    errors = [line.strip() for line in lines if COMPACT_ERROR in line]
    return Screen(
        text=capture,
        has_box=has_box,
        box_text=box_text,
        placeholder=placeholder,
        busy=BUSY_FOOTER in footer or spinner,
        dialog=dialog,
        compact_error=errors[-1].lstrip("⎿ ").strip() if errors else None,
        compacted=COMPACTED in capture,
    )


def typing_verdict(first: Screen, second: Screen) -> tuple[bool, str]:
    """(may type, why) for two captures taken about half a second apart."""
    for screen in (first, second):
        if screen.dialog:
            return False, "a dialog is open (Enter would answer it)"
        if not screen.has_box:
            return False, "the input box is not on screen"
        if screen.placeholder == QUEUED:
            return False, "a message is queued"
        if screen.busy:
            return False, "a turn is running"
        if not screen.empty:
            return False, "the input box holds text (a draft)"
    if first.text != second.text:
        return False, "the screen changed between two looks"
    return True, "idle, with an empty input box"
