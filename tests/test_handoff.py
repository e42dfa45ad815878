"""The handoff: sections from transcripts, determinism, short form, incremental writes, seeds, hooks."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cc_guard.base.hookio import HookEvent
from cc_guard.cli import main as cli_main
from cc_guard.handoff import render, store
from cc_guard.handoff.assemble import Handoff
from cc_guard.runtime.handlers.handoff import on_session_start, on_stop_failure
from tests.support.handoff import (
    CWD,
    append_record,
    fake_claude_process,
    handoff_workers_for,
    install_fixture,
    run_hook,
)

TODO_SID = "11111111-aaaa-4bbb-8ccc-000000000001"
CUT_SID = "22222222-aaaa-4bbb-8ccc-000000000002"
SECRET_SID = "33333333-aaaa-4bbb-8ccc-000000000003"
PENDING_SID = "44444444-aaaa-4bbb-8ccc-000000000004"


def _handoff(name: str, claude: Path, state: Path, age_old: bool = True) -> Handoff:
    return store.make_handoff(install_fixture(name, claude, age_old=age_old), state)


def test_todowrite_session_sections(isolated_env: dict[str, Path]) -> None:
    h = _handoff("handmade-todowrite.jsonl", isolated_env["claude"], isolated_env["state"])
    assert h.session_id == TODO_SID
    assert (h.project, h.git_branch, h.claude_code_version, h.model) == (
        CWD,
        "feature/cart",
        "2.0.14",
        "claude-sonnet-4-5",
    )
    assert not h.health.interrupted
    assert h.goal_first is not None and h.goal_first.startswith("Add a discount field")
    assert h.goal_latest is not None and h.goal_latest.startswith("Great. Now document it")
    assert len(h.user_messages) == 2  # tool results and meta records are not user messages
    files = {f.path: (f.added, f.removed, f.tools) for f in h.files}
    assert files == {
        f"{CWD}/cart.py": (4, 0, ["Edit"]),  # the failed Edit adds nothing
        f"{CWD}/tests/test_discount.py": (5, 0, ["Write"]),
    }
    assert [(t.content, t.status) for t in h.todos] == [
        ("Add discount field to Cart", "completed"),
        ("Update cart tests", "completed"),
        ("Document discount in README", "pending"),
    ]
    assert h.todos_source == "TodoWrite"
    assert [(c.kind, c.outcome, c.exit_code) for c in h.commands] == [
        ("test", "failed", 1),
        ("test", "ok", 0),
    ]
    assert len(h.errors) == 2 and all(e.fix for e in h.errors)
    assert "AttributeError" in h.errors[0].error and "pytest" in (h.errors[0].fix or "")
    assert h.constraints == [
        "Don't touch the migrations folder.",
        "Always run pytest before you say you're done.",
        "Now document it, but only in README.md; never edit CHANGELOG.md by hand.",
    ]
    assert "Document discount in README" in h.next_step
    md = render.to_markdown(h)
    for heading in (
        "## Session",
        "## Goal",
        "## User messages",
        "## Current work",
        "## In flight",
        "## Files touched",
        "## Todos",
        "## Errors and fixes",
        "## Commands run",
        "## Constraints the user stated",
        "## Next step",
    ):
        assert heading in md
    assert "`/home/dev/shop/cart.py` +4 -0 (Edit)" in md


def test_task_tools_and_cut_stream(isolated_env: dict[str, Path]) -> None:
    h = _handoff("handmade-tasks-cut.jsonl", isolated_env["claude"], isolated_env["state"])
    assert h.health.interrupted and h.health.kind == "stream_truncated"
    assert h.todos_source == "tasks"
    # Task 3 was deleted; 1 completed; 2 in progress.
    assert [(t.id, t.content, t.status) for t in h.todos] == [
        ("1", "Create gateway.py", "completed"),
        ("2", "Create ledger.py", "in_progress"),
    ]
    assert h.partial_text is not None and "payment/ledger.py" in h.partial_text
    md = render.to_markdown(h)
    in_flight = md.split("## In flight")[1].split("## Files touched")[0]
    assert "payment/ledger.py and re-export" in in_flight
    assert "cut off" in h.next_step


def test_pending_tool_call_when_process_is_gone(isolated_env: dict[str, Path]) -> None:
    h = _handoff("handmade-pending.jsonl", isolated_env["claude"], isolated_env["state"])
    assert h.health.interrupted
    assert "never got a result" in (h.health.reason or "")
    assert [c.summary for c in h.pending_tool_calls] == [
        "Bash: ./manage.py migrate --database staging"
    ]
    assert "manage.py migrate" in h.next_step


def test_fresh_mid_turn_transcript_counts_as_running(isolated_env: dict[str, Path]) -> None:
    h = _handoff(
        "handmade-pending.jsonl", isolated_env["claude"], isolated_env["state"], age_old=False
    )
    assert not h.health.interrupted and h.health.state == "running"


def test_live_claude_pid_from_hook_log_is_named(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    path = install_fixture("handmade-pending.jsonl", isolated_env["claude"])
    proc = fake_claude_process(tmp_path)
    try:
        isolated_env["state"].mkdir(parents=True, exist_ok=True)
        event = {
            "time": "2026-03-01T10:00:15Z",
            "event": "PreToolUse",
            "session_id": PENDING_SID,
            "claude_pid": proc.pid,
        }
        (isolated_env["state"] / "events.jsonl").write_text(json.dumps(event) + "\n")
        h = store.make_handoff(path, isolated_env["state"])
        assert h.health.state == "running"
        assert (
            h.health.process is not None
            and f"pid {proc.pid}" in h.health.process
            and "claude" in h.health.process
        )
    finally:
        proc.kill()
        proc.wait()
    h = store.make_handoff(path, isolated_env["state"])
    assert h.health.interrupted  # the pid is dead now: the turn will never finish


def test_stop_failure_keeps_error_and_partial_text(
    isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CC_GUARD_HANDOFF_SYNC", "1")  # build in the hook, not in a worker
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    payload = {
        "session_id": TODO_SID,
        "transcript_path": str(path),
        "cwd": CWD,
        "hook_event_name": "StopFailure",
        "error": "overloaded",
        "last_assistant_message": "Adding the discount section to README.md under Usag",
    }
    assert run_hook("StopFailure", payload).returncode == 0  # logs the event, then builds
    data = json.loads((isolated_env["state"] / "handoff" / f"{TODO_SID}.json").read_text())
    assert data["health"]["interrupted"] is True and data["health"]["kind"] == "overloaded"
    assert data["partial_text"] == "Adding the discount section to README.md under Usag"


def test_no_secret_reaches_any_output(isolated_env: dict[str, Path]) -> None:
    h = _handoff("handmade-secrets.jsonl", isolated_env["claude"], isolated_env["state"])
    secrets = ("sk-ant-api03-SECRET", "ghp_abcdefghij", "hunter2hunter2", "AKIAIOSFODNN7EXAMPLE")
    outputs = [
        render.to_markdown(h),
        render.to_json(h),
        render.to_short(h),
        store.render_seed(render.to_short(h)),
    ]
    for out in outputs:
        for secret in secrets:
            assert secret not in out
    assert "deploy/config.yaml" in outputs[0]  # the rest of the handoff is still there


def test_rendering_is_deterministic(isolated_env: dict[str, Path], tmp_path: Path) -> None:
    for name in ("handmade-todowrite.jsonl", "handmade-tasks-cut.jsonl"):
        path = install_fixture(name, isolated_env["claude"])
        a = store.make_handoff(path, isolated_env["state"])
        b = store.make_handoff(path, tmp_path / "other-state")
        for fmt in ("md", "json", "short"):
            assert render.render(a, fmt) == render.render(b, fmt)


def test_short_form_stays_under_limit_and_keeps_priorities(isolated_env: dict[str, Path]) -> None:
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    for i in range(300):
        append_record(
            path,
            {
                "type": "user",
                "sessionId": TODO_SID,
                "timestamp": f"2026-03-01T11:{i // 60:02d}:{i % 60:02d}.000Z",
                "message": {
                    "role": "user",
                    "content": f"Request {i}: never break the API. " + "detail " * 200,
                },
            },
        )
        append_record(
            path,
            {
                "type": "assistant",
                "sessionId": TODO_SID,
                "timestamp": f"2026-03-01T11:{i // 60:02d}:{i % 60:02d}.500Z",
                "message": {
                    "id": f"m{i}",
                    "model": "claude-sonnet-4-5",
                    "stop_reason": "tool_use",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": f"w{i}",
                            "name": "Write",
                            "input": {
                                "file_path": f"{CWD}/gen/file_{i}.py",
                                "content": "x = 1\n" * 50,
                            },
                        }
                    ],
                },
            },
        )
        append_record(
            path,
            {
                "type": "user",
                "sessionId": TODO_SID,
                "message": {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": f"w{i}", "content": "ok"}],
                },
            },
        )
    os.utime(path, (1_600_000_000, 1_600_000_000))
    h = store.make_handoff(path, isolated_env["state"])
    short = render.to_short(h)
    assert len(short) <= render.SHORT_LIMIT
    assert short.startswith("[cc-guard handoff]")
    assert "## Next step" in short and "## Latest user request" in short and "Request 299" in short
    assert "gen/file_299.py" in short  # newest files survive the cut
    assert len(render.to_markdown(h)) > render.SHORT_LIMIT  # the full form keeps everything
    assert "gen/file_0.py" in render.to_markdown(h)


def test_incremental_write_only_when_transcript_changed(isolated_env: dict[str, Path]) -> None:
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    first = store.write_handoff(path)
    assert first.rebuilt
    for p in (first.md_path, first.json_path):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert not store.write_handoff(path).rebuilt
    append_record(
        path,
        {
            "type": "user",
            "sessionId": TODO_SID,
            "timestamp": "2026-03-01T12:00:00.000Z",
            "message": {"role": "user", "content": "Also add a changelog entry please."},
        },
    )
    again = store.write_handoff(path)
    assert again.rebuilt
    assert "Also add a changelog entry please." in again.md_path.read_text()


def test_seed_is_given_once_and_only_to_the_launched_session(
    isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    nonce = store.new_nonce()
    store.write_seed(nonce, "handoff text with sk-ant-api03-leakleakleak1234", "source-session")
    event = HookEvent("SessionStart", {"source": "startup"}, "new-session", CWD, "")
    monkeypatch.delenv("CC_GUARD_SEED", raising=False)
    assert on_session_start(event) is None  # a session cc-guard did not launch
    monkeypatch.setenv("CC_GUARD_SEED", store.new_nonce())
    assert on_session_start(event) is None  # another launch's nonce
    monkeypatch.setenv("CC_GUARD_SEED", nonce)
    assert on_session_start(HookEvent("SessionStart", {"source": "resume"}, "x", CWD, "")) is None
    out = on_session_start(event)
    assert out is not None and out.additional_context is not None
    assert (
        out.additional_context.startswith("handoff text")
        and "leakleak" not in out.additional_context
    )
    assert on_session_start(event) is None  # consumed
    assert not list((isolated_env["state"] / "handoff" / "seeds").iterdir())


def test_hook_process_injects_seed_and_writes_handoff(isolated_env: dict[str, Path]) -> None:
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    nonce = store.new_nonce()
    store.write_seed(nonce, "x" * 20000, TODO_SID)
    payload = {
        "session_id": "fresh-one",
        "transcript_path": "",
        "cwd": str(isolated_env["home"]),
        "hook_event_name": "SessionStart",
        "source": "startup",
    }
    proc = run_hook("SessionStart", payload, {"CC_GUARD_SEED": nonce})
    assert proc.returncode == 0
    context = json.loads(proc.stdout)["hookSpecificOutput"]["additionalContext"]
    assert 9000 < len(context) < 10000  # Claude Code swaps anything over 10,000 for a preview
    assert run_hook("SessionStart", payload, {"CC_GUARD_SEED": nonce}).stdout.strip() == ""
    stop = {
        "session_id": TODO_SID,
        "transcript_path": str(path),
        "cwd": str(isolated_env["home"]),
        "hook_event_name": "Stop",
    }
    assert run_hook("Stop", stop).returncode == 0
    md_path = isolated_env["state"] / "handoff" / f"{TODO_SID}.md"
    deadline = time.monotonic() + 30  # written by the detached worker the hook started
    while not md_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    md = md_path.read_text()
    assert "## Files touched" in md and "cart.py" in md


def test_handoff_command_json_and_summarizer_fallback(isolated_env: dict[str, Path]) -> None:
    install_fixture("handmade-tasks-cut.jsonl", isolated_env["claude"])
    result = CliRunner().invoke(cli_main, ["handoff", CUT_SID[:8], "--json", "--summarizer", "api"])
    assert result.exit_code == 0, result.output
    assert "API unavailable: no ANTHROPIC_API_KEY" in result.stderr
    assert "using the offline handoff" in result.stderr
    data = json.loads(result.stdout)
    assert data["session_id"] == CUT_SID
    assert [f["path"] for f in data["files"]] == [f"{CWD}/payment/gateway.py"]
    assert data["health"]["kind"] == "stream_truncated"
    assert (isolated_env["state"] / "handoff" / f"{CUT_SID}.md").exists()
    bad = CliRunner().invoke(cli_main, ["handoff", "ffffffff"])
    assert bad.exit_code != 0 and "no session matches" in bad.output


# --- recorded Claude Code 2.1.328 transcripts --------------------------------------------


def _recorded(name: str, isolated_env: dict[str, Path]) -> Handoff:
    return store.make_handoff(
        install_fixture(f"{name}-2.1.328.jsonl", isolated_env["claude"]), isolated_env["state"]
    )


def test_recorded_session_with_tools(isolated_env: dict[str, Path]) -> None:
    h = _recorded("normal-tools", isolated_env)
    assert not h.health.interrupted and h.claude_code_version == "2.1.328"
    assert [(f.path, f.added, f.removed) for f in h.files] == [
        ("/work/demo/notes.md", 3, 0),
        ("/work/demo/app.py", 1, 1),
    ]
    assert [(c.command, c.outcome) for c in h.commands] == [("python3 -c 'print(2 + 2)'", "ok")]
    assert [m.text for m in h.user_messages] == [
        "Write notes.md with a todo list, then annotate add() in app.py",
        "What does app.py contain?",
    ]
    assert h.last_assistant_text == "app.py has one function, add(a, b)."


def test_recorded_529_is_interrupted_overloaded(isolated_env: dict[str, Path]) -> None:
    h = _recorded("api-529", isolated_env)
    assert h.health.interrupted and h.health.kind == "overloaded"
    assert [f.path for f in h.files] == ["/work/demo/draft.txt"]
    assert h.goal_latest == "Write a first draft to draft.txt and then improve it"
    assert "interrupted (overloaded)" in h.next_step


def test_recorded_stream_cut_is_interrupted(isolated_env: dict[str, Path]) -> None:
    h = _recorded("stream-cut", isolated_env)
    assert h.health.interrupted and h.health.kind in ("connection", "stream_truncated")
    assert h.partial_text is None  # nothing of the cut response reached the transcript
    assert "## Current work\n- (nothing yet)" in render.to_markdown(h)


def test_recorded_compaction_keeps_real_prompts_only(isolated_env: dict[str, Path]) -> None:
    h = _recorded("compaction", isolated_env)
    assert h.compactions == 1 and not h.health.interrupted
    # The summary, the /compact echo and its caveat are not user messages.
    assert [m.text for m in h.user_messages] == [
        "Read app.py and tell me what it does",
        "Are you still there?",
    ]


def test_recorded_subagent_session(isolated_env: dict[str, Path]) -> None:
    h = _recorded("subagent", isolated_env)
    assert h.subagents == 1
    assert [m.text for m in h.user_messages] == [
        "Use a subagent to survey app.py"
    ]  # not the task notification
    assert "- Subagents: 1" in render.to_markdown(h)


def test_max_tokens_stop_is_an_interruption(isolated_env: dict[str, Path]) -> None:
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    append_record(
        path,
        {
            "type": "user",
            "sessionId": TODO_SID,
            "timestamp": "2026-03-01T12:00:00.000Z",
            "message": {"role": "user", "content": "Write the full migration guide."},
        },
    )
    append_record(
        path,
        {
            "type": "assistant",
            "sessionId": TODO_SID,
            "timestamp": "2026-03-01T12:00:09.000Z",
            "message": {
                "id": "msg_long",
                "model": "claude-sonnet-4-5",
                "stop_reason": "max_tokens",
                "content": [{"type": "text", "text": "## Migration guide\n\n1. Back up the"}],
            },
        },
    )
    os.utime(path, (1_600_000_000, 1_600_000_000))
    h = store.make_handoff(path, isolated_env["state"])
    assert h.health.interrupted and h.health.kind == "max_output_tokens"
    assert h.last_assistant_text is not None and h.last_assistant_text.endswith("Back up the")
    assert h.partial_text == "## Migration guide\n\n1. Back up the"


def test_config_summarizer_api_falls_back_to_offline(isolated_env: dict[str, Path]) -> None:
    install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    isolated_env["config"].parent.mkdir(parents=True, exist_ok=True)
    isolated_env["config"].write_text('[handoff]\nsummarizer = "api"\n')
    result = CliRunner().invoke(cli_main, ["handoff", TODO_SID, "--format", "short"])
    assert result.exit_code == 0, result.output
    assert "API unavailable: no ANTHROPIC_API_KEY" in result.stderr
    assert "using the offline handoff" in result.stderr
    assert result.stdout.startswith("[cc-guard handoff]") and len(result.stdout) <= 8000


def test_stream_cut_before_any_text_is_noted_in_flight(isolated_env: dict[str, Path]) -> None:
    """Interactive 2.1.328 records this notice, then a synthetic error (seen in tmux)."""
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    notice = (
        "Streaming response ended before any complete data was received. Retrying without "
        "streaming. If this keeps happening, check any proxy or gateway between Claude Code and your model provider."
    )
    append_record(
        path,
        {
            "type": "user",
            "sessionId": TODO_SID,
            "timestamp": "2026-03-01T12:00:00.000Z",
            "message": {"role": "user", "content": "Now add the README section."},
        },
    )
    append_record(
        path,
        {
            "type": "system",
            "subtype": "informational",
            "content": notice,
            "isMeta": False,
            "sessionId": TODO_SID,
            "timestamp": "2026-03-01T12:00:05.000Z",
        },
    )
    append_record(
        path,
        {
            "type": "assistant",
            "sessionId": TODO_SID,
            "timestamp": "2026-03-01T12:00:06.000Z",
            "isApiErrorMessage": True,
            "error": "unknown",
            "message": {
                "id": "e1",
                "model": "<synthetic>",
                "stop_reason": "stop_sequence",
                "content": [
                    {"type": "text", "text": "API Error: JSON Parse error: Unterminated string"}
                ],
            },
        },
    )
    os.utime(path, (1_600_000_000, 1_600_000_000))
    h = store.make_handoff(path, isolated_env["state"])
    assert h.health.interrupted and h.health.kind == "stream_truncated"
    assert h.partial_text is None and h.in_flight_note is not None
    assert (
        "kept none of its text"
        in render.to_markdown(h).split("## In flight")[1].split("## Files")[0]
    )


def test_concurrent_workers_leave_the_newest_handoff(isolated_env: dict[str, Path]) -> None:
    import subprocess
    import sys

    from cc_guard.handoff.freshness import is_current

    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    store.write_handoff(path, session_id=TODO_SID)
    procs = []
    for i in range(4):  # the transcript grows while workers race to rebuild it
        append_record(
            path,
            {
                "type": "user",
                "sessionId": TODO_SID,
                "timestamp": f"2026-03-01T12:00:0{i}.000Z",
                "message": {"role": "user", "content": f"Follow-up request number {i}."},
            },
        )
        argv = [sys.executable, "-m", "cc_guard.handoff.worker", str(path), TODO_SID]
        procs.append(subprocess.Popen(argv, env=os.environ.copy()))
    assert all(p.wait(timeout=60) == 0 for p in procs)
    assert is_current(path, isolated_env["state"], TODO_SID)
    md = (isolated_env["state"] / "handoff" / f"{TODO_SID}.md").read_text()
    assert "Latest request: Follow-up request number 3." in md


_KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"


def test_a_secret_cut_by_trimming_is_still_redacted(isolated_env: dict[str, Path]) -> None:
    """Trimming first left half a key block that no pattern matched (user messages, goal)."""
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + f"{_KEY_BODY}\n" * 30
    key += "-----END OPENSSH PRIVATE KEY-----"
    append_record(
        path,
        {
            "type": "user",
            "sessionId": TODO_SID,
            "timestamp": "2026-03-01T12:00:00.000Z",
            "message": {"role": "user", "content": f"Deploy with this key please:\n{key}"},
        },
    )
    os.utime(path, (1_600_000_000, 1_600_000_000))
    token = "ghp_" + "Q7wE9rT1yU3iO5pA2sD4fG6hJ8kL0zX2cV4b"
    prefix = "Push it with the token: "
    text = prefix + "w" * (560 - len(prefix) - 1) + " " + token + " and report back."
    assert text.index(token) == 560  # the 600-character one-line form cuts inside it
    append_record(
        path,
        {
            "type": "user",
            "sessionId": TODO_SID,
            "timestamp": "2026-03-01T12:01:00.000Z",
            "message": {"role": "user", "content": text},
        },
    )
    os.utime(path, (1_600_000_000, 1_600_000_000))
    h = store.make_handoff(path, isolated_env["state"])
    for out in (render.to_markdown(h), render.to_json(h), render.to_short(h)):
        assert _KEY_BODY[:12] not in out
        assert token[:20] not in out
    assert "Deploy with this key please" in render.to_markdown(h)


def test_continuation_prompt_redacts_before_taking_the_tail(isolated_env: dict[str, Path]) -> None:
    from cc_guard.handoff.resume import continuation_prompt

    h = store.make_handoff(
        install_fixture("handmade-tasks-cut.jsonl", isolated_env["claude"]), isolated_env["state"]
    )
    key = "sk-ant-api03-" + "Zx9kL2mN4pQ6rS8tU0vW" * 5
    h.partial_text = "Setting the key: " + key + " and now " + "x" * 300  # the cut lands in the key
    prompt = continuation_prompt(h)
    assert key[40:70] not in prompt and "cut off mid-stream" in prompt


def test_stop_failure_payload_is_kept_redacted(
    isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CC_GUARD_HANDOFF_SYNC", "1")
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    payload = {
        "session_id": TODO_SID,
        "transcript_path": str(path),
        "hook_event_name": "StopFailure",
        "error": "overloaded",
        "last_assistant_message": "Your key is sk-ant-api03-leakleakleak1234 and I will",
    }
    on_stop_failure(HookEvent("StopFailure", payload, TODO_SID, CWD, str(path)))
    for written in (isolated_env["state"] / "handoff").glob(f"{TODO_SID}*"):
        assert "leakleak" not in written.read_text(), written.name


def test_a_burst_of_stop_hooks_leaves_at_most_one_worker_waiting(
    isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    from cc_guard.handoff import worker
    from cc_guard.handoff.freshness import handoff_dir, is_current

    monkeypatch.delenv("CC_GUARD_HANDOFF_SYNC", raising=False)
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    store.write_handoff(path, session_id=TODO_SID)
    lock_path = handoff_dir(isolated_env["state"]) / f".{TODO_SID}.lock"
    lock = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a slow build is in progress
    try:
        for i in range(8):  # one Stop hook per turn, faster than the build
            append_record(
                path,
                {
                    "type": "user",
                    "sessionId": TODO_SID,
                    "timestamp": f"2026-03-01T12:00:0{i}.000Z",
                    "message": {"role": "user", "content": f"Burst request number {i}."},
                },
            )
            worker.spawn(path, TODO_SID)
            time.sleep(0.2)
        deadline = time.monotonic() + 30
        while len(handoff_workers_for(path)) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(handoff_workers_for(path)) == 1  # one waits; the others never queued
    finally:
        os.close(lock)
    deadline = time.monotonic() + 60
    while (handoff_workers_for(path) or not is_current(path, isolated_env["state"], TODO_SID)) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert is_current(path, isolated_env["state"], TODO_SID)
    md = (isolated_env["state"] / "handoff" / f"{TODO_SID}.md").read_text()
    assert "Latest request: Burst request number 7." in md
    leftovers = [p.name for p in (isolated_env["state"] / "handoff").iterdir() if ".tmp" in p.name]
    assert leftovers == []  # no half-written file


def test_handoff_command_waits_for_a_running_worker_and_its_build_stays(
    isolated_env: dict[str, Path],
) -> None:
    """A worker that read the transcript before the command must not land its build after it."""
    import fcntl
    import threading

    from cc_guard.handoff.freshness import handoff_dir

    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    md_path = isolated_env["state"] / "handoff" / f"{TODO_SID}.md"
    lock = os.open(
        handoff_dir(isolated_env["state"]) / f".{TODO_SID}.lock", os.O_RDWR | os.O_CREAT, 0o600
    )
    fcntl.flock(lock, fcntl.LOCK_EX)  # a worker is building from the transcript as it was
    stale = render.to_markdown(store.make_handoff(path, isolated_env["state"]))
    append_record(
        path,
        {
            "type": "user",
            "sessionId": TODO_SID,
            "timestamp": "2026-03-01T12:00:00.000Z",
            "message": {"role": "user", "content": "The newest request, after the failure."},
        },
    )
    results: list[Any] = []
    command = threading.Thread(
        target=lambda: results.append(CliRunner().invoke(cli_main, ["handoff", TODO_SID]))
    )
    command.start()
    command.join(timeout=2)  # it waits for the lock (without the lock: done by now)
    md_path.write_text(stale)  # the worker lands its older build
    os.close(lock)
    command.join(timeout=60)
    assert results and results[0].exit_code == 0, results
    assert "The newest request, after the failure." in results[0].stdout
    assert md_path.read_text() == results[0].stdout  # what the user saw is what is on disk


@pytest.mark.parametrize("summarizer", ["offline", "auto", "api"])
def test_offline_handoff_opens_no_network_connection(
    isolated_env: dict[str, Path], summarizer: str
) -> None:
    import subprocess
    import sys

    install_fixture("handmade-tasks-cut.jsonl", isolated_env["claude"])
    code = (
        "import runpy, sys\n"
        "seen = []\n"
        "sys.addaudithook(lambda e, a: seen.append(e) if e.split('.')[0] in "
        "('socket', 'urllib', 'http', 'ssl') else None)\n"
        f"sys.argv = ['cc-guard', 'handoff', {CUT_SID!r}, '--summarizer', {summarizer!r}]\n"
        "try:\n"
        "    runpy.run_module('cc_guard', run_name='__main__')\n"
        "finally:\n"
        "    print('NETWORK', sorted(set(seen)), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=os.environ
    )
    assert "[cc-guard handoff]" not in proc.stderr and "# Handoff:" in proc.stdout
    assert "NETWORK []" in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    "name", ["handmade-tasks-cut.jsonl", "stream-cut-2.1.328.jsonl", "api-529-2.1.328.jsonl"]
)
def test_hook_built_handoff_names_the_recorded_kind_of_an_unknown_stop_failure(
    isolated_env: dict[str, Path], name: str
) -> None:
    """Interactive Claude Code sends StopFailure error "unknown"; the transcript says more."""
    from cc_guard.handoff.freshness import save_failure

    path = install_fixture(name, isolated_env["claude"])
    sid = path.stem
    payload = {"error": "unknown", "last_assistant_message": "API Error: ..."}
    save_failure(sid, payload, "2099-01-01T00:00:00.000Z", isolated_env["state"])
    hook_built = store.make_handoff(path, isolated_env["state"], use_engine=False)
    command_built = store.make_handoff(path, isolated_env["state"])
    assert hook_built.health.interrupted
    assert hook_built.health.kind == command_built.health.kind
    assert hook_built.health.kind == ("overloaded" if "529" in name else "stream_truncated")


def test_a_seed_never_used_is_deleted_after_a_week(isolated_env: dict[str, Path]) -> None:
    forgotten = store.write_seed(store.new_nonce(), "printed, never run", "s1")
    recent = store.write_seed(store.new_nonce(), "printed an hour ago", "s2")
    week = store.SEED_MAX_AGE
    os.utime(forgotten, (time.time() - week - 60, time.time() - week - 60))
    os.utime(recent, (time.time() - 3600, time.time() - 3600))
    fresh = store.write_seed(store.new_nonce(), "now", "s3")
    assert not forgotten.exists() and recent.exists() and fresh.exists()


def test_handoff_command_names_the_checkpoint_it_takes_for_a_dead_session(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    """Claude Code died mid-turn (no hook saw it): the command keeps the tree and says where."""
    import subprocess

    from cc_guard.checkpoints import list_checkpoints, take_checkpoint

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    (repo / "app.py").write_text("v1\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=repo, check=True)
    install_fixture("handmade-pending.jsonl", isolated_env["claude"], project=str(repo))
    (repo / "app.py").write_text("v2\n")
    older = take_checkpoint(repo, PENDING_SID, "PostToolUse", "Edit", ["app.py"])
    (repo / "app.py").write_text("v3, written just before Claude Code died\n")
    result = CliRunner().invoke(cli_main, ["handoff", PENDING_SID, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["health"]["interrupted"] is True
    newest = list_checkpoints(repo, PENDING_SID)[0]
    assert newest.sha != older and newest.event == "Interrupted"
    assert data["checkpoint"]["sha"] == newest.sha
    on_disk = json.loads((isolated_env["state"] / "handoff" / f"{PENDING_SID}.json").read_text())
    assert on_disk["checkpoint"]["sha"] == newest.sha


def test_files_a_shell_command_removed_or_moved_are_listed(isolated_env: dict[str, Path]) -> None:
    """Files changed through Bash (rm, mv, redirections) are touched files too, without +/-."""
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    cwd = "/work/shop"
    append_record(
        path,
        {
            "type": "assistant",
            "sessionId": TODO_SID,
            "cwd": cwd,
            "timestamp": "2026-03-01T12:00:09.000Z",
            "message": {
                "id": "msg_rm",
                "model": "claude-sonnet-4-5",
                "stop_reason": "tool_use",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_rm",
                        "name": "Bash",
                        "input": {"command": "rm old_notes.md && mv a.txt b.txt"},
                    }
                ],
            },
        },
    )
    append_record(
        path,
        {
            "type": "user",
            "sessionId": TODO_SID,
            "cwd": cwd,
            "timestamp": "2026-03-01T12:00:10.000Z",
            "message": {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_rm", "content": ""}],
            },
        },
    )
    h = store.make_handoff(path, isolated_env["state"])
    by_path = {f.path: f for f in h.files}
    for name in ("old_notes.md", "a.txt", "b.txt"):
        assert by_path[f"{cwd}/{name}"].tools == ["Bash"]
    md = render.render(h, "md")
    assert f"- `{cwd}/old_notes.md` (Bash)" in md


def test_short_form_says_when_no_file_changed(isolated_env: dict[str, Path]) -> None:
    path = install_fixture("handmade-pending.jsonl", isolated_env["claude"])
    h = store.make_handoff(path, isolated_env["state"])
    assert h.files == []
    assert "No file changes recorded in the transcript." in render.to_short(h)
