"""Folding records into the session model: tokens, context, incidents, files, todos, prompts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_guard.transcripts.classify import bash_touched, lexed_bash_touched
from cc_guard.transcripts.engine import load_session
from cc_guard.transcripts.fold import Fold
from cc_guard.transcripts.model import IncidentKind, SessionState
from tests.support.transcripts import (
    CWD,
    api_error,
    assistant,
    compact_boundary,
    compact_summary,
    prompt,
    synthetic_error,
    tool_result,
    tool_use,
    usage,
    write,
)


def fold_of(*records: dict[str, Any]) -> Fold:
    fold = Fold()
    for record in records:
        fold.add(record)
    return fold


def test_tokens_are_deduplicated_by_message_id_and_request_id() -> None:
    fold = fold_of(
        prompt("go"),
        # One response split over two records (text, then tool_use): counted once.
        assistant(
            "thinking aloud",
            msg_id="m1",
            request="r1",
            stop="tool_use",
            use=usage(10, 100, 1000, 5),
        ),
        assistant(
            [tool_use("t1", "Bash", {"command": "ls"})],
            msg_id="m1",
            request="r1",
            stop="tool_use",
            use=usage(10, 100, 1000, 30),
        ),
        tool_result("t1"),
        # Same message id under another request id is another API call.
        assistant("done", msg_id="m1", request="r2", use=usage(1, 2, 3, 4)),
    )
    assert fold.tokens.input_tokens == 11
    assert fold.tokens.cache_creation_input_tokens == 102
    assert fold.tokens.cache_read_input_tokens == 1003
    assert fold.tokens.output_tokens == 34  # the later, larger output count of m1 wins
    assert fold.api_calls == 2


def test_fill_history_has_one_point_per_main_chain_response_and_marks_compactions() -> None:
    fold = fold_of(
        prompt("go"),
        # One response split over two records: one point.
        assistant("a", "2026-01-01T10:00:01.000Z", msg_id="m1", stop="tool_use", use=usage(10, 0, 1000, 5)),
        assistant([tool_use("t1", "Bash", {"command": "ls"})], "2026-01-01T10:00:01.500Z",
                  msg_id="m1", stop="tool_use", use=usage(10, 0, 1000, 9)),
        tool_result("t1"),
        # A subagent's response is not the main context: no point.
        assistant("side", msg_id="s1", request="rs", use=usage(1, 0, 90_000, 1), side=True),
        assistant("b", "2026-01-01T10:00:05.000Z", msg_id="m2", request="r2", use=usage(20, 500, 1500, 5)),
        synthetic_error(),  # <synthetic>: no usage, no point
        compact_boundary("2026-01-01T10:01:00.000Z", pre=2020, trigger="auto", post=300),
        assistant("c", "2026-01-01T10:02:00.000Z", msg_id="m3", request="r3", use=usage(5, 0, 400, 5)),
    )
    assert [(p.time, p.tokens) for p in fold.fill] == [
        ("2026-01-01T10:00:01.000Z", 1010),
        ("2026-01-01T10:00:05.000Z", 2020),
        ("2026-01-01T10:02:00.000Z", 405),
    ]
    assert [(c.trigger, c.pre_tokens, c.post_tokens) for c in fold.compactions] == [("auto", 2020, 300)]
    # It survives the index round trip.
    again = Fold.from_json(fold.to_json())
    assert again.fill == fold.fill and again.compactions == fold.compactions


def test_request_ref_of_newer_versions_also_keys_dedup() -> None:
    a = assistant("x", msg_id="m1", use=usage(5, 0, 0, 1))
    a.pop("requestId")
    a["requestRef"] = "ref-1"
    fold = fold_of(a, dict(a), dict(a, requestRef="ref-2"))
    assert fold.tokens.input_tokens == 10


def test_context_comes_from_newest_main_chain_record_with_real_usage() -> None:
    fold = fold_of(
        prompt("go"),
        assistant("main", msg_id="m1", use=usage(10, 500, 20_000, 5)),
        assistant("side", msg_id="m2", request="r2", use=usage(1, 1, 900_000, 1), side=True),
        synthetic_error(),
    )
    assert fold.context_tokens == 10 + 500 + 20_000
    assert fold.context_model == "claude-opus-5-5"


RETRY_CASES = [
    (api_error(status=529), IncidentKind.OVERLOADED),
    (api_error(status=503, text="503 Service Unavailable"), IncidentKind.SERVER_ERROR),
    (api_error(status=500, text="500 Internal"), IncidentKind.SERVER_ERROR),
    (api_error(status=429, text="429 Too Many Requests"), IncidentKind.RATE_LIMIT),
    (api_error(status=400, text="400 bad"), IncidentKind.INVALID_REQUEST),
    (api_error(status=413, text="413 too large"), IncidentKind.INVALID_REQUEST),
    (api_error(status=401, text="401"), IncidentKind.AUTH),
    (api_error(status=403, text="403"), IncidentKind.AUTH),
    (
        api_error(
            status=None,
            code="StreamTruncated",
            text="Connection closed before the response finished",
        ),
        IncidentKind.STREAM_TRUNCATED,
    ),
    (api_error(status=None, code="ETIMEDOUT", text="Request timed out."), IncidentKind.TIMEOUT),
    (
        api_error(status=None, code="ECONNREFUSED", text="Connection error."),
        IncidentKind.CONNECTION,
    ),
    (api_error(status=None, text="something odd"), IncidentKind.UNKNOWN),
]


@pytest.mark.parametrize(
    ("record", "kind"), RETRY_CASES, ids=[k.value + str(i) for i, (_, k) in enumerate(RETRY_CASES)]
)
def test_each_retry_record_is_classified(record: dict[str, Any], kind: IncidentKind) -> None:
    fold = fold_of(prompt("go"), record)
    [incident] = fold.incidents
    assert incident.kind is kind
    assert incident.retry_attempt == 1
    assert incident.max_retries == 10
    assert incident.final is None  # still retrying
    assert incident.time == record["timestamp"]


FINAL_CASES = [
    (synthetic_error(status=529, api_type="overloaded_error"), IncidentKind.OVERLOADED, 529),
    (
        synthetic_error(
            status=None,
            api_type=None,
            error="max_output_tokens",
            text="API Error: output token maximum",
        ),
        IncidentKind.MAX_OUTPUT_TOKENS,
        None,
    ),
    (
        synthetic_error(
            status=None, api_type=None, error="authentication_failed", text="API Error: 401"
        ),
        IncidentKind.AUTH,
        None,
    ),
    (
        synthetic_error(
            status=None, api_type=None, error="rate_limit", text="API Error: Rate limit"
        ),
        IncidentKind.RATE_LIMIT,
        None,
    ),
    (
        synthetic_error(
            status=None,
            api_type=None,
            error="unknown",
            text="API Error: ... failed with: stream_truncated, StreamTruncatedError",
        ),
        IncidentKind.STREAM_TRUNCATED,
        None,
    ),
    (
        synthetic_error(status=None, api_type=None, error="unknown", text="API Error: weird"),
        IncidentKind.UNKNOWN,
        None,
    ),
]


@pytest.mark.parametrize(
    ("record", "kind", "status"), FINAL_CASES, ids=[k.value for _, k, _ in FINAL_CASES]
)
def test_failure_without_retries_is_one_final_incident(
    record: dict[str, Any], kind: IncidentKind, status: int | None
) -> None:
    fold = fold_of(prompt("go"), record)
    [incident] = fold.incidents
    assert (incident.kind, incident.status, incident.final) == (kind, status, True)


def test_max_tokens_stop_is_a_final_incident() -> None:
    fold = fold_of(prompt("go"), assistant("truncated answ", stop="max_tokens"))
    [incident] = fold.incidents
    assert (incident.kind, incident.final) == (IncidentKind.MAX_OUTPUT_TOKENS, True)
    assert fold.phase == "failed"


def test_max_tokens_response_split_over_records_is_one_incident() -> None:
    # Claude Code 2.1.328 writes one record per content block, each repeating stop_reason.
    first = assistant("part one", msg_id="m1", request="r1", stop="max_tokens")
    second = assistant(
        [tool_use("t1", "Bash", {"command": "ls"})], msg_id="m1", request="r1", stop="max_tokens"
    )
    fold = fold_of(prompt("go"), first)
    fold = Fold.from_json(fold.to_json())  # the split can straddle two reads
    fold.add(second)
    fold.add(assistant("again", msg_id="m2", request="r2", stop="max_tokens"))
    assert [(i.kind, i.final) for i in fold.incidents] == [
        (IncidentKind.MAX_OUTPUT_TOKENS, True)
    ] * 2
    assert fold.phase == "failed"


def test_retries_then_success_are_marked_retried_successfully() -> None:
    fold = fold_of(prompt("go"), api_error(attempt=1), api_error(attempt=2), assistant("finally"))
    assert [(i.retry_attempt, i.final) for i in fold.incidents] == [(1, False), (2, False)]


def test_retries_then_synthetic_error_are_final_and_not_double_counted() -> None:
    fold = fold_of(prompt("go"), api_error(attempt=1), api_error(attempt=2), synthetic_error())
    assert [(i.kind, i.final) for i in fold.incidents] == [(IncidentKind.OVERLOADED, True)] * 2


def test_files_touched_by_edit_tools_and_bash(tmp_path: Path) -> None:
    fold = fold_of(
        prompt("go"),
        assistant(
            [
                tool_use("t1", "Write", {"file_path": "/p/new.py", "content": "x" * 10_000}),
                tool_use(
                    "t2", "Edit", {"file_path": "rel/mod.py", "old_string": "a", "new_string": "b"}
                ),
                tool_use("t3", "MultiEdit", {"file_path": "/p/multi.py", "edits": []}),
                tool_use("t4", "NotebookEdit", {"notebook_path": "/p/nb.ipynb", "new_source": ""}),
                tool_use("t5", "Bash", {"command": "rm -f old.txt && echo hi > /p/out.log"}),
                tool_use("t6", "Read", {"file_path": "/p/read-only.py"}),
                tool_use(
                    "t7", "Edit", {"file_path": "/p/new.py", "old_string": "x", "new_string": "y"}
                ),
            ],
            stop="tool_use",
        ),
    )
    assert set(fold.files) == {
        "/p/new.py",
        f"{CWD}/rel/mod.py",
        "/p/multi.py",
        "/p/nb.ipynb",
        f"{CWD}/old.txt",
        "/p/out.log",
    }
    assert fold.files["/p/new.py"].tools == ["Write", "Edit"]
    assert fold.files["/p/new.py"].count == 2
    # The index keeps tool inputs short.
    assert len(fold.pending["t1"].input["content"]) < 3000


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("mv a.txt b.txt", ["/w/a.txt", "/w/b.txt"]),
        ("cp src.txt dst.txt", ["/w/dst.txt"]),
        ("touch x && rm -rf build/ ; rmdir empty", ["/w/x", "/w/build", "/w/empty"]),
        ("echo hi >> log.txt 2>/dev/null", ["/w/log.txt"]),
        ("sed -i 's/a/b/' one.py two.py", ["/w/one.py", "/w/two.py"]),
        ("sed -i.bak -e 's/a/b/' three.py", ["/w/three.py"]),
        ("cd sub && touch inner.txt", ["/w/sub/inner.txt"]),
        ("cat file.txt | tee copy.txt", ["/w/copy.txt"]),
        ("ls -la; git status", []),
        ("rm $TMPFILE *.o", []),  # expansions and globs: unknowable, not guessed
        ("echo 'unterminated", []),
    ],
)
def test_bash_best_effort(command: str, expected: list[str]) -> None:
    assert bash_touched(command, "/w") == expected
    assert lexed_bash_touched(command, "/w") == expected


_WORDS = [
    "rm",
    "mv",
    "cp",
    "sed",
    "-i",
    "touch",
    "x",
    "a.txt",
    "/bin/rm",
    "cd",
    "sub",
    "git",
    "status",
    "echo",
    "rmx",
    "rm.sh",
    "env",
    "A=1",
    "xargs",
    "ln",
    "-s",
]
_GLUE = [" ", " ", " ", ";", "&&", "|", ">", ">>", '"', "'", "\\", "\n", "(", ")"]


@given(st.lists(st.sampled_from(_WORDS + _GLUE), max_size=12))
def test_bash_pre_check_never_changes_the_answer(parts: list[str]) -> None:
    """Skipping shlex for commands that cannot write must give the lexer's answer."""
    command = "".join(parts)
    assert bash_touched(command, "/w") == lexed_bash_touched(command, "/w")


