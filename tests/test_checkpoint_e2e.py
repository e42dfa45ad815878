"""Issue 4 acceptance, end to end: the real Claude Code CLI with cc-guard's hooks.

A scripted session (served by ``cc-guard chaos``) writes a file, edits it and
deletes another with ``Bash rm``. The session's ref holds the chain, ``cc-guard
restore`` brings the deleted file back and ``restore --undo`` puts things back.
"""

from __future__ import annotations

import json

import pytest

from tests.support.testbed import ClaudeBed, git

pytestmark = [pytest.mark.claude, pytest.mark.slow]


def test_real_session_checkpoints_restore_and_undo(claude_bed: ClaudeBed) -> None:
    project = claude_bed.project
    # cc-guard's own installer writes the hooks into .claude/settings.json.
    claude_bed.cc_guard("install", "--scope", "project", "--no-statusline", "--no-git-hooks")
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    assert {"PreToolUse", "PostToolUse", "UserPromptSubmit", "Stop"} <= set(settings["hooks"])
    notes = project / "notes.md"
    app = project / "app.py"
    app_text = app.read_text()
    head = git(project, "rev-parse", "HEAD")
    index = (project / ".git" / "index").read_bytes()
    claude_bed.serve(
        [
            {
                "tool_use": [
                    {"name": "Write", "input": {"file_path": str(notes), "content": "draft one\n"}}
                ]
            },
            {
                "tool_use": [
                    {
                        "name": "Edit",
                        "input": {
                            "file_path": str(notes),
                            "old_string": "draft one",
                            "new_string": "draft two",
                        },
                    }
                ]
            },
            {
                "tool_use": [
                    {
                        "name": "Bash",
                        "input": {"command": "rm app.py", "description": "remove app.py"},
                    }
                ]
            },
            {"text": "Done: notes written, app.py removed."},
        ]
    )
    run = claude_bed.run("write notes, edit them, then delete app.py")
    assert run.returncode == 0, run.stderr
    assert run.result is not None and run.result["is_error"] is False, run.stdout
    assert notes.read_text() == "draft two\n" and not app.exists()
    session = run.session_id
    assert session

    errors = claude_bed.state_dir / "hook-errors.log"
    assert not errors.exists() or errors.read_text() == "", errors.read_text()
    events = [
        json.loads(line)
        for line in (claude_bed.state_dir / "events.jsonl").read_text().splitlines()
    ]
    assert {e["event"] for e in events} >= {"UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop"}
    assert all(e["session_id"] == session for e in events)

    # The chain on refs/cc-guard/<session>, newest first.
    listing = json.loads(claude_bed.cc_guard("checkpoints", "--json").stdout)
    assert listing["session_id"] == session
    chain = listing["checkpoints"]
    kinds = [(c["event"], c["tool"]) for c in reversed(chain)]
    assert kinds[0] == ("UserPromptSubmit", None)
    assert ("PostToolUse", "Write") in kinds and ("PostToolUse", "Edit") in kinds
    assert ("PreToolUse", "Bash") not in kinds or kinds.index(("PreToolUse", "Bash")) < kinds.index(
        ("PostToolUse", "Bash")
    )
    assert ("PostToolUse", "Bash") in kinds
    assert git(project, "rev-parse", f"refs/cc-guard/{session}").strip() == chain[0]["sha"]
    assert "app.py" not in git(project, "ls-tree", "-r", "--name-only", chain[0]["sha"]).split()
    before_rm = next(c for c in chain if c["event"] == "PostToolUse" and c["tool"] == "Edit")
    assert "draft two" in git(project, "show", f"{before_rm['sha']}:notes.md")

    # The user's git was never touched.
    assert git(project, "rev-parse", "HEAD") == head
    assert (project / ".git" / "index").read_bytes() == index

    # Restore the state before the rm: app.py comes back, notes.md stays.
    restore = claude_bed.cc_guard("restore", before_rm["id"], "--yes")
    assert "app.py" in restore.stdout
    assert app.read_text() == app_text
    assert notes.read_text() == "draft two\n"
    assert git(project, "rev-parse", "HEAD") == head
    assert (project / ".git" / "index").read_bytes() == index

    # Undo: back to how the session left it.
    claude_bed.cc_guard("restore", "--undo", "--yes")
    assert not app.exists()
    assert notes.read_text() == "draft two\n"
