"""The dashboard's plain-Python parts: panes state, launch's session choice, the hooks check,
the cold-load batches, the chart's columns, the filter, the bare command outside a terminal."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from cc_guard.commands.launch import session_for
from cc_guard.install.detect import hooks_installed
from cc_guard.state.panes import (
    PaneRecord,
    new_record,
    pane_for_session,
    panes_path,
    read_panes,
    record_pane,
)
from cc_guard.transcripts.model import FillPoint, SessionModel, SessionState
from cc_guard.tui.coldload import batches
from cc_guard.tui.widgets.fill_chart import Bar, columns
from cc_guard.tui.widgets.sessions_table import Filter
from tests.support.testbed import VENV_BIN


def test_launch_records_panes_privately_and_finds_a_sessions_pane(
    isolated_env: dict[str, Path],
) -> None:
    first = new_record("%1", "/p", session_id="s-1", tmux_env="/tmp/tmux-0/default,123,0")
    record_pane(first)
    record_pane(new_record("%2", "/q", session_id="s-2", dashboard_pane="%3"))
    assert first.socket == "/tmp/tmux-0/default"
    assert [r.pane_id for r in read_panes()] == ["%1", "%2"]
    found = pane_for_session("s-2")
    assert found is not None and found.dashboard_pane == "%3"
    assert pane_for_session("nobody") is None
    assert stat.S_IMODE(panes_path().stat().st_mode) == 0o600
    # The same pane launched again replaces its old record.
    record_pane(new_record("%1", "/p", session_id="s-3", tmux_env="/tmp/tmux-0/default,9,0"))
    assert [(r.pane_id, r.session_id) for r in read_panes()] == [("%2", "s-2"), ("%1", "s-3")]


def test_a_damaged_panes_file_reads_as_no_panes(isolated_env: dict[str, Path]) -> None:
    path = panes_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    assert read_panes() == []
    path.write_text(
        json.dumps(
            {"panes": [{"pane_id": "x"}, {"pane_id": "%4", "project_dir": "/p", "launched_at": 1}]}
        )
    )
    assert read_panes() == [PaneRecord("%4", None, None, "/p", 1.0)]


def test_launch_gives_a_new_session_an_id_and_follows_a_resumed_one() -> None:
    args, sid = session_for(("--model", "opus"))
    assert args[:2] == ["--session-id", sid] and args[2:] == ["--model", "opus"]
    assert session_for(("--resume", "abc-123")) == (["--resume", "abc-123"], "abc-123")
    assert session_for(("--session-id", "fixed")) == (["--session-id", "fixed"], "fixed")
    assert session_for(("--continue",)) == (["--continue"], None)


def test_the_hooks_check_finds_cc_guards_hook_in_user_or_project_settings(tmp_path: Path) -> None:
    claude, project = tmp_path / "claude", tmp_path / "project"
    claude.mkdir()
    (project / ".claude").mkdir(parents=True)
    assert not hooks_installed(claude, project)
    hook = {
        "hooks": {
            "Stop": [{"hooks": [{"type": "command", "command": "/usr/bin/cc-guard hook Stop"}]}]
        }
    }
    (project / ".claude" / "settings.local.json").write_text(json.dumps(hook))
    assert hooks_installed(claude, project)
    assert not hooks_installed(claude, None)
    (claude / "settings.json").write_text(json.dumps(hook))
    assert hooks_installed(claude, None)


def test_the_cold_load_reads_the_newest_sessions_first_in_growing_batches() -> None:
    paths = [f"p{i}" for i in range(300)]
    cut = batches(paths)
    assert [len(b) for b in cut] == [20, 100, 180]
    assert [p for b in cut for p in b] == paths
    assert batches(paths[:5]) == [paths[:5]]


def test_the_chart_widens_few_responses_and_keeps_the_peak_when_squeezing() -> None:
    few = columns([Bar(1), Bar(2)], 40)
    assert len(few) == 8 and few[0].tokens == 1 and few[-1].tokens == 2
    many = columns([Bar(i) for i in range(100)], 10)
    assert len(many) == 10 and many[-1].tokens == 99
    marked = columns([Bar(5), Bar(1, compaction=True), *[Bar(2)] * 98], 10)
    assert marked[0].compaction


def test_the_filter_matches_fields_and_free_text() -> None:
    session = SessionModel(
        "abc123",
        "/t.jsonl",
        project_dir="/home/me/webapp",
        model="claude-opus-5-5",
        state=SessionState.INTERRUPTED,
        title="Fix the login bug",
        fill_history=[FillPoint(None, 1)],
    )
    assert Filter("state:inter project:web").matches(session)
    assert Filter("login model:opus").matches(session)
    assert not Filter("state:idle").matches(session)
    assert not Filter("signup").matches(session)


def test_bare_cc_guard_outside_a_terminal_lists_sessions_and_hints_at_the_dashboard(
    isolated_env: dict[str, Path],
) -> None:
    folder = isolated_env["claude"] / "projects" / "-p"
    folder.mkdir(parents=True)
    (folder / "s1.jsonl").write_text(
        json.dumps(
            {
                "type": "user",
                "sessionId": "s1",
                "timestamp": "2026-01-01T00:00:00Z",
                "message": {"role": "user", "content": "hi"},
            }
        )
        + "\n"
    )
    proc = subprocess.run(
        [str(VENV_BIN / "cc-guard")],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert "PROJECT" in proc.stdout and "s1" in proc.stdout
    assert proc.stdout.rstrip().endswith("`cc-guard demo` shows it with recorded sessions).")


def test_bare_cc_guard_on_a_machine_without_claude_code_says_so_and_exits_0(
    isolated_env: dict[str, Path],
) -> None:
    proc = subprocess.run(
        [str(VENV_BIN / "cc-guard")],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("No Claude Code sessions found")
    assert "cc-guard demo" in proc.stdout


def test_cc_guard_tui_outside_a_terminal_is_one_line_and_exit_1(
    isolated_env: dict[str, Path],
) -> None:
    proc = subprocess.run(
        [str(VENV_BIN / "cc-guard"), "tui"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "cc-guard: the dashboard needs a terminal; `cc-guard sessions` lists the sessions as text."
    ]


@pytest.mark.slow
def test_demo_outside_a_terminal_replays_and_lists_the_final_states(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    proc = subprocess.run(
        [str(VENV_BIN / "cc-guard"), "demo", "--speed", "20", "--root", str(tmp_path / "world")],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[1:5]}
    assert "compacted" in rows["~/code/api-server"]
    assert "interrupted" in rows["~/code/cli-tool"] and "interrupted" in rows["~/code/docs-site"]
    assert "kept in" in proc.stderr
