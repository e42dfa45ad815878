"""What the real Claude Code CLI sends to ``cc-guard chaos`` and how it reacts (docs/claude-code.md claims).

Acceptance items 1-4 live in ``test_testbed_claude.py``; these pin the other facts the
docs state, so a new Claude Code version that changes them fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.testbed import ClaudeBed

pytestmark = [pytest.mark.claude, pytest.mark.slow]


def records(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def api_errors(path: Path) -> list[dict[str, Any]]:
    return [
        r for r in records(path) if r.get("type") == "system" and r.get("subtype") == "api_error"
    ]


def test_print_mode_sends_one_streaming_request_and_no_side_requests(claude_bed: ClaudeBed) -> None:
    usage = {
        "input_tokens": 1200,
        "cache_creation_input_tokens": 3400,
        "cache_read_input_tokens": 150000,
        "output_tokens": 42,
    }
    chaos = claude_bed.serve([{"text": "Just one answer.", "usage": usage}])
    run = claude_bed.run("hello")
    assert run.result is not None and run.result["result"] == "Just one answer."
    logged = chaos.requests()
    assert [(r["method"], r["path"], r["query"]) for r in logged] == [
        ("POST", "/v1/messages", "beta=true")
    ]
    request = logged[0]
    assert request["stream"] is True
    assert request["headers"]["x-api-key"] == "[redacted]"
    assert request["headers"]["x-claude-code-session-id"] == run.session_id
    assert {"model", "messages", "system", "tools", "max_tokens"} <= set(request["body"])
    # The scripted usage is what the transcript records (tests control context fill this way).
    assistant = [r for r in records(run.transcript_path) if r.get("type") == "assistant"]
    assert assistant[-1]["message"]["usage"]["cache_read_input_tokens"] == 150000
    assert assistant[-1]["message"]["usage"]["input_tokens"] == 1200


def test_529s_on_the_primary_model_switch_to_the_fallback_model(claude_bed: ClaudeBed) -> None:
    chaos = claude_bed.serve(
        [
            {"when": {"model": "opus"}, "fault": {"status": 529}, "repeat": 100},
            {"text": "served by the fallback"},
        ]
    )
    run = claude_bed.run(
        "hello",
        args=["--fallback-model", "claude-sonnet-4-5"],
        env_extra={"CLAUDE_CODE_MAX_RETRIES": "5"},
    )
    assert run.result is not None and run.result["result"] == "served by the fallback"
    models = [r["model"] for r in chaos.message_requests()]
    assert "opus" in models[0] and models[-1] == "claude-sonnet-4-5"
    assert all(r["answer"]["status"] == 529 for r in chaos.message_requests()[:-1])


def test_reset_cut_is_a_dropped_connection_to_claude_code(claude_bed: ClaudeBed) -> None:
    chaos = claude_bed.serve(
        [{"fault": {"cut_mid_text": True, "reset": True}, "text": "Here is the partial answ"}]
    )
    run = claude_bed.run("explain")
    assert run.result is not None and run.result["terminal_reason"] == "api_error"
    codes = {r["error"].get("connection", {}).get("code") for r in api_errors(run.transcript_path)}
    assert codes == {"ECONNRESET"}
    # After the streaming retries it tries once without streaming.
    assert [r["stream"] for r in chaos.message_requests()][-1] is False


def test_429_retry_after_is_honoured(claude_bed: ClaudeBed) -> None:
    claude_bed.serve([{"fault": {"status": 429, "retry_after": 3}}])
    run = claude_bed.run("hello")
    assert run.result is not None and run.result["api_error_status"] == 429
    waits = [r["retryInMs"] for r in api_errors(run.transcript_path)]
    assert waits and all(w >= 3000 for w in waits)


def test_compaction_request_is_recognisable_and_takes_a_tagged_summary(
    claude_bed: ClaudeBed,
) -> None:
    chaos = claude_bed.serve(
        [
            {"text": "Hello."},
            {
                "when": {"last": "create a detailed summary of the conversation"},
                "text": "<summary>The user said hello.</summary>",
            },
            {"text": "after compaction"},
        ]
    )
    first = claude_bed.run("say hello")
    assert first.session_id is not None
    compact = claude_bed.run("/compact", args=["--resume", first.session_id])
    assert compact.returncode == 0, compact.stderr
    summary_requests = [r for r in chaos.message_requests() if r["answer"].get("entry") == 1]
    # A summary inside <summary> tags is taken on the first try.
    assert len(summary_requests) == 1
    last = summary_requests[0]["body"]["messages"][-1]["content"]
    text = last if isinstance(last, str) else json.dumps(last)
    assert "CRITICAL: Respond with TEXT ONLY" in text
    boundaries = [
        r for r in records(first.transcript_path) if r.get("subtype") == "compact_boundary"
    ]
    assert boundaries
