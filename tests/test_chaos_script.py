"""The chaos answer script: validation messages, ``when``/``repeat`` order, random fault dice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cc_guard.chaos.faults import FaultDice, parse_fault_spec
from cc_guard.chaos.script import RequestView, ScriptError, load_script, parse_script


def request(text: str = "hi", model: str = "claude-opus-4-5", system: str = "") -> RequestView:
    return RequestView.of(
        {"model": model, "system": system, "messages": [{"role": "user", "content": text}]}
    )


def answers(script: list[dict[str, Any]], requests: list[RequestView]) -> list[int | None]:
    loaded = parse_script(script)
    picked = [loaded.pick(r) for r in requests]
    return [e.index if e is not None else None for e in picked]


# -- validation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ([{"text": 3}], "entry 0: 'text' must be a string"),
        ([{"text": "a", "thinking": ["x"]}], "entry 0: 'thinking' must be a string"),
        ([{"text": "a"}, {"txet": "b"}], "entry 1: unknown key 'txet'"),
        ([{"usage": {"input_tokens": 5}}], "entry 0: needs 'text', 'tool_use' or 'fault'"),
        ([{"fault": {"status": 418}}], "entry 0: fault status must be one of"),
        ([{"fault": {"status": 529, "malformed": True}}], "a fault has one kind"),
        ([{"fault": {"stall_seconds": -1}}], "'stall_seconds' must be a non-negative number"),
        (
            [{"fault": {"cut_after_events": 1.5}}],
            "'cut_after_events' must be a non-negative integer",
        ),
        ([{"fault": {"explode": True}}], "unknown fault key 'explode'"),
        ([{"text": "a", "repeat": 0}], "'repeat' must be an integer >= 1"),
        ([{"text": "a", "when": {"modle": "x"}}], "unknown 'when' key 'modle'"),
        ([{"text": "a", "stop_reason": "done"}], "'stop_reason' must be one of"),
        ([{"text": "a", "usage": {"input_tokens": -1}}], "usage 'input_tokens' must be"),
        ([{"text": "a", "usage": {"tokens": 1}}], "unknown usage key 'tokens'"),
        ([{"tool_use": [{"input": {}}]}], "tool_use[0] needs a 'name' string"),
        ([{"tool_use": {"name": "Write"}}], "'tool_use' must be a non-empty list"),
        ([{"fault": {"status": 500}, "text": "x"}], "a status fault answers with an error body"),
        (["just text"], "entry 0: must be a JSON object"),
        ([{"fault": {"reset": True}}], "'reset' drops the connection at a cut"),
        ([{"fault": {"sse_error": "boom_error"}}], "fault 'sse_error' must be one of"),
        ([{"fault": {"status": 529, "reset": True}}], "'reset' drops the connection at a cut"),
    ],
)
def test_bad_entry_error_names_file_entry_and_problem(
    tmp_path: Path, entries: list[Any], problem: str
) -> None:
    path = tmp_path / "outage.json"
    path.write_text(json.dumps(entries))
    with pytest.raises(ScriptError) as err:
        load_script(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert problem in message


def test_script_that_is_not_a_list_or_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"text": "hi"}')
    with pytest.raises(ScriptError, match="must be a JSON list"):
        load_script(path)
    path.write_text("[{,]")
    with pytest.raises(ScriptError, match=r"s\.json: not valid JSON \(line 1"):
        load_script(path)
    path.write_text("[]")
    with pytest.raises(ScriptError, match="no entries"):
        load_script(path)
    with pytest.raises(ScriptError, match="cannot read"):
        load_script(tmp_path / "missing.json")


def test_every_documented_key_is_accepted() -> None:
    script = parse_script(
        [
            {
                "text": "partial",
                "thinking": "hmm",
                "tool_use": [
                    {"name": "Write", "input": {"file_path": "/x", "content": "y"}, "id": "toolu_1"}
                ],
                "usage": {
                    "input_tokens": 1,
                    "cache_creation_input_tokens": 2,
                    "cache_read_input_tokens": 3,
                    "output_tokens": 4,
                },
                "stop_reason": "max_tokens",
                "when": {"model": "opus", "contains": "a", "last": "a", "system": "s"},
                "repeat": 2,
                "model": "claude-test",
            },
            {"fault": {"status": 429, "retry_after": 2.5, "message": "slow down"}},
            {"fault": {"cut_after_events": 3, "drip_ms": 10}, "text": "before the cut"},
            {"fault": {"cut_mid_text": True}, "text": "x"},
            {"fault": {"stall_seconds": 0.5}},
            {"fault": {"drip_ms": 5}, "text": "slow"},
            {"fault": {"malformed": True}},
            {"fault": {"empty_200": True}},
            {"fault": {"sse_error": "api_error", "message": "Internal error"}, "text": "x"},
        ]
    )
    first = script.entries[0]
    assert first.tool_use[0].id == "toolu_1"
    assert first.usage["cache_read_input_tokens"] == 3
    assert first.repeat == 2 and first.when_system == "s"
    assert script.entries[1].fault is not None and script.entries[1].fault.retry_after == 2.5


# -- order: when, repeat, the last entry repeats -----------------------------


def test_entries_answer_in_order_and_the_last_repeats() -> None:
    script = [{"text": "a"}, {"text": "b"}, {"text": "c"}]
    assert answers(script, [request()] * 5) == [0, 1, 2, 2, 2]


def test_repeat_answers_n_times_before_moving_on() -> None:
    script = [{"fault": {"status": 529}, "repeat": 3}, {"text": "recovered"}]
    assert answers(script, [request()] * 5) == [0, 0, 0, 1, 1]


def test_when_model_fails_the_primary_and_serves_the_fallback() -> None:
    script = [
        {"when": {"model": "opus"}, "fault": {"status": 529}, "repeat": 2},
        {"text": "from the fallback"},
    ]
    opus, sonnet = request(model="claude-opus-4-5"), request(model="claude-sonnet-4-5")
    # The sonnet request skips the opus-only entry but leaves it in place for opus.
    assert answers(script, [sonnet, opus, sonnet, opus, opus]) == [1, 0, 1, 0, 1]


def test_when_contains_searches_the_conversation_not_the_system_prompt() -> None:
    script = [{"when": {"contains": "summary"}, "text": "<summary>x</summary>"}, {"text": "plain"}]
    with_prompt = request("say hello", system="... write a summary when asked ...")
    compact = request("Your task is to create a detailed summary of the conversation")
    assert answers(script, [with_prompt, compact, compact]) == [1, 0, 1]


def test_when_last_and_system_match_their_own_parts() -> None:
    script = [
        {"when": {"system": "title generator"}, "text": "A title"},
        {"when": {"last": "tool_result_marker"}, "text": "after the tool"},
        {"text": "default"},
    ]
    titled = request("hello", system="You are a title generator")
    tool_turn = RequestView.of(
        {
            "model": "m",
            "messages": [
                {"role": "user", "content": "tool_result_marker in history"},
                {"role": "assistant", "content": "ok"},
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "content": "tool_result_marker"}],
                },
            ],
        }
    )
    history_only = RequestView.of(
        {
            "model": "m",
            "messages": [
                {"role": "user", "content": "tool_result_marker in history"},
                {"role": "user", "content": "newest"},
            ],
        }
    )
    assert answers(script, [history_only, titled, tool_turn]) == [2, 0, 1]


def test_no_matching_entry_gives_none_so_the_server_uses_its_default() -> None:
    script = [{"text": "a"}, {"when": {"model": "haiku"}, "text": "b"}]
    assert answers(script, [request(), request(), request(model="claude-haiku-4-5")]) == [
        0,
        None,
        1,
    ]


def test_peeking_does_not_use_an_entry_up() -> None:
    script = parse_script([{"text": "a"}, {"text": "b"}])
    first = script.pick(request(), consume=False)
    assert first is not None and first.index == 0
    again = script.pick(request())
    assert again is not None and again.index == 0


# -- random faults -------------------------------------------------------------


def test_fault_spec_parses_statuses_and_named_kinds() -> None:
    rates = parse_fault_spec("529:0.2, truncate:0.1,stall:0.05,empty_200:0.01,sse_error:0.02")
    assert [(r.kind, r.rate) for r in rates] == [
        ("529", 0.2),
        ("truncate", 0.1),
        ("stall", 0.05),
        ("empty", 0.01),
        ("sse_error", 0.02),
    ]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("529", "needs a rate"),
        ("418:0.1", "unknown fault kind '418'"),
        ("boom:0.1", "unknown fault kind 'boom'"),
        ("529:lots", "is not a number"),
        ("529:1.5", "between 0 and 1"),
        ("529:0.7,500:0.5", "add up to more than 1"),
    ],
)
def test_bad_fault_spec_is_refused(spec: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_fault_spec(spec)


def test_same_seed_same_faults_and_rates_hold() -> None:
    rates = parse_fault_spec("529:0.2,truncate:0.1")
    first = [FaultDice(rates, seed=7).roll() for _ in range(1)]
    dice_a, dice_b = FaultDice(rates, seed=7), FaultDice(rates, seed=7)
    rolls_a = [dice_a.roll() for _ in range(2000)]
    rolls_b = [dice_b.roll() for _ in range(2000)]
    assert rolls_a == rolls_b
    assert first[0] == rolls_a[0]
    overloaded = sum(1 for f in rolls_a if f is not None and f.status == 529)
    truncated = sum(1 for f in rolls_a if f is not None and f.cut_after_events is not None)
    # Binomial(2000, p): 4 standard deviations either side.
    assert abs(overloaded - 400) < 4 * (2000 * 0.2 * 0.8) ** 0.5
    assert abs(truncated - 200) < 4 * (2000 * 0.1 * 0.9) ** 0.5
    other = FaultDice(rates, seed=8)
    assert [other.roll() for _ in range(2000)] != rolls_a
