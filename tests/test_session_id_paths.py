"""A session id from outside (a hook payload, a transcript, a file name) never names a path.

Every function outside the checkpoints package that turns a session id into a file, a
lock or a ref refuses one that is not ``[A-Za-z0-9][A-Za-z0-9_-]*``; the hook handlers
built on them write nothing outside the state dir whatever the payload holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cc_guard.handoff import freshness, store, summarize, worker
from cc_guard.runtime import statusline
from cc_guard.state import feeds
from tests.support.checkpoints import make_repo
from tests.support.handoff import install_fixture

BAD_IDS = ["../escape", "/../escape", "..", ".", "", "a/b", "a\0b", "-rf", "x" * 200, "é"]
GOOD = "11111111-aaaa-4bbb-8ccc-000000000001"


def _calls(state: Path, transcript: Path) -> dict[str, Callable[[str], Any]]:
    return {
        "freshness.read_failure": lambda sid: freshness.read_failure(sid, state),
        "freshness.save_failure": lambda sid: freshness.save_failure(sid, {}, "t", state),
        "freshness.is_current": lambda sid: freshness.is_current(transcript, state, sid),
        "freshness.source_key": lambda sid: freshness.source_key(transcript, state, sid),
        "store.write_handoff": lambda sid: store.write_handoff(transcript, state, session_id=sid),
        "store.newest_ref": lambda sid: store.newest_ref(str(state), sid),
        "worker.build_lock": lambda sid: worker.build_lock(sid, state).__enter__(),
        "worker.run": lambda sid: worker.run(transcript, sid),
        "worker.spawn": lambda sid: worker.spawn(transcript, sid),
        "statusline.last_checkpoint": lambda sid: statusline.last_checkpoint(sid, str(state)),
        "feeds.read": lambda sid: feeds.read(str(state), sid),
        "summarize.cached": lambda sid: summarize.cached(sid, "print", state),
        "summarize._cache_path": lambda sid: summarize._cache_path(sid, state),
    }


NAMES = list(_calls(Path("s"), Path("t")))


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
@pytest.mark.parametrize("name", NAMES)
def test_every_function_that_makes_a_path_from_a_session_id_refuses_a_bad_one(
    isolated_env: dict[str, Path], tmp_path: Path, name: str, bad: str
) -> None:
    transcript = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    state = isolated_env["state"]
    call = _calls(state, transcript)[name]
    before = _tree(tmp_path, skip=())
    try:
        result = call(bad)
    except ValueError as exc:
        assert "session id" in str(exc)
    else:
        # The read-only helpers may answer "nothing there" instead of raising.
        assert name in (
            "statusline.last_checkpoint",
            "feeds.read",
            "store.newest_ref",
            "summarize.cached",
        )
        assert result is None
    changed = _diff(before, _tree(tmp_path, skip=()))
    assert [p for p in changed if p != str(state) and not p.startswith(f"{state}/")] == []
    assert [p for p in changed if p.endswith((".md", ".json", ".lock", ".wait"))] == []


def test_a_good_session_id_still_works_everywhere(isolated_env: dict[str, Path]) -> None:
    transcript = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    written = store.write_handoff(transcript, isolated_env["state"], session_id=GOOD)
    assert written.md_path == isolated_env["state"] / "handoff" / f"{GOOD}.md"
    assert freshness.is_current(transcript, isolated_env["state"], GOOD)


# --------------------------------------------------------------------------- hooks, end to end


def _tree(root: Path, skip: tuple[Path, ...]) -> dict[str, tuple[int, int, bytes]]:
    """path -> (mode, size, content head) of everything under ``root`` except ``skip``."""
    out: dict[str, tuple[int, int, bytes]] = {}
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(directory, d) not in skip]
        for name in [*dirs, *files]:
            path = Path(directory, name)
            st_ = path.lstat()
            head = b""
            if path.is_file() and not path.is_symlink():
                head = path.read_bytes()[:4096]
            out[str(path)] = (st_.st_mode, st_.st_size, head)
    return out


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


HANDOFF_EVENTS = ["Stop", "StopFailure", "PreCompact", "SessionEnd", "SessionStart"]


def _hook(event: str, payload: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cc_guard", "hook", event],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "CC_GUARD_HANDOFF_SYNC": "1"},
    )


@pytest.mark.parametrize("event", HANDOFF_EVENTS)
def test_handoff_hooks_write_nothing_outside_the_state_dir_for_a_traversing_session_id(
    isolated_env: dict[str, Path], tmp_path: Path, event: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "mine"}\n')
    transcript = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    # The transcript's own name must not be a way in either.
    odd = transcript.with_name("..jsonl")
    odd.write_bytes(transcript.read_bytes())
    state = isolated_env["state"]
    before = _tree(tmp_path, skip=(state,))
    for sid in ["../../project/package", "/../" + str(project / "package"), "..", 7, None]:
        for path in (transcript, odd, project / "package.json"):
            payload = {
                "session_id": sid,
                "transcript_path": str(path),
                "cwd": str(project),
                "hook_event_name": event,
                "error": "server_error",
                "last_assistant_message": "API Error",
            }
            proc = _hook(event, payload, project)
            assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert _diff(before, _tree(tmp_path, skip=(state,))) == []
    assert (project / "package.json").read_text() == '{"name": "mine"}\n'


_text = st.lists(
    st.sampled_from(["..", "../", "/..", "/", ".", "-", "_", "a", "Z", "0", "\0", "é", " ", "~", "$"]),
    max_size=8,
).map("".join)
_value = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), _text,
    st.lists(_text, max_size=3), st.dictionaries(_text, _text, max_size=3),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    event=st.sampled_from([*HANDOFF_EVENTS, "PostToolUse", "PreToolUse", "UserPromptSubmit"]),
    session_id=_value,
    cwd=_value,
    transcript=_value,
    tool_input=_value,
)
def test_any_hook_payload_changes_nothing_outside_the_state_dir_and_the_ref_namespace(
    isolated_env: dict[str, Path],
    tmp_path: Path,
    event: str,
    session_id: Any,
    cwd: Any,
    transcript: Any,
    tool_input: Any,
) -> None:
    project = tmp_path / "fuzz-project"
    if not project.exists():
        make_repo(project)
    state = isolated_env["state"]
    git_dir = project / ".git"
    skip = (state, tmp_path / ".hypothesis", git_dir / "objects", git_dir / "refs" / "cc-guard")
    payload = {
        "session_id": session_id,
        "cwd": cwd,
        "transcript_path": transcript,
        "hook_event_name": event,
        "tool_name": "Write",
        "tool_input": tool_input,
        "error": "unknown",
    }
    before = _tree(tmp_path, skip=skip)
    proc = _hook(event, payload, project)
    assert proc.returncode == 0
    assert _diff(before, _tree(tmp_path, skip=skip)) == []