def test_todowrite_replaces_the_todo_list() -> None:
    fold = fold_of(
        assistant(
            [
                tool_use(
                    "t1",
                    "TodoWrite",
                    {"todos": [{"content": "A", "status": "pending", "activeForm": "Doing A"}]},
                )
            ],
            stop="tool_use",
        ),
        assistant(
            [
                tool_use(
                    "t2",
                    "TodoWrite",
                    {
                        "todos": [
                            {"content": "A", "status": "completed", "activeForm": "Doing A"},
                            {"content": "B", "status": "in_progress"},
                        ]
                    },
                )
            ],
            msg_id="m2",
            stop="tool_use",
        ),
    )
    assert [(t.content, t.status, t.active_form) for t in fold.todos] == [
        ("A", "completed", "Doing A"),
        ("B", "in_progress", None),
    ]


def test_task_tools_build_the_todo_list() -> None:
    created = tool_result("c1", text="Task #1 created successfully: Write tests")
    created["toolUseResult"] = {"task": {"id": "1", "subject": "Write tests"}}
    fold = fold_of(
        assistant(
            [
                tool_use(
                    "c1",
                    "TaskCreate",
                    {"subject": "Write tests", "description": "d", "activeForm": "Writing tests"},
                )
            ],
            stop="tool_use",
        ),
        created,
        # No structured result: the id comes from the result text.
        assistant(
            [tool_use("c2", "TaskCreate", {"subject": "Ship it"})], msg_id="m2", stop="tool_use"
        ),
        tool_result("c2", text="Task #2 created successfully: Ship it"),
        assistant(
            [tool_use("u1", "TaskUpdate", {"taskId": "1", "status": "completed"})],
            msg_id="m3",
            stop="tool_use",
        ),
        tool_result("u1"),
        assistant(
            [tool_use("u2", "TaskUpdate", {"taskId": "2", "status": "in_progress"})],
            msg_id="m4",
            stop="tool_use",
        ),
    )
    assert [(t.content, t.status) for t in fold.todos] == [
        ("Write tests", "completed"),
        ("Ship it", "in_progress"),
    ]


