"""Reading Claude Code's screen before typing into it (cc_guard.context.screen).

The screens are real captures of Claude Code 2.1.328 in tmux (tests/fixtures/record_screens.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_guard.context.screen import parse, typing_verdict

SCREENS = Path(__file__).parent / "fixtures" / "screens"


def screen(name: str) -> str:
    return (SCREENS / f"{name}-2.1.328.txt").read_text()


def test_an_idle_session_with_an_empty_box_may_be_typed_into() -> None:
    idle = parse(screen("idle"))
    assert idle.has_box and idle.empty and not idle.busy and not idle.dialog
    assert typing_verdict(idle, parse(screen("idle"))) == (True, "idle, with an empty input box")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("draft", "the input box holds text (a draft)"),
        ("busy", "a turn is running"),
        ("queued", "a message is queued"),
        ("dialog", "a dialog is open (Enter would answer it)"),
    ],
)
def test_no_typing_into_a_draft_a_running_turn_a_queue_or_a_dialog(name: str, reason: str) -> None:
    shown = parse(screen(name))
    assert typing_verdict(shown, shown) == (False, reason)


def test_the_draft_is_read_from_the_box() -> None:
    assert parse(screen("draft")).box_text == "my half-written draft"


def test_a_screen_that_changed_between_two_looks_is_not_trusted() -> None:
    first = parse(screen("idle"))
    second = parse(screen("idle").replace("First answer.", "First answer!"))
    assert typing_verdict(first, second) == (False, "the screen changed between two looks")


def test_a_failed_compaction_is_read_off_the_screen() -> None:
    failed = parse(screen("compact-error"))
    assert failed.compact_error is not None
    assert failed.compact_error.startswith("Error during compaction: API Error: 529")
    assert failed.empty and not failed.busy


def test_no_input_box_on_screen_means_no_typing() -> None:
    blank = parse("just some output\n\n")
    assert not blank.has_box
    assert typing_verdict(blank, blank) == (False, "the input box is not on screen")


def test_a_long_input_wrapped_over_several_lines_is_read_whole() -> None:
    rule = "─" * 80
    text = f"{rule}\n\u276f\u00a0/compact keep the first part\n  and the second part\n{rule}\n  ? for shortcuts\n"
    shown = parse(text)
    assert shown.has_box and shown.box_text == "/compact keep the first part and the second part"
