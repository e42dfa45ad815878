"""``cc-guard sessions`` and ``cc-guard status``: output, JSON shape, user errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cc_guard.cli import run
from cc_guard.views.sessions import SUMMARY_FIELDS
from tests.support.transcripts import (
    api_error,
    assistant,
    compact_boundary,
    prompt,
    session_path,
    synthetic_error,
    tool_use,
    usage,
    write,
)

OLD = 1_700_000_000.0


@pytest.fixture
def two_sessions(isolated_env: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    here = tmp_path / "work" / "here"
    here.mkdir(parents=True)
    claude = isolated_env["claude"]
    write(
        session_path(claude, "11111111-aaaa-4000-8000-000000000001", "-here"),
        {**prompt("fix the bug", ts="2026-01-01T10:00:00.000Z"), "cwd": str(here)},
        {
            **assistant("Fixed.", ts="2026-01-01T10:00:05.000Z", use=usage(10, 0, 89_990, 5)),
            "cwd": str(here),
        },
        mtime=OLD,
    )
    write(
        session_path(claude, "22222222-bbbb-4000-8000-000000000002", "-elsewhere"),
        prompt("hello", ts="2026-01-02T10:00:00.000Z"),
        api_error(ts="2026-01-02T10:00:01.000Z"),
        synthetic_error(ts="2026-01-02T10:00:09.000Z"),
        mtime=OLD,
    )
    return {"here": here}


def test_sessions_table_newest_first(
    two_sessions: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["sessions"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "PROJECT",
        "SESSION",
        "MODEL",
        "CONTEXT",
        "AUTO-COMPACT",
        "STATE",
        "LAST",
        "ACTIVITY",
        "INCIDENTS",
    ]
    assert out[1].split()[1:2] == ["22222222"]
    assert "interrupted" in out[1] and out[1].rstrip().endswith("1")
    assert "9% 90k/1M" in out[2] and "idle" in out[2] and "claude-opus-5-5" in out[2]


def test_sessions_json_is_stable(
    two_sessions: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["sessions", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["sessions"]
    rows = data["sessions"]
    assert [list(r) for r in rows] == [list(SUMMARY_FIELDS)] * 2
    second = rows[1]
    assert second["session_id"] == "11111111-aaaa-4000-8000-000000000001"
    assert (second["context_tokens"], second["context_window"], second["context_percent"]) == (
        90_000,
        1_000_000,
        9.0,
    )
    assert (second["state"], second["incident_count"], second["turns"]) == ("idle", 0, 1)
    assert rows[0]["incident_count"] == 1 and rows[0]["state"] == "interrupted"


def test_sessions_project_filter(
    two_sessions: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["sessions", "--json", "--project", str(two_sessions["here"])]) == 0
    rows = json.loads(capsys.readouterr().out)["sessions"]
    assert [r["session_id"][:8] for r in rows] == ["11111111"]


def test_status_by_prefix_text_and_json(
    two_sessions: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["status", "2222"]) == 0
    out = capsys.readouterr().out
    assert "22222222-bbbb-4000-8000-000000000002" in out
    assert "overloaded 529 attempt 1/10  final" in out
    assert run(["status", "2222", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["incident_count"] == 1
    assert data["incidents"][0]["kind"] == "overloaded"
    assert data["state"] == "interrupted"
    assert data["prompts"][0]["text"] == "hello"


def test_status_defaults_to_newest_session_of_the_cwd(
    two_sessions: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(two_sessions["here"])
    assert run(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["session_id"].startswith("11111111")


def test_user_errors_are_one_line_and_nonzero(
    two_sessions: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    assert run(["status", "nope"]) == 1
    assert capsys.readouterr().err == "cc-guard: no session matches 'nope'\n"
    write(
        session_path(Path(os.environ["CLAUDE_CONFIG_DIR"]), "22222222-cccc"), prompt("x"), mtime=OLD
    )
    assert run(["status", "2222"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cc-guard: '2222' is ambiguous") and err.count("\n") == 1
    monkeypatch.chdir(tmp_path)
    assert run(["status"]) == 1
    assert "no Claude Code session for" in capsys.readouterr().err
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "no-such-dir"))
    assert run(["sessions"]) == 1
    assert "Claude Code directory not found" in capsys.readouterr().err


def test_real_process_exit_code_and_empty_listing(isolated_env: dict[str, Path]) -> None:
    isolated_env["claude"].mkdir(parents=True)
    env = dict(os.environ)
    ok = subprocess.run(
        [sys.executable, "-m", "cc_guard", "sessions"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0
    assert ok.stdout.startswith(
        f"No Claude Code sessions found in {isolated_env['claude'] / 'projects'}.\n"
    )
    bad = subprocess.run(
        [sys.executable, "-m", "cc_guard", "status", "zzz"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert bad.stderr == "cc-guard: no session matches 'zzz'\n"
    assert "Traceback" not in bad.stderr


def test_status_notes_a_project_that_is_not_a_git_repo(
    two_sessions: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 4: a non-git project gets no checkpoints and one clear note in status."""
    assert run(["status", "11111111", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["checkpoints"]["repo"] is False
    assert data["checkpoints"]["count"] == 0
    assert run(["status", "11111111"]) == 0
    assert "not a git repository: no checkpoints" in capsys.readouterr().out


def test_status_shows_the_sessions_checkpoints(
    two_sessions: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from cc_guard.checkpoints import take_checkpoint

    here = two_sessions["here"]
    subprocess.run(["git", "init", "-q"], cwd=here, check=True)
    (here / "a.txt").write_text("one\n")
    sha = take_checkpoint(here, "11111111-aaaa-4000-8000-000000000001", "Stop")
    assert sha
    assert run(["status", "11111111", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["checkpoints"]["count"] == 1
    assert data["checkpoints"]["latest"] == sha
    assert run(["status", "11111111"]) == 0
    assert f"newest {sha[:10]}" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["sessions"], ["sessions", "--json"], ["status", "1111"]])
def test_unusable_state_dir_is_one_line_not_a_traceback(
    two_sessions: dict[str, Path], tmp_path: Path, args: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {**os.environ, "CC_GUARD_HOME": str(blocker / "state")}
    done = subprocess.run(
        [sys.executable, "-m", "cc_guard", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("cc-guard: cannot use cc-guard's state directory")
    assert done.stderr.count("\n") == 1 and "CC_GUARD_HOME" in done.stderr


def test_status_prints_texts_with_lone_surrogates(isolated_env: dict[str, Path]) -> None:
    # JSON.stringify keeps a string cut mid-emoji as a lone surrogate escape.
    path = session_path(isolated_env["claude"], "33333333-dddd-4000-8000-000000000003")
    path.parent.mkdir(parents=True)
    path.write_bytes(
        b'{"type":"user","timestamp":"2026-01-01T10:00:00.000Z","message":'
        b'{"role":"user","content":"cut \\ud83d here, kept \\ud83d\\ude00"}}\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "cc_guard", "status", "3333"],
        env=dict(os.environ),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "cut \ufffd here, kept \U0001f600".encode() in done.stdout


# The field names docs/sessions.md documents for --json, spelled out here (not taken
# from the code) so that renaming one in the code fails this test.
DOCUMENTED_SESSION_FIELDS = [
    "session_id",
    "project_dir",
    "model",
    "context_tokens",
    "context_window",
    "context_percent",
    "context_source",
    "state",
    "state_reason",
    "first_activity",
    "last_activity",
    "incident_count",
    "turns",
    "git_branch",
    "version",
    "transcript_path",
    "auto_compact_tokens",
    "auto_compact_percent",
    "until_auto_compact",
    "context_level",
]
DOCUMENTED_STATUS_FIELDS = {
    "title": None,
    "api_calls": None,
    "tokens": [
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ],
    "compactions": ["time", "trigger", "pre_tokens", "post_tokens"],
    "fill_history": ["time", "tokens", "output"],
    "incidents": [
        "kind",
        "time",
        "status",
        "retry_attempt",
        "max_retries",
        "final",
        "message",
        "source",
        "uuid",
    ],
    "files_touched": ["path", "tools", "count", "last_time"],
    "todos": ["content", "status", "active_form"],
    "prompts": ["text", "time", "uuid"],
    "last_assistant_text": None,
    "checkpoints": ["repo", "ref", "count", "latest", "latest_time", "note"],
    "pending_tool_calls": ["id", "name", "input", "time", "is_sidechain"],
    "subagents": None,
    "claude_pid": None,
    "failure_kind": None,
    "context_output_tokens": None,
    "tmux_pane": None,
    "tmux_socket": None,
    "compact_env": None,
    "context": [
        "session_id",
        "model",
        "window",
        "tokens",
        "output_tokens",
        "total",
        "percent_of_window",
        "auto_compact",
        "percent_of_point",
        "until_auto_compact",
        "until_text",
        "footer",
        "level",
        "after_compaction",
        "estimate",
        "forecast",
        "advice",
        "warnings",
    ],
    "compaction_reports": None,
    "compaction_notice": None,
    "stats": [
        "lines",
        "bytes_read",
        "malformed_lines",
        "non_utf8_lines",
        "oversized_lines",
        "unknown_record_types",
        "unknown_fields",
    ],
}


def test_json_field_names_are_the_ones_the_docs_document(
    isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    docs = (Path(__file__).parent.parent / "docs" / "sessions.md").read_text()
    for name in [*DOCUMENTED_SESSION_FIELDS, *DOCUMENTED_STATUS_FIELDS]:
        assert f"| `{name}` |" in docs, name
    for parent, names in DOCUMENTED_STATUS_FIELDS.items():
        for name in names or ():
            shown = [f"| `{parent}.{name}` |", f"| `{parent}[].{name}` |"]
            assert any(row in docs for row in shown), f"{parent}.{name}"
    write(
        session_path(isolated_env["claude"], "44444444-eeee-4000-8000-000000000004"),
        prompt("go", ts="2026-01-01T10:00:00.000Z"),
        api_error(ts="2026-01-01T10:00:01.000Z"),
        assistant(
            [
                tool_use("t1", "TodoWrite", {"todos": [{"content": "a", "status": "pending"}]}),
                tool_use("t2", "Write", {"file_path": "x.txt", "content": "x"}),
            ],
            ts="2026-01-01T10:00:02.000Z",
            stop="tool_use",
        ),
        compact_boundary(ts="2026-01-01T10:00:03.000Z"),
        mtime=OLD,
    )
    assert run(["sessions", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)["sessions"]
    assert list(row) == DOCUMENTED_SESSION_FIELDS
    assert run(["status", "4444", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {*DOCUMENTED_SESSION_FIELDS, *DOCUMENTED_STATUS_FIELDS}
    for name, fields in DOCUMENTED_STATUS_FIELDS.items():
        if fields is None:
            continue
        value = data[name]
        item = value[0] if isinstance(value, list) else value
        assert set(item) == set(fields), name
