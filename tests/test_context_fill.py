"""The fill between exact usages and the forecast (cc_guard.context.fill, .forecast, .report)."""

from __future__ import annotations

import json
from pathlib import Path

from cc_guard.context.fill import Calibration, Gap, calibrate, estimate, gaps, since
from cc_guard.context.forecast import forecast
from cc_guard.context.report import report_for
from cc_guard.transcripts.engine import load_session
from tests.support.transcripts import (
    assistant,
    attachment,
    compact_boundary,
    prompt,
    tool_result,
    tool_use,
    usage,
    write,
)

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


def words(text: str) -> int:
    """A stand-in tokenizer for these tests: one token per word."""
    return len(text.split())


def test_gaps_pair_consecutive_responses_with_what_was_appended_between() -> None:
    records = [
        prompt("one two three"),
        assistant([tool_use("t1", "Bash", {"command": "ls"})], msg_id="m1", request="r1", stop="tool_use", use=usage(10, 0, 1000, 20)),
        tool_result("t1", text="a b c d e f g h"),
        assistant("done", msg_id="m2", request="r2", use=usage(10, 0, 1050, 5)),
    ]
    [gap] = gaps(records, words)
    # The next request starts from the first response's fill and output (1,030).
    assert (gap.before, gap.appended, gap.after) == (1030, 8, 1060)
    assert gap.growth == 30


def test_a_split_response_counts_once_and_a_compaction_starts_afresh() -> None:
    first = assistant("part", msg_id="m1", request="r1", use=usage(10, 0, 1000, 5))
    same = assistant("part two", msg_id="m1", request="r1", use=usage(10, 0, 1000, 40))
    records = [
        first,
        same,
        prompt("more words here"),
        compact_boundary(post=3000),
        prompt("after the compaction"),
        assistant("ok", msg_id="m2", request="r2", use=usage(10, 0, 3100, 5)),
    ]
    [gap] = gaps(records, words)
    assert (gap.before, gap.appended, gap.after) == (3000, 3, 3110)


def test_since_counts_what_came_after_the_newest_usage() -> None:
    records = [
        assistant("ok", msg_id="m1", request="r1", use=usage(10, 0, 5000, 50)),
        prompt("one two three four"),
        attachment(),  # a system prompt snapshot: bookkeeping, not sent again
    ]
    found, _ = since(records, words)
    assert found is not None
    assert (found.exact, found.appended, found.records) == (5060, 4, 1)


def test_calibration_learns_an_overhead_per_record_and_a_factor_per_token() -> None:
    samples = [
        Gap(1000, 20, 1080, records=1),  # small gaps: mostly the framing of one record
        Gap(1000, 30, 1090, records=1),
        Gap(1000, 1000, 2360, records=1),  # 60 framing + 1.3 x 1000
        Gap(1000, 2000, 3660, records=1),
        Gap(1000, 1000, 2480, records=2),  # two records: 120 framing + 1.3 x 1000
        Gap(1000, 1000, 9000, records=1),  # 8x: not a plain append (a reread file, a new tool list)
    ]
    calibration = calibrate(samples)
    assert round(calibration.overhead) == 60
    assert (round(calibration.factor, 2), calibration.samples) == (1.3, 3)
    assert calibrate([]) == Calibration()
    assert estimate(5000, 200, Calibration(1.25, 10.0, 3), records=2) == 5270


def test_on_a_recorded_session_the_estimate_lands_near_the_next_exact_usage() -> None:
    records = [json.loads(line) for line in (FIXTURES / "normal-tools-2.1.328.jsonl").read_text().splitlines() if line.strip()]
    found = gaps(records, lambda text: max(1, len(text) // 4))
    assert found, "the recording has several responses"
    calibration = calibrate(found)
    for gap in found:
        predicted = estimate(gap.before, gap.appended, calibration, gap.records)
        assert abs(predicted - gap.after) / gap.after < 0.1


def test_forecast_uses_the_median_growth_per_turn_and_skips_compactions() -> None:
    fills = [(0.0, 10_000), (60.0, 20_000), (120.0, 30_000), (180.0, 40_000), (240.0, 5_000), (300.0, 15_000)]
    starts = [0.0, 60.0, 120.0, 180.0, 240.0, 300.0]
    result = forecast(fills, starts, [245.0], 15_000, 115_000, 215_000)
    assert result.tokens_per_turn == 10_000 and result.samples == 4
    assert (result.turns_to_point, result.turns_to_window) == (10, 20)
    assert result.minutes_to_point == 10.0
    assert "to auto-compact" in result.describe()


def test_one_huge_turn_does_not_swing_the_forecast() -> None:
    growth = [1000, 1000, 1000, 200_000, 1000, 1000]
    fills, total = [], 0
    for index, grown in enumerate(growth):
        total += grown
        fills.append((index * 60.0, total))
    result = forecast(fills, [f for f, _ in fills], [], total, total + 10_000, None)
    assert result.tokens_per_turn == 1000 and result.turns_to_point == 10


def test_report_for_a_session_gives_both_denominators_and_the_footer(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.jsonl",
        prompt("go", ts="2026-01-01T10:00:00.000Z"),
        assistant("ok", ts="2026-01-01T10:00:01.000Z", msg_id="m1", use=usage(12, 800, 947_188, 10)),
    )
    session = load_session(path, tmp_path / "state")
    report = report_for(session, {"context_window_size": 1_000_000, "model_id": "claude-opus-5-5"})
    assert (report.window, report.tokens, report.total) == (1_000_000, 948_000, 948_010)
    assert report.percent_of_window == 94.8
    assert report.auto_compact is not None and report.auto_compact["point"] == 967_000
    assert report.until_auto_compact == 2 and report.footer == "2% until auto-compact"
    assert report.level == "compact" and report.advice is not None
    assert report.advice.startswith("compact now: cc-guard compact ")


def test_nothing_is_counted_when_nothing_was_appended_since_the_newest_usage() -> None:
    counted: list[str] = []

    def count(text: str) -> int:
        counted.append(text)
        return 1

    records = [
        prompt("one"),
        assistant("a", msg_id="m1", request="r1", use=usage(10, 0, 1000, 5)),
        prompt("two three"),
        assistant("b", msg_id="m2", request="r2", use=usage(10, 0, 1100, 5)),
    ]
    found, _ = since(records, count)
    assert found is not None and (found.exact, found.appended) == (1115, 0)
    assert counted == []
