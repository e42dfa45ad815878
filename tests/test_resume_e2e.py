"""Issue 6 acceptance with the real Claude Code CLI against ``cc-guard chaos``, hooks installed.

Seen with 2.1.328 in print mode: a failed turn ends with SessionEnd and no StopFailure
hook (interactive mode fires StopFailure), so the handoff and checkpoint of the failure
come from the SessionEnd hook here. A stream cut before any text block completed leaves
no partial text anywhere (transcript, hook payloads); one cut after a block completed
keeps that block and adds a meta "Your response above was cut off mid-stream" record,
which is what acceptance 2 exercises (the cut lands mid-token inside the tool call's JSON).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from cc_guard.checkpoints import list_checkpoints
from tests.support.testbed import ClaudeBed

pytestmark = [pytest.mark.claude, pytest.mark.slow]

PROMPT = "Create alpha.py and beta.py for the inventory service, then wire them together"
PARTIAL = "Now I will wire beta into alpha so that the inventory service reads BETA."
KEY = "sk-ant-api03-LEAKEDkey0123456789abcdefLEAKEDkey0123456789abcdef"


def two_writes(project: Path) -> list[dict[str, Any]]:
    return [
        {
            "tool_use": [
                {
                    "name": "Write",
                    "input": {"file_path": str(project / "alpha.py"), "content": "ALPHA = 1\n"},
                }
            ]
        },
        {
            "tool_use": [
                {
                    "name": "Write",
                    "input": {
                        "file_path": str(project / "beta.py"),
                        "content": "from alpha import ALPHA\nBETA = ALPHA + 1\n",
                    },
                }
            ]
        },
    ]


def cut_after_text(project: Path) -> dict[str, Any]:
    """A text block that completes, then a tool call whose JSON is cut mid-token."""
    edit = {
        "file_path": str(project / "alpha.py"),
        "old_string": "ALPHA = 1",
        "new_string": "ALPHA = 1\nfrom beta import BETA",
    }
    # message_start, block start, 5 text deltas, block stop, tool block start, 1st JSON delta.
    return {
        "fault": {"cut_after_events": 10},
        "text": PARTIAL,
        "tool_use": [{"name": "Edit", "input": edit}],
    }


def wait_for(predicate: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(0.2)
        value = predicate()
    return value


def events(bed: ClaudeBed, session_id: str) -> set[str]:
    path = bed.state_dir / "events.jsonl"
    if not path.exists():
        return set()
    return {
        json.loads(line)["event"] for line in path.read_text().splitlines() if session_id in line
    }


def interrupted_session(bed: ClaudeBed, script: list[dict[str, Any]]) -> str:
    bed.cc_guard("install", "--scope", "user", "--no-statusline")
    bed.serve(script)
    run = bed.run(PROMPT)
    assert run.result is not None and run.result["is_error"] is True, run.stdout + run.stderr
    sid = run.session_id
    assert sid
    handoff_md = bed.state_dir / "handoff" / f"{sid}.md"
    assert wait_for(
        lambda: handoff_md.exists() and {"StopFailure", "SessionEnd"} & events(bed, sid)
    ), events(bed, sid)
    return sid


def handoff_json(bed: ClaudeBed, sid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(bed.cc_guard("handoff", sid, "--json").stdout)
    return data


def request_text(request: dict[str, Any]) -> str:
    return json.dumps(request.get("body"), ensure_ascii=False)


def claude_env(bed: ClaudeBed) -> dict[str, str]:
    return {"CC_GUARD_CLAUDE": str(bed.binary)}


def test_529_on_every_try_leaves_handoff_and_checkpoint(claude_bed: ClaudeBed) -> None:
    bed = claude_bed
    sid = interrupted_session(bed, [*two_writes(bed.project), {"fault": {"status": 529}}])
    data = handoff_json(bed, sid)
    assert data["health"]["state"] == "interrupted" and data["health"]["kind"] == "overloaded"
    assert {f["path"] for f in data["files"]} == {
        str(bed.project / "alpha.py"),
        str(bed.project / "beta.py"),
    }
    assert data["goal_latest"] == PROMPT
    checkpoints = list_checkpoints(bed.project, sid)
    assert checkpoints and {"alpha.py", "beta.py"} <= {f for c in checkpoints for f in c.files}
    assert data["checkpoint"]["sha"] == checkpoints[0].sha


def test_cut_stream_shows_partial_text_in_flight(claude_bed: ClaudeBed) -> None:
    bed = claude_bed
    sid = interrupted_session(bed, [*two_writes(bed.project), cut_after_text(bed.project)])
    data = handoff_json(bed, sid)
    assert data["health"]["interrupted"] is True and data["health"]["kind"] == "stream_truncated"
    assert data["partial_text"] == PARTIAL
    md = (bed.state_dir / "handoff" / f"{sid}.md").read_text()
    assert PARTIAL in md.split("## In flight")[1].split("## Files touched")[0]


def test_resume_continue_sends_the_continuation_prompt(claude_bed: ClaudeBed) -> None:
    bed = claude_bed
    sid = interrupted_session(bed, [*two_writes(bed.project), cut_after_text(bed.project)])
    chaos = bed.serve([{"text": "Resumed: beta is wired into alpha."}])
    proc = bed.cc_guard(
        "resume",
        sid,
        "--mode",
        "continue",
        "--",
        "-p",
        "--output-format",
        "json",
        env_extra=claude_env(bed),
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["session_id"] == sid and result["is_error"] is False
    first = request_text(chaos.message_requests()[0])
    assert "[cc-guard] This session was interrupted" in first
    assert "cut off mid-stream" in first and "wire beta into alpha" in first
    assert "alpha.py" in first  # the resumed conversation itself came along


def test_resume_fresh_seeds_only_the_launched_session(claude_bed: ClaudeBed) -> None:
    bed = claude_bed
    sid = interrupted_session(bed, [*two_writes(bed.project), {"fault": {"status": 529}}])
    # A seed waiting for another launch must not leak into an ordinary session.
    printed = bed.cc_guard("resume", sid, "--mode", "fresh", "--print").stdout
    waiting = list((bed.state_dir / "handoff" / "seeds").glob("*.json"))
    assert len(waiting) == 1 and waiting[0].stem in printed
    chaos = bed.serve([{"text": "Hello."}])
    bystander = bed.run("Say hello")
    assert bystander.result is not None and bystander.result["is_error"] is False
    assert all("[cc-guard handoff]" not in request_text(r) for r in chaos.message_requests())
    assert waiting[0].exists()
    # The launched session gets it, once.
    chaos = bed.serve([{"text": "Picking up: alpha.py and beta.py exist; wiring them now."}])
    before = set(bed.sessions())
    bed.cc_guard(
        "resume",
        sid,
        "--mode",
        "fresh",
        "--",
        "-p",
        "--output-format",
        "json",
        env_extra=claude_env(bed),
    )
    new = set(bed.sessions()) - before
    assert len(new) == 1 and next(iter(new)).stem != sid
    first = request_text(chaos.message_requests()[0])
    assert "[cc-guard handoff]" in first
    assert str(bed.project / "alpha.py") in first and str(bed.project / "beta.py") in first
    assert PROMPT in first
    # Its own seed was consumed; the other launch's seed is still waiting, untouched.
    assert list((bed.state_dir / "handoff" / "seeds").glob("*.json")) == waiting


def test_printed_key_is_redacted_in_handoff_and_injection(claude_bed: ClaudeBed) -> None:
    bed = claude_bed
    script = [
        {"tool_use": [{"name": "Bash", "input": {"command": f"echo ANTHROPIC_API_KEY={KEY}"}}]},
        {
            "tool_use": [
                {
                    "name": "Write",
                    "input": {
                        "file_path": str(bed.project / "settings.py"),
                        "content": f'API_KEY = "{KEY}"\n',
                    },
                }
            ]
        },
        {"fault": {"status": 529}},
    ]
    sid = interrupted_session(bed, script)
    transcript = next(p for p in bed.sessions() if p.stem == sid)
    assert KEY in transcript.read_text()  # the key really is in what Claude Code recorded
    handoff_dir = bed.state_dir / "handoff"
    for path in (handoff_dir / f"{sid}.md", handoff_dir / f"{sid}.json"):
        assert KEY not in path.read_text()
        assert KEY[:20] not in path.read_text()
    assert "settings.py" in (handoff_dir / f"{sid}.md").read_text()
    chaos = bed.serve([{"text": "ok"}])
    bed.cc_guard(
        "resume",
        sid,
        "--mode",
        "fresh",
        "--",
        "-p",
        "--output-format",
        "json",
        env_extra=claude_env(bed),
    )
    first = request_text(chaos.message_requests()[0])
    assert "[cc-guard handoff]" in first and "settings.py" in first
    assert KEY not in first and KEY[:20] not in first


def test_cut_before_any_text_says_nothing_was_kept(claude_bed: ClaudeBed) -> None:
    """Cut inside the first text delta: Claude Code 2.1.328 keeps none of the response."""
    bed = claude_bed
    cut = {"fault": {"cut_mid_text": True}, "text": PARTIAL}
    sid = interrupted_session(bed, [*two_writes(bed.project), cut])
    data = handoff_json(bed, sid)
    assert data["health"]["interrupted"] is True and data["health"]["kind"] == "stream_truncated"
    assert data["partial_text"] is None
    assert "cut off mid-stream before any of it was complete" in data["in_flight_note"]
    assert {f["path"] for f in data["files"]} == {
        str(bed.project / "alpha.py"),
        str(bed.project / "beta.py"),
    }
