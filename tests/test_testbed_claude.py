"""Issue 3 acceptance: the real Claude Code CLI against ``cc-guard chaos``.

These tests drive Anthropic's real ``@anthropic-ai/claude-code`` binary (pinned in
``tests/support/testbed.py``) against our fault-injecting upstream on loopback.
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


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, list):
            found += [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
    return found


def test_tool_call_round_trip_writes_file_and_sends_result(claude_bed: ClaudeBed) -> None:
    target = claude_bed.project / "hello.txt"
    claude_bed.serve(
        [
            {
                "tool_use": [
                    {
                        "name": "Write",
                        "input": {"file_path": str(target), "content": "hello from chaos\n"},
                    }
                ]
            },
            {"text": "I wrote hello.txt."},
        ]
    )
    run = claude_bed.run("create hello.txt")
    assert run.returncode == 0, run.stderr
    assert run.result is not None and run.result["is_error"] is False
    assert run.result["result"] == "I wrote hello.txt."
    assert target.read_text() == "hello from chaos\n"

    requests = claude_bed.chaos.message_requests()  # type: ignore[union-attr]
    answered = [r for r in requests if tool_results(r["body"])]
    assert answered, "no request carried the Write tool's result"
    result_block = tool_results(answered[0]["body"])[0]
    assert result_block["tool_use_id"].startswith("toolu_")
    assert run.transcript_path.exists()


def test_529_on_every_try_is_reported_and_recorded(claude_bed: ClaudeBed) -> None:
    claude_bed.serve([{"fault": {"status": 529}}])
    run = claude_bed.run("do something")
    assert run.result is not None, run.stdout + run.stderr
    assert run.result["is_error"] is True
    assert run.result["api_error_status"] == 529

    recs = records(run.transcript_path)
    retries = [r for r in recs if r.get("type") == "system" and r.get("subtype") == "api_error"]
    assert retries, "no system/api_error retry records"
    assert all(r["error"]["status"] == 529 for r in retries)
    assert [r["retryAttempt"] for r in retries] == list(range(1, len(retries) + 1))
    synthetic = [r for r in recs if r.get("type") == "assistant" and r.get("isApiErrorMessage")]
    assert synthetic and synthetic[-1]["apiErrorStatus"] == 529
    assert synthetic[-1]["message"]["model"] == "<synthetic>"
    # Every try reached the upstream: the first request plus one per retry.
    assert len(claude_bed.chaos.message_requests()) >= len(retries) + 1  # type: ignore[union-attr]


def test_stream_cut_mid_token_ends_as_api_error(claude_bed: ClaudeBed) -> None:
    claude_bed.serve([{"fault": {"cut_mid_text": True}, "text": "Here is the partial answ"}])
    run = claude_bed.run("explain the code")
    assert run.result is not None, run.stdout + run.stderr
    assert run.result["is_error"] is True
    assert run.result.get("terminal_reason") == "api_error"

    recs = records(run.transcript_path)
    errors = [r for r in recs if r.get("type") == "system" and r.get("subtype") == "api_error"]
    assert errors, "the truncation left no system/api_error record"
    assert any("StreamTruncated" in json.dumps(r.get("error", {})) for r in errors)


@pytest.mark.tmux
def test_interactive_prompt_and_compact_in_tmux(claude_bed: ClaudeBed) -> None:
    claude_bed.serve(
        [
            {
                "when": {"contains": "summary"},
                "text": "Summary: the user said hello; nothing pending.",
            },
            {"text": "Hello from the chaos upstream!"},
        ]
    )
    pane = claude_bed.tmux()
    pane.wait_for(r"(?i)(try|>|\u276f)", timeout=60)
    pane.type("say hello")
    pane.wait_for(r"Hello from the chaos upstream!", timeout=90)

    transcripts = claude_bed.sessions()
    assert len(transcripts) == 1
    pane.type("/compact")
    deadline_records: list[dict[str, Any]] = []
    import time

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        deadline_records = records(transcripts[0])
        if any(r.get("subtype") == "compact_boundary" for r in deadline_records):
            break
        time.sleep(0.5)
    boundaries = [r for r in deadline_records if r.get("subtype") == "compact_boundary"]
    assert boundaries, f"no compact_boundary record; screen:\n{pane.capture()}"
    assert boundaries[0]["compactMetadata"]["trigger"] == "manual"
