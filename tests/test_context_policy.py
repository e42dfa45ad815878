"""The compaction policy at the end of a turn (cc_guard.context.policy.decide)."""

from __future__ import annotations

from cc_guard.config.sections import CompactConfig
from cc_guard.context.policy import COMPACT, NOTHING, NOTIFY, WARN, decide, effective_mode
from cc_guard.context.threshold import auto_compact

AUTO = auto_compact(1_000_000, "claude-opus-5-5")  # point 967,000
NOW = 1_800_000_000.0


def at(percent: float) -> int:
    return int(AUTO.point * percent / 100)


def test_below_warn_percent_nothing_happens() -> None:
    decision = decide(at(60), AUTO, CompactConfig(), now=NOW, in_tmux=True, process_alive=True)
    assert decision.action == NOTHING and "below warn_percent" in decision.reason


def test_past_warn_percent_warns_once_per_crossing() -> None:
    first = decide(at(72), AUTO, CompactConfig(), now=NOW, in_tmux=True, process_alive=True)
    assert first.action == WARN and first.percent is not None and 71 < first.percent < 73
    again = decide(
        at(74), AUTO, CompactConfig(), now=NOW, in_tmux=True, process_alive=True, warned=True
    )
    assert again.action == NOTHING and "already warned" in again.reason


def test_past_auto_percent_compacts_through_tmux_when_the_session_runs_in_tmux() -> None:
    decision = decide(at(86), AUTO, CompactConfig(), now=NOW, in_tmux=True, process_alive=True)
    assert (decision.action, decision.via) == (COMPACT, "tmux")


def test_outside_tmux_the_default_mode_notifies() -> None:
    decision = decide(at(86), AUTO, CompactConfig(), now=NOW, in_tmux=False, process_alive=True)
    assert decision.action == NOTIFY and "mode is notify" in decision.reason
    assert effective_mode("auto", False) == "notify" and effective_mode("auto", True) == "tmux"


def test_never_twice_within_min_interval() -> None:
    config = CompactConfig(min_interval_minutes=10)
    recent = decide(
        at(90), AUTO, config, now=NOW, in_tmux=True, process_alive=True, last_compact_at=NOW - 300
    )
    assert recent.action == NOTHING and "5 min ago" in recent.reason
    later = decide(
        at(90), AUTO, config, now=NOW, in_tmux=True, process_alive=True, last_compact_at=NOW - 700
    )
    assert later.action == COMPACT


def test_headless_mode_waits_for_a_live_session_to_exit() -> None:
    config = CompactConfig(mode="headless")
    live = decide(at(90), AUTO, config, now=NOW, in_tmux=True, process_alive=True)
    assert live.action == NOTIFY and "forks its transcript" in live.reason
    gone = decide(at(90), AUTO, config, now=NOW, in_tmux=False, process_alive=False)
    assert (gone.action, gone.via) == (COMPACT, "headless")


def test_tmux_mode_without_a_pane_notifies_and_off_does_nothing() -> None:
    assert (
        decide(at(90), AUTO, CompactConfig(mode="tmux"), now=NOW, in_tmux=False, process_alive=True).action
        == NOTIFY
    )
    off = decide(at(90), AUTO, CompactConfig(mode="off"), now=NOW, in_tmux=True, process_alive=True)
    assert off.action == NOTHING and "off" in off.reason


def test_unknown_fill_decides_nothing() -> None:
    assert decide(None, AUTO, CompactConfig(), now=NOW, in_tmux=True, process_alive=True).action == NOTHING


def test_thresholds_are_percentages_of_the_point_not_the_window() -> None:
    lowered = auto_compact(1_000_000, "claude-opus-5-5", {"CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "50"})
    # 420k is 42% of the window but 86% of a 490k point.
    decision = decide(420_000, lowered, CompactConfig(), now=NOW, in_tmux=True, process_alive=True)
    assert decision.action == COMPACT
