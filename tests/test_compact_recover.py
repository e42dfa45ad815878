"""Auto-resume's decisions without a terminal (cc_guard.compaction.recover).

The real-CLI runs (a 529 storm then recovery, a 401) are in test_compact_claude.py; Claude
Code 2.1.328 runs a tool call it kept from a cut stream before it fails, so a failure with
a tool call still in flight is built here from a hand-made transcript.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cc_guard.compaction.pane import Pane
from cc_guard.compaction.recover import AUTH, DOWN, UP, probe_upstream, recover, verdict_for
from cc_guard.config.sections import RecoverConfig
from tests.support.handoff import install_fixture
from tests.support.transcripts import api_error, assistant, prompt, synthetic_error, write

SID = "11111111-2222-4333-8444-555555555555"
NOWHERE = Pane("%999", "/nonexistent/tmux.sock")


def decisions(state: Path) -> list[dict[str, object]]:
    path = state / "compaction" / "decisions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def failed_transcript(claude: Path) -> Path:
    return write(
        claude / "projects" / "-home-dev-proj" / f"{SID}.jsonl",
        prompt("first", ts="2026-01-01T10:00:00.000Z"),
        assistant("ok", ts="2026-01-01T10:00:01.000Z"),
        prompt("second", ts="2026-01-01T10:01:00.000Z"),
        api_error(ts="2026-01-01T10:01:01.000Z"),
        synthetic_error(ts="2026-01-01T10:01:05.000Z"),
        mtime=1_600_000_000,
    )


def test_a_transient_failure_with_nothing_in_flight_may_be_continued(
    isolated_env: dict[str, Path],
) -> None:
    transcript = failed_transcript(isolated_env["claude"])
    assert verdict_for(transcript, isolated_env["state"]) == (
        True,
        "the last turn failed transiently (overloaded)",
    )


def test_a_tool_call_in_flight_is_never_continued(isolated_env: dict[str, Path]) -> None:
    transcript = install_fixture("handmade-pending.jsonl", isolated_env["claude"])
    ok, why = verdict_for(transcript, isolated_env["state"])
    assert not ok and why.startswith("a tool call was in flight (Bash: ./manage.py migrate")


def test_an_invalid_request_is_never_continued(isolated_env: dict[str, Path]) -> None:
    transcript = write(
        isolated_env["claude"] / "projects" / "-home-dev-proj" / f"{SID}.jsonl",
        prompt("first", ts="2026-01-01T10:00:00.000Z"),
        synthetic_error(status=400, api_type="invalid_request_error", error="invalid_request", text="API Error: 400 bad"),
        mtime=1_600_000_000,
    )
    ok, why = verdict_for(transcript, isolated_env["state"])
    assert not ok and "not transient" in why


def test_probes_back_off_and_an_auth_answer_ends_it_without_typing(
    isolated_env: dict[str, Path],
) -> None:
    transcript = failed_transcript(isolated_env["claude"])
    answers = iter([(DOWN, "GET /v1/models answered 529"), (DOWN, "answered 529"), (AUTH, "answered 401")])
    waits: list[float] = []
    said = recover(
        SID,
        transcript,
        NOWHERE,
        "2026-01-01T10:01:06.000Z",
        config=RecoverConfig(auto=True, probe_interval_seconds=60, max_wait_minutes=60),
        probe=lambda: next(answers),
        sleep=waits.append,
        clock=lambda: 1767261666.0,
    )
    assert said == "answered 401" and waits == [60, 120]
    reasons = [str(d["reason"]) for d in decisions(isolated_env["state"])]
    assert reasons[-1] == "answered 401; never resumed on an auth problem"


def test_it_gives_up_after_max_wait_minutes(isolated_env: dict[str, Path]) -> None:
    transcript = failed_transcript(isolated_env["claude"])
    now = [1767261666.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    said = recover(
        SID,
        transcript,
        NOWHERE,
        "2026-01-01T10:01:06.000Z",
        config=RecoverConfig(auto=True, probe_interval_seconds=60, max_wait_minutes=5),
        probe=lambda: (DOWN, "answered 529"),
        sleep=sleep,
        clock=lambda: now[0],
    )
    assert said == "gave up"
    assert [d["action"] for d in decisions(isolated_env["state"])][-1] == "nothing"


def test_the_free_probe_asks_the_sessions_upstream(chaos: Callable[..., Any]) -> None:
    served = chaos([{"text": "unused"}])
    env = {"ANTHROPIC_BASE_URL": served.url, "ANTHROPIC_API_KEY": "sk-ant-test"}
    assert probe_upstream(env) == (UP, "GET /v1/models answered 200")
    # It asked for the model list (free), not for a message.
    assert [r["path"] for r in served.requests()] == ["/v1/models"]
    status, seen = probe_upstream({"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}, timeout=2)
    assert status == DOWN and "failed" in seen