def test_prompts_exclude_tool_results_meta_wrappers_and_summaries() -> None:
    fold = fold_of(
        prompt("real one"),
        tool_result("t1"),
        prompt("meta stuff", isMeta=True),
        prompt("<command-name>/compact</command-name>\n<command-message>compact</command-message>"),
        prompt("<local-command-stdout>Compacted</local-command-stdout>"),
        prompt(
            "Caveat: The messages below were generated by the user while running local commands. DO NOT respond"
        ),
        compact_summary(),
        prompt("sub prompt", isSidechain=True),
        prompt("[Request interrupted by user]"),
        {
            **prompt("x"),
            "message": {"role": "user", "content": [{"type": "text", "text": "block prompt"}]},
        },
    )
    assert [p.text for p in fold.prompts] == ["real one", "block prompt"]
    assert fold.turns == 2


def test_pending_tool_calls_and_last_text() -> None:
    fold = fold_of(
        prompt("go"),
        assistant(
            [
                {"type": "text", "text": "Let me look."},
                tool_use("a", "Bash", {"command": "ls"}),
                tool_use("b", "Read", {"file_path": "/x"}),
            ],
            stop="tool_use",
        ),
        tool_result("a"),
    )
    assert list(fold.pending) == ["b"]
    assert fold.last_assistant_text == "Let me look."


