"""The engine on REAL transcripts recorded from every pinned Claude Code version
(tests/fixtures/transcripts, ``<scenario>-<version>.jsonl``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cc_guard.transcripts.engine import Engine, load_session
from cc_guard.transcripts.fold import Fold
from cc_guard.transcripts.model import IncidentKind, ParseStats, SessionState
from cc_guard.transcripts.reader import Cursor, iter_new, iter_records, open_at
from tests.support.testbed import CLAUDE_CODE_VERSIONS
from tests.support.transcripts import FIXTURES, RECORDED

each_version = pytest.mark.parametrize("version", CLAUDE_CODE_VERSIONS)


@each_version
def test_fixtures_are_present(version: str) -> None:
    names = {p.name for p in RECORDED}
    assert {
        f"normal-tools-{version}.jsonl",
        f"api-529-{version}.jsonl",
        f"stream-cut-{version}.jsonl",
    } <= names
    assert {f"compaction-{version}.jsonl", f"subagent-{version}.jsonl"} <= names


@each_version
def test_normal_session_with_tools(version: str) -> None:
    m = load_session(FIXTURES / f"normal-tools-{version}.jsonl", now=2e9)
    assert (m.model, m.version, m.project_dir, m.git_branch) == (
        "claude-opus-5-5",
        version,
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
    assert m.stats.unknown_fields == {}  # every field these versions write is known


@each_version
def test_529_session_is_interrupted_with_final_overloaded_incidents(version: str) -> None:
    m = load_session(FIXTURES / f"api-529-{version}.jsonl")
    assert m.state is SessionState.INTERRUPTED
    assert [(i.kind, i.status, i.retry_attempt, i.final) for i in m.incidents] == [
        (IncidentKind.OVERLOADED, 529, 1, True),
        (IncidentKind.OVERLOADED, 529, 2, True),
    ]


@each_version
def test_cut_stream_session_is_interrupted_and_names_its_model(version: str) -> None:
    m = load_session(FIXTURES / f"stream-cut-{version}.jsonl")
    assert m.state is SessionState.INTERRUPTED
    assert m.failure_kind == "stream_truncated"
    # The stream ended before message_stop: Claude Code retried, then gave up.
    assert {i.kind for i in m.incidents} == {IncidentKind.STREAM_TRUNCATED}
    assert m.incidents and all(i.final for i in m.incidents)
    assert m.model == "claude-opus-5-5"  # from the request, since no response came back
    assert m.context_window == 1_000_000


@each_version
def test_compaction_session(version: str) -> None:
    m = load_session(FIXTURES / f"compaction-{version}.jsonl")
    assert [(c.trigger, c.pre_tokens) for c in m.compactions] == [("manual", 150_040)]
    assert "This session is being continued" not in " ".join(p.text for p in m.prompts)
    assert m.last_assistant_text == "Still here after compaction."
    assert m.context_tokens == 9000  # after the compaction, not before


@each_version
def test_subagent_is_discovered_and_attached(version: str) -> None:
    main = FIXTURES / f"subagent-{version}.jsonl"
    m = load_session(main)
    assert [Path(p).name for p in m.subagents] == [
        p.name for p in (FIXTURES / f"subagent-{version}" / "subagents").glob("agent-*.jsonl")
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
    for version in CLAUDE_CODE_VERSIONS:
        shutil.copytree(FIXTURES / f"subagent-{version}", project / f"subagent-{version}")
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
