"""The engine on REAL transcripts recorded from Claude Code 2.1.328 (tests/fixtures/transcripts)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cc_guard.transcripts.engine import Engine, load_session
from cc_guard.transcripts.fold import Fold
from cc_guard.transcripts.model import IncidentKind, ParseStats, SessionState
from cc_guard.transcripts.reader import Cursor, iter_new, iter_records, open_at
from tests.support.transcripts import FIXTURES, RECORDED


def test_fixtures_are_present() -> None:
    names = {p.name for p in RECORDED}
    assert {
        "normal-tools-2.1.328.jsonl",
        "api-529-2.1.328.jsonl",
        "stream-cut-2.1.328.jsonl",
    } <= names
    assert {"compaction-2.1.328.jsonl", "subagent-2.1.328.jsonl"} <= names


def test_normal_session_with_tools() -> None:
    m = load_session(FIXTURES / "normal-tools-2.1.328.jsonl")
    assert (m.model, m.version, m.project_dir, m.git_branch) == (
        "claude-opus-5-5",
        "2.1.328",
        "/work/demo",
        "main",
    )
    assert [p.text for p in m.prompts] == [
        "Write notes.md with a todo list, then annotate add() in app.py",
        "What does app.py contain?",
    ]
    assert [(f.path, f.tools) for f in m.files_touched] == [
        ("/work/demo/notes.md", ["Write"]),
        ("/work/demo/app.py", ["Edit"]),
    ]
    assert m.last_assistant_text == "app.py has one function, add(a, b)."
    assert m.pending_tool_calls == [] and m.incidents == []
    assert (m.context_tokens, m.context_window) == (21_000, 1_000_000)
    assert m.state is SessionState.IDLE
    assert m.stats.malformed_lines == m.stats.non_utf8_lines == 0
    assert m.stats.unknown_record_types == {}


def test_529_session_is_interrupted_with_final_overloaded_incidents() -> None:
    m = load_session(FIXTURES / "api-529-2.1.328.jsonl")
    assert m.state is SessionState.INTERRUPTED
    assert [(i.kind, i.status, i.retry_attempt, i.final) for i in m.incidents] == [
        (IncidentKind.OVERLOADED, 529, 1, True),
        (IncidentKind.OVERLOADED, 529, 2, True),
    ]


def test_cut_stream_session_is_interrupted_and_names_its_model() -> None:
    m = load_session(FIXTURES / "stream-cut-2.1.328.jsonl")
    assert m.state is SessionState.INTERRUPTED
    # The stream ended before message_stop: Claude Code retried, then gave up.
    assert {i.kind for i in m.incidents} == {IncidentKind.STREAM_TRUNCATED}
    assert m.incidents and all(i.final for i in m.incidents)
    assert m.model == "claude-opus-5-5"  # from the request, since no response came back
    assert m.context_window == 1_000_000


def test_compaction_session() -> None:
    m = load_session(FIXTURES / "compaction-2.1.328.jsonl")
    assert [(c.trigger, c.pre_tokens) for c in m.compactions] == [("manual", 150_040)]
    assert "This session is being continued" not in " ".join(p.text for p in m.prompts)
    assert m.last_assistant_text == "Still here after compaction."
    assert m.context_tokens == 9000  # after the compaction, not before


def test_subagent_is_discovered_and_attached() -> None:
    main = FIXTURES / "subagent-2.1.328.jsonl"
    m = load_session(main)
    assert [Path(p).name for p in m.subagents] == [
        p.name for p in (FIXTURES / "subagent-2.1.328" / "subagents").glob("agent-*.jsonl")
    ]
    alone = Fold()
    for record in iter_records(main):
        alone.add(record)
    assert m.tokens.output_tokens > alone.tokens.output_tokens  # the subagent's tokens count too
    assert [p.text for p in m.prompts] == ["Use a subagent to survey app.py"]


@pytest.mark.parametrize("path", RECORDED, ids=[p.name for p in RECORDED])
def test_byte_by_byte_appends_give_the_same_model(path: Path, tmp_path: Path) -> None:
    data = path.read_bytes()
    live = tmp_path / path.name
    live.write_bytes(b"")
    cursor, fold = Cursor(), Fold()
    step = 997  # a prime: cuts land everywhere, including inside multi-byte characters
    for pos in range(0, len(data), step):
        with open(live, "ab") as fh:
            fh.write(data[pos : pos + step])
        opened = open_at(live, cursor)
        assert opened is not None
        fh2, restarted = opened
        assert not restarted or pos == 0
        for item in iter_new(fh2, cursor, fold.stats):
            assert isinstance(item, dict)
            fold.add(item)
    whole = Fold()
    opened = open_at(path, Cursor())
    assert opened is not None
    for item in iter_new(opened[0], Cursor(), whole.stats):
        assert isinstance(item, dict)
        whole.add(item)
    assert fold.to_json() | {"stats": None} == whole.to_json() | {"stats": None}
    assert fold.stats.bytes_read == len(data)


def test_engine_over_all_recordings_then_nothing_to_read(isolated_env: dict[str, Path]) -> None:
    project = isolated_env["claude"] / "projects" / "-work-demo"
    project.mkdir(parents=True)
    for path in RECORDED:
        shutil.copy(path, project / path.name)
    shutil.copytree(FIXTURES / "subagent-2.1.328", project / "subagent-2.1.328")
    eng = Engine()
    sessions = eng.refresh()
    assert len(sessions) == len(RECORDED)
    total = sum(p.stat().st_size for p in project.rglob("*.jsonl"))
    assert eng.last_refresh.bytes_read == total
    eng.refresh()
    assert eng.last_refresh.bytes_read == 0
    stats = ParseStats()
    for s in sessions:
        stats.malformed_lines += s.stats.malformed_lines
    assert stats.malformed_lines == 0