def test_compaction_is_recorded_and_resets_context() -> None:
    fold = fold_of(
        prompt("go"),
        assistant("a", use=usage(10, 0, 150_000, 5)),
        compact_boundary(pre=150_010),
        compact_summary(),
    )
    [compaction] = fold.compactions
    assert (compaction.trigger, compaction.pre_tokens) == ("manual", 150_010)
    assert fold.context_tokens is None
    assert fold.phase == "compacted"


def test_fold_survives_a_json_round_trip() -> None:
    import json

    fold = fold_of(
        prompt("go"),
        api_error(),
        assistant(
            [
                tool_use("t", "Write", {"file_path": "/p/a"}),
                tool_use("c", "TaskCreate", {"subject": "s"}),
            ],
            stop="tool_use",
        ),
        tool_result("c", text="Task #7 created successfully: s"),
        compact_boundary(),
    )
    again = Fold.from_json(json.loads(json.dumps(fold.to_json())))
    assert again == fold


def test_load_session_builds_a_full_model_with_subagents(tmp_path: Path) -> None:
    main = write(
        tmp_path / "proj" / "abc.jsonl",
        prompt("go"),
        assistant(
            [tool_use("task1", "Agent", {"prompt": "look around"})],
            stop="tool_use",
            use=usage(10, 0, 40_000, 5),
        ),
        tool_result("task1"),
        assistant("All done.", msg_id="m9", request="r9", use=usage(10, 0, 50_000, 5)),
        mtime=1_000_000.0,
    )
    write(
        tmp_path / "proj" / "abc" / "subagents" / "agent-a1.jsonl",
        prompt("look around", isSidechain=True),
        assistant(
            [tool_use("s1", "Write", {"file_path": "/p/from-sub.py"})],
            msg_id="s-m1",
            request="s-r1",
            side=True,
            stop="tool_use",
            use=usage(7, 0, 0, 3),
        ),
        tool_result("s1", isSidechain=True),
        api_error(),
    )
    model = load_session(main, now=2_000_000.0)
    assert model.session_id == "abc"
    assert model.context_tokens == 50_010
    assert model.context_window == 1_000_000
    assert model.context_percent == 5.0
    assert model.tokens.input_tokens == 27
    assert model.subagents == [str(tmp_path / "proj" / "abc" / "subagents" / "agent-a1.jsonl")]
    assert [f.path for f in model.files_touched] == ["/p/from-sub.py"]
    assert [i.source for i in model.incidents] == ["subagent"]
    assert model.prompts[0].text == "go" and len(model.prompts) == 1
    assert model.state is SessionState.IDLE
    assert model.to_json()["state"] == "idle"


