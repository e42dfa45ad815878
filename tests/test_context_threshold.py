"""Where Claude Code compacts by itself, and its footer's figure (cc_guard.context.threshold).

The expected numbers are the ones measured on Claude Code 2.1.328 / 2.1.332
(CLAUDE-CODE-FACTS.md 2.1-2.3, 2.7, and the footer bisection in BENCHMARKS.md "Context").
"""

from __future__ import annotations

import pytest

from cc_guard.context.threshold import (
    FLAG_KEY,
    SETTING_KEY,
    auto_compact,
    footer,
    leading_number,
    percent_left,
    session_env,
    stored_env,
    until_text,
)

OPUS = "claude-opus-5-5"
SONNET_45 = "claude-sonnet-4-5"


def test_a_1m_model_compacts_at_967k() -> None:
    auto = auto_compact(1_000_000, OPUS)
    assert (auto.effective_window, auto.threshold, auto.point) == (980_000, 967_000, 967_000)
    assert auto.enabled and auto.proactive and auto.source == "default"


@pytest.mark.parametrize(
    ("env", "threshold"),
    [
        ({"CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "50"}, 490_000),
        ({"CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "80"}, 784_000),
        ({"CLAUDE_CODE_AUTO_COMPACT_WINDOW": "200000"}, 167_000),
        ({FLAG_KEY: "500000"}, 467_000),
        # The percentage can only lower the point, never raise it past window - 33k.
        ({"CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "100"}, 967_000),
        # Below the minimum window Claude Code accepts, the minimum applies.
        ({"CLAUDE_CODE_AUTO_COMPACT_WINDOW": "5000"}, 67_000),
        # Unusable values are ignored, as Claude Code ignores them.
        ({"CLAUDE_CODE_AUTO_COMPACT_WINDOW": "lots"}, 967_000),
        ({"CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "0"}, 967_000),
    ],
)
def test_overrides_in_the_sessions_environment_move_the_point(
    env: dict[str, str], threshold: int
) -> None:
    assert auto_compact(1_000_000, OPUS, env).threshold == threshold


def test_disabling_auto_compaction_leaves_no_proactive_point() -> None:
    for env in ({"DISABLE_AUTO_COMPACT": "1"}, {"DISABLE_COMPACT": "true"}):
        auto = auto_compact(1_000_000, OPUS, env)
        assert not auto.enabled and not auto.proactive and auto.source == "disabled"
    assert auto_compact(1_000_000, OPUS, {"DISABLE_AUTO_COMPACT": "0"}).enabled


def test_the_auto_compact_setting_turned_off_is_the_same_as_the_env() -> None:
    off = auto_compact(1_000_000, OPUS, {SETTING_KEY: "false"})
    assert off == auto_compact(1_000_000, OPUS, {"DISABLE_AUTO_COMPACT": "1"})
    assert footer(970_000, off) == "Context low (1% remaining)"
    assert auto_compact(1_000_000, OPUS, {SETTING_KEY: "true"}) == auto_compact(1_000_000, OPUS)
    # The env wins over a setting that says on (Claude Code checks the env first).
    assert not auto_compact(1_000_000, OPUS, {SETTING_KEY: "true", "DISABLE_COMPACT": "1"}).enabled


def test_the_stored_env_adds_what_the_hooks_recorded() -> None:
    env = stored_env(
        {"CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "50", "PATH": "/bin"},
        {"flag": "500000", "setting": False},
    )
    assert env == {
        "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "50",
        FLAG_KEY: "500000",
        SETTING_KEY: "false",
    }
    assert stored_env({}, {"flag": None, "setting": None}) == {}


def test_200k_models_never_compact_proactively_unless_a_window_is_set() -> None:
    auto = auto_compact(200_000, SONNET_45)
    assert not auto.proactive and auto.enabled and auto.source == "reactive"
    # cc-guard still measures against the point Claude Code would use.
    assert auto.point == 167_000
    # The percent override alone changes nothing for them (measured)...
    assert not auto_compact(200_000, SONNET_45, {"CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "50"}).proactive
    # ...a window setting turns proactive compaction on.
    assert auto_compact(200_000, SONNET_45, {FLAG_KEY: "200000"}).proactive


def test_the_config_override_replaces_the_point_cc_guard_measures_against() -> None:
    auto = auto_compact(1_000_000, OPUS, {}, config_tokens=500_000)
    assert (auto.point, auto.threshold, auto.source) == (500_000, 967_000, "config")


def test_small_max_output_models_reserve_less() -> None:
    assert auto_compact(200_000, "claude-3-haiku-20240307").effective_window == 195_904


@pytest.mark.parametrize(
    ("total", "text"),
    [
        (900_000, None),
        (946_999, None),
        (947_000, "2% until auto-compact"),  # bisected: 946,990 shows nothing, 947,000 shows 2%
        (952_490, "2% until auto-compact"),
        (952_500, "1% until auto-compact"),  # halves round up, as Math.round does
        (962_310, "auto-compact next"),
        (970_000, "auto-compact next"),
    ],
)
def test_the_footer_matches_claude_codes_on_a_1m_model(total: int, text: str | None) -> None:
    assert footer(total, auto_compact(1_000_000, OPUS)) == text


def test_reactive_models_show_context_used_of_the_effective_window() -> None:
    auto = auto_compact(200_000, SONNET_45)
    assert footer(150_010, auto) == "83% context used"
    assert footer(160_010, auto) == "89% context used"
    assert footer(180_010, auto) == "100% context used"
    assert until_text(150_010, auto) == "no auto-compact"


def test_with_auto_compaction_off_the_footer_says_context_low() -> None:
    auto = auto_compact(1_000_000, OPUS, {"DISABLE_AUTO_COMPACT": "1"})
    assert footer(970_000, auto) == "Context low (1% remaining)"
    assert until_text(970_000, auto) == "auto-compact off"


def test_cc_guard_shows_the_figure_at_any_fill() -> None:
    auto = auto_compact(1_000_000, OPUS)
    assert until_text(420_012, auto) == "57% until auto-compact"
    assert percent_left(2_000_000, auto) == 0


def test_leading_number_reads_like_javascripts_parse_float() -> None:
    assert leading_number("50") == 50.0
    assert leading_number(" 80.5% ") == 80.5
    assert leading_number("abc") is None
    assert leading_number(None) is None


def test_session_env_keeps_only_the_compaction_settings() -> None:
    env = {"CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "50", "PATH": "/bin", "DISABLE_COMPACT": ""}
    assert session_env(env) == {"CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "50"}
