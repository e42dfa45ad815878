"""Issue 12 with the real Claude Code CLI (2.1.328) in real tmux, against ``cc-guard chaos``.

The fill is set with the fake upstream's ``usage`` overrides; compaction requests are
recognised by the words Claude Code's summary instructions always hold. cc-guard's
hooks are installed for real (``cc-guard install``), so the Stop hook's policy, the
detached worker that types ``/compact``, PreCompact's focus, SessionStart's
re-injection and the reports all run as they would for a user.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.testbed import ChaosServer, ClaudeBed, TmuxPane

pytestmark = [pytest.mark.claude, pytest.mark.tmux, pytest.mark.slow]

SUMMARY = "create a detailed summary of the conversation"


def usage(tokens: int, output: int = 10) -> dict[str, int]:
    """Usage that puts ``tokens`` in the window (input + cache), split like a cached turn."""
    return {
        "input_tokens": 12,
        "cache_creation_input_tokens": 800,
        "cache_read_input_tokens": tokens - 812,
        "output_tokens": output,
    }


def configure(text: str) -> None:
    path = Path(os.environ["CC_GUARD_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def wait_for(
    predicate: Callable[[], Any], timeout: float = 60, what: str = "", bed: ClaudeBed | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(0.3)
        value = predicate()
    seen = f"; decisions: {decisions(bed)}; errors: {errors(bed)}" if bed is not None else ""
    assert value, f"timed out waiting for {what or predicate}{seen}"
    return value


def errors(bed: ClaudeBed) -> str:
    path = bed.state_dir / "hook-errors.log"
    return path.read_text() if path.exists() else ""


def body(request: dict[str, Any]) -> str:
    return json.dumps(request.get("body"), ensure_ascii=False)


def summary_requests(chaos: ChaosServer) -> list[dict[str, Any]]:
    return [r for r in chaos.message_requests() if SUMMARY in body(r)]


def decisions(bed: ClaudeBed) -> list[dict[str, Any]]:
    path = bed.state_dir / "compaction" / "decisions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def reports(bed: ClaudeBed, sid: str) -> list[dict[str, Any]]:
    path = bed.state_dir / "compaction" / f"{sid}.reports.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def records(transcript: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in transcript.read_text().splitlines() if line.strip()]


def boundaries(transcript: Path) -> list[dict[str, Any]]:
    return [r for r in records(transcript) if r.get("subtype") == "compact_boundary"]


def start(bed: ClaudeBed, *args: str) -> TmuxPane:
    pane = bed.tmux([str(bed.binary), "--permission-mode", "acceptEdits", *args])
    pane.wait_for("\u276f", 60)
    time.sleep(1)
    return pane


def session_id(bed: ClaudeBed) -> str:
    return wait_for(lambda: bed.sessions(), 30, "a transcript")[-1].stem  # type: ignore[no-any-return]


def box(pane: TmuxPane) -> str:
    """What the input box holds now."""
    line = [x for x in pane.capture().splitlines() if x.startswith("\u276f\u00a0")][-1]
    return line[2:].strip()


def test_past_auto_percent_cc_guard_compacts_in_tmux_and_puts_back_what_the_summary_dropped(
    claude_bed: ClaudeBed,
) -> None:
    bed = claude_bed
    configure("[compact]\nsettle_seconds = 0.5\nidle_wait_seconds = 30\nconfirm_seconds = 60\n")
    bed.cc_guard("install", "--scope", "user", "--no-statusline")
    helper = bed.project / "retry_helper.py"
    chaos = bed.serve(
        [
            # The summary mentions the helper but not its file: the file is dropped.
            {
                "when": {"contains": SUMMARY},
                "text": "<summary>The user asked for a retry helper; it was written.</summary>",
                "repeat": 100,
            },
            {
                "tool_use": [{"name": "Write", "input": {"file_path": str(helper), "content": "def retry():\n    pass\n"}}],
                "usage": usage(400_000),
            },
            {"text": "Wrote the helper.", "usage": usage(880_000)},  # 91% of 967k
            {"text": "Still here.", "usage": usage(880_000)},
        ]
    )
    pane = start(bed)
    pane.type("Write a retry helper in retry_helper.py")
    [summary] = wait_for(lambda: summary_requests(chaos), 90, "the summary request", bed)
    text = body(summary)
    assert "[cc-guard] keep latest request: Write a retry helper" in text  # typed after /compact
    assert "[cc-guard] Keep these facts in the summary" in text  # PreCompact's plain stdout
    assert "retry_helper.py" in text
    sid = session_id(bed)
    transcript = next(p for p in bed.sessions() if p.stem == sid)
    [boundary] = wait_for(lambda: boundaries(transcript), 60, "the compaction boundary", bed)
    assert boundary["compactMetadata"]["trigger"] == "manual"
    [report] = wait_for(lambda: reports(bed, sid), 30, "the report", bed)
    assert (report["by"], report["via"], report["outcome"]) == ("cc-guard", "tmux", "ok")
    assert {"kind": "file", "text": "retry_helper.py"} in report["dropped"]
    assert report["reinjected"] == report["dropped"]
    # The next request carries what was dropped, through SessionStart(compact).
    before = len(chaos.message_requests())
    pane.wait_for(r"Compacted", 30)
    pane.type("carry on")
    wait_for(lambda: len(chaos.message_requests()) > before, 60, "the next request", bed)
    after = body(chaos.message_requests()[before])
    assert "left out these facts from before it" in after and "retry_helper.py" in after
    # Its Stop is past auto_percent again, but cc-guard just compacted: not twice.
    pane.wait_for("Still here", 60)
    last = wait_for(
        lambda: [d for d in decisions(bed) if d["event"] == "Stop"][-1:]
        if len([d for d in decisions(bed) if d["event"] == "Stop"]) >= 2
        else None,
        30,
        "the second Stop decision",
        bed,
    )[0]
    assert last["action"] == "nothing" and "min_interval_minutes" in last["reason"], decisions(bed)
    time.sleep(2)
    assert len(summary_requests(chaos)) == 1


def test_no_keys_while_a_draft_sits_in_the_box_or_a_turn_is_running(claude_bed: ClaudeBed) -> None:
    bed = claude_bed
    configure("[compact]\nsettle_seconds = 3\nidle_wait_seconds = 6\nconfirm_seconds = 60\n")
    bed.cc_guard("install", "--scope", "user", "--no-statusline")
    chaos = bed.serve(
        [
            {"when": {"contains": SUMMARY}, "text": "<summary>Work so far.</summary>", "repeat": 100},
            {"fault": {"stall_seconds": 5}, "text": "Slow answer.", "usage": usage(880_000)},
            {"text": "Second answer.", "usage": usage(880_000)},
            {"fault": {"stall_seconds": 8}, "text": "Third answer.", "usage": usage(880_000)},
        ]
    )
    pane = start(bed)
    pane.type("first prompt")
    pane.wait_for("esc to interrupt", 20)
    pane.type("my half-written draft", enter=False)  # the user starts typing mid-turn
    pane.wait_for("Slow answer", 30)
    gave_up = wait_for(
        lambda: [d for d in decisions(bed) if "did not type /compact" in d["reason"]],
        30,
        "giving up",
        bed,
    )
    assert "draft" in gave_up[0]["reason"]
    assert box(pane) == "my half-written draft"  # untouched
    assert summary_requests(chaos) == []
    # The user clears the draft and sends a prompt; that turn ends past auto_percent too.
    pane.tmux("send-keys", "-t", pane.target, "C-u")
    pane.type("second prompt")
    pane.wait_for("Second answer", 30)
    # Right after it, before cc-guard looks (settle_seconds), a stalled turn starts.
    pane.type("third prompt")
    stopped = wait_for(
        lambda: [d for d in decisions(bed) if "a new prompt came in" in d["reason"]], 30, "the abort"
    )
    assert stopped
    assert summary_requests(chaos) == []  # nothing typed into the running turn
    pane.wait_for("Third answer", 30)
    # Idle at last: now it compacts.
    [summary] = wait_for(lambda: summary_requests(chaos), 60, "the summary request")
    order = [r["seq"] for r in chaos.message_requests()]
    third = next(r for r in chaos.message_requests() if "third prompt" in body(r))
    assert summary["seq"] > third["seq"] and order[-1] >= summary["seq"]
    assert "/compact" not in json.dumps(third["body"]["messages"][-1])


def test_the_warning_shows_and_a_failed_proactive_compaction_is_noticed_not_an_interruption(
    claude_bed: ClaudeBed,
) -> None:
    bed = claude_bed
    configure('[compact]\nmode = "notify"\n')
    bed.cc_guard("install", "--scope", "user")  # with the statusline
    chaos = bed.serve(
        [
            {"when": {"contains": SUMMARY}, "fault": {"status": 529, "retry_after": 0}, "repeat": 100},
            {"text": "First answer.", "usage": usage(700_000)},  # 72%: warn
            {"text": "Second answer.", "usage": usage(970_000)},  # past Claude Code's own point
            {"text": "Third answer.", "usage": usage(975_000)},
        ]
    )
    pane = start(bed)
    pane.type("first prompt")
    pane.wait_for("Stop says: cc-guard: context at 72% of the auto-compact point", 30)
    # cc-guard's statusline (Claude Code's own footer shows nothing below 947k).
    pane.wait_for(r"ctx 70% of 1M · 28% until auto-compact \(!\)", 15)
    pane.type("second prompt")
    pane.wait_for("Second answer", 30)
    pane.wait_for(r"compact now: (type /compact, or run )?cc-guard compact", 30)
    # The next prompt makes Claude Code compact by itself; its summary request fails.
    pane.type("third prompt")
    pane.wait_for("Third answer", 90)
    sid = session_id(bed)
    summaries = summary_requests(chaos)
    assert summaries and "[cc-guard] Keep these facts in the summary" in body(summaries[0])
    [report] = wait_for(lambda: reports(bed, sid), 30, "the failure report")
    assert (report["outcome"], report["trigger"], report["by"]) == ("failed", "auto", "claude-code")
    status = json.loads(bed.cc_guard("status", sid, "--json").stdout)
    assert status["state"] in ("idle", "running"), status["state_reason"]
    assert status["compaction_reports"][-1]["outcome"] == "failed"
    pane.wait_for("compaction failed", 30)  # the statusline says so


def test_headless_compaction_of_a_stopped_session(claude_bed: ClaudeBed) -> None:
    bed = claude_bed
    bed.cc_guard("install", "--scope", "user", "--no-statusline")
    chaos = bed.serve(
        [
            {"when": {"contains": SUMMARY}, "text": "<summary>notes.md was written.</summary>", "repeat": 100},
            {
                "tool_use": [{"name": "Write", "input": {"file_path": str(bed.project / "notes.md"), "content": "n\n"}}],
                "usage": usage(200_000),
            },
            {"text": "Written.", "usage": usage(300_000)},
        ]
    )
    run = bed.run("Write notes.md with the plan")
    sid = run.session_id
    assert sid
    wait_for(lambda: '"SessionEnd"' in (bed.state_dir / "events.jsonl").read_text(), 20, "SessionEnd")
    env = {"CC_GUARD_CLAUDE": str(bed.binary)}
    planned = json.loads(bed.cc_guard("compact", sid, "--dry-run", "--json", env_extra=env).stdout)
    assert (planned["outcome"], planned["via"]) == ("planned", "headless")
    assert summary_requests(chaos) == []
    done = bed.cc_guard("compact", sid, "--json", env_extra=env)
    result = json.loads(done.stdout)
    assert (result["outcome"], result["via"], result["ok"]) == ("compacted", "headless", True)
    [summary] = summary_requests(chaos)
    assert "[cc-guard] keep latest request: Write notes.md with the plan" in body(summary)
    [boundary] = boundaries(run.transcript_path)
    assert boundary["compactMetadata"]["trigger"] == "manual"
    assert reports(bed, sid)[-1]["via"] == "headless"


def test_a_prompt_too_long_that_compaction_cannot_fix_is_stuck_and_resume_starts_fresh(
    claude_bed: ClaudeBed,
) -> None:
    bed = claude_bed
    bed.cc_guard("install", "--scope", "user", "--no-statusline")
    chaos = bed.serve(
        [
            {"when": {"contains": SUMMARY}, "fault": {"status": 529, "retry_after": 0}, "repeat": 100},
            {"text": "One.", "usage": usage(500_000)},
            {"text": "Two.", "usage": usage(960_000)},  # below the point: no proactive compaction
            # The third prompt no longer fits (a 400 is not retried); its reactive
            # compaction gets the 529s above.
            {"fault": {"status": 400, "message": "prompt is too long: 1012000 tokens > 1000000 maximum"}},
            {"text": "Fresh start: reading the handoff."},
        ]
    )
    first = bed.run("Build the importer in importer.py")
    sid = first.session_id
    assert sid
    assert bed.run("keep going", args=["--resume", sid]).returncode == 0
    stuck = bed.run("and the exporter", args=["--resume", sid])
    assert stuck.result is not None
    assert "Prompt is too long · automatic compaction failed" in str(stuck.result.get("result"))
    status = json.loads(bed.cc_guard("status", sid, "--json").stdout)
    assert status["state"] == "stuck", status["state_reason"]
    assert "cc-guard resume --mode fresh" in status["state_reason"]
    before = len(chaos.message_requests())
    proc = bed.cc_guard(
        "resume", sid, "--mode", "auto", "--", "-p", "--output-format", "json",
        env_extra={"CC_GUARD_CLAUDE": str(bed.binary)},
    )
    assert "resuming with --mode fresh: the session is stuck" in proc.stderr
    fresh = chaos.message_requests()[before]
    assert "[cc-guard handoff]" in body(fresh) and "Build the importer in importer.py" in body(fresh)
    assert re.search(r'"session_id": ?"(?!' + sid + ')', proc.stdout)


def test_auto_resume_types_continue_once_after_the_upstream_recovers(claude_bed: ClaudeBed) -> None:
    bed = claude_bed
    bed.max_retries = 1
    configure("[recover]\nauto = true\nprobe_interval_seconds = 1\n[compact]\nsettle_seconds = 0.5\n")
    bed.cc_guard("install", "--scope", "user", "--no-statusline")
    chaos = bed.serve(
        [
            {"text": "First answer."},
            {"fault": {"status": 529, "retry_after": 0}, "repeat": 2},  # every try of turn two
            {"text": "Recovered answer."},
        ]
    )
    pane = start(bed)
    pane.type("first prompt")
    pane.wait_for("First answer", 30)
    pane.type("second prompt")
    pane.wait_for("Recovered answer", 90)
    continued = [r for r in chaos.message_requests() if json.dumps(r["body"]["messages"][-1]).count('"continue"')]
    assert len(continued) == 1
    time.sleep(3)
    sent = [r for r in chaos.message_requests() if '"continue"' in json.dumps(r["body"]["messages"][-1])]
    assert len(sent) == 1
    assert any(d["action"] == "continued" for d in decisions(bed))


def test_auto_resume_never_types_after_an_auth_failure(claude_bed: ClaudeBed) -> None:
    bed = claude_bed
    bed.max_retries = 1
    configure("[recover]\nauto = true\nprobe_interval_seconds = 1\n")
    bed.cc_guard("install", "--scope", "user", "--no-statusline")
    chaos = bed.serve([{"text": "First answer."}, {"fault": {"status": 401}, "repeat": 100}])
    pane = start(bed)
    pane.type("first prompt")
    pane.wait_for("First answer", 30)
    pane.type("second prompt")
    wait_for(
        lambda: [d for d in decisions(bed) if d["event"] == "StopFailure"], 60, "the StopFailure decision"
    )
    time.sleep(4)
    [decision] = [d for d in decisions(bed) if d["event"] == "StopFailure"]
    assert decision["action"] == "nothing" and "never resumed" in decision["reason"]
    assert not any('"continue"' in json.dumps(r["body"]["messages"][-1]) for r in chaos.message_requests())