def test_unknown_top_level_fields_are_counted_not_fatal() -> None:
    fold = fold_of(
        prompt("go", brandNewField=1),
        assistant("ok", anotherNewField={"x": 1}),
        assistant("again", msg_id="m2", request="r2", anotherNewField=2),
    )
    assert fold.stats.unknown_fields == {"user.brandNewField": 1, "assistant.anotherNewField": 2}
    assert fold.last_assistant_text == "again"


def test_recorded_fields_are_all_known() -> None:
    from tests.support.transcripts import RECORDED

    for path in RECORDED:
        assert load_session(path).stats.unknown_fields == {}, path.name


@pytest.mark.parametrize("abandon", ["[Request interrupted by user]", "try something else"])
def test_retries_the_user_abandoned_are_final_not_retried_successfully(abandon: str) -> None:
    fold = fold_of(
        prompt("go"),
        api_error(attempt=1),
        api_error(attempt=2),
        prompt(abandon, ts="2026-01-01T10:05:00.000Z"),
        assistant("an answer to a later turn", ts="2026-01-01T10:06:00.000Z"),
    )
    assert [(i.retry_attempt, i.final) for i in fold.incidents] == [(1, True), (2, True)]


def test_bash_and_memory_mode_inputs_are_not_prompts_awaiting_an_answer() -> None:
    # `! ls` and `# note` get no model response: counted as prompts they left the
    # session "mid-turn" (running, then interrupted after 10 minutes).
    fold = fold_of(
        prompt("go"),
        assistant("Done."),
        prompt("<bash-input>ls</bash-input>", ts="2026-01-01T10:01:00.000Z"),
        prompt(
            "<bash-stdout>a.txt</bash-stdout><bash-stderr></bash-stderr>",
            ts="2026-01-01T10:01:01.000Z",
        ),
        prompt("<user-memory-input>use uv</user-memory-input>", ts="2026-01-01T10:02:00.000Z"),
    )
    assert [p.text for p in fold.prompts] == ["go"]
    assert (fold.turns, fold.phase) == (1, "end")


def test_retries_of_a_compaction_that_then_succeeded_are_not_final() -> None:
    fold = fold_of(
        prompt("go"),
        assistant("ok"),
        api_error(attempt=1, ts="2026-01-01T10:59:00.000Z"),
        compact_boundary(),
        compact_summary(),
        prompt("next", ts="2026-01-01T11:05:00.000Z"),
    )
    assert [(i.retry_attempt, i.final) for i in fold.incidents] == [(1, False)]
