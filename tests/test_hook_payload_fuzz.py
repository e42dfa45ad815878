"""Whatever a hook payload holds, the hook changes nothing outside cc-guard's own places.

Hypothesis builds payloads for every hook event (and the statusline): ``session_id``
as ids, path climbs, text and non-strings; ``cwd`` and ``transcript_path`` as the
repository, other directories, files, missing and relative paths and climbs out;
tool names and tool inputs of every JSON type, with paths to files outside the
project. Each payload goes to the real ``cc-guard hook <Event>`` process. A
file-system diff of the whole world (home, Claude's dir, the repository, another
repository, files beside them) before and after must show changes only in the state
dir and in the ref namespace cc-guard owns (``refs/cc-guard/<valid id>`` and the
objects its commits add). The hook always exits 0.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cc_guard.base.claude import CHANGING_TOOLS, HOOK_EVENTS, READ_ONLY_TOOLS, valid_session_id
from tests.support.checkpoints import CC_GUARD, fsck_clean, git, make_repo
from tests.support.handoff import FIXTURES

SID = "f022f022-1234-4abc-8def-000000000001"
#: The events with handlers that write (and the statusline, which writes its feed).
HANDLED = [
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "Stop",
    "StopFailure",
    "PreCompact",
    "SessionEnd",
    "SessionStart",
    "statusline",
]
EXAMPLES = int(os.environ.get("CC_GUARD_FUZZ_EXAMPLES", "30"))


class World:
    """A home, Claude's dir, a project repository, another repository, loose files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / "state"
        self.home = root / "home"
        self.claude = self.home / ".claude"
        self.repo = make_repo(root / "work" / "project")
        self.other = make_repo(root / "work" / "other")
        self.outside = root / "work" / "outside"
        self.outside.mkdir()
        (self.outside / "package.json").write_text('{"name": "victim"}\n')
        (self.outside / "Cargo.lock").write_text("[[package]]\n")
        (self.other / ".git" / "index.lock").write_text("")  # a live git's, as far as we know
        (self.repo / "sub").mkdir()
        (self.repo / "sub" / "mod.py").write_text("x = 1\n")
        self.claude.mkdir(parents=True)
        (self.claude / "settings.json").write_text('{"model": "opus"}\n')
        projects = self.claude / "projects" / "-work-project"
        projects.mkdir(parents=True)
        self.transcript = projects / f"{SID}.jsonl"
        shutil.copy(FIXTURES / "normal-tools-2.1.328.jsonl", self.transcript)
        self.env = {
            **os.environ,
            "HOME": str(self.home),
            "CLAUDE_CONFIG_DIR": str(self.claude),
            "CC_GUARD_HOME": str(self.state),
            "CC_GUARD_CONFIG": str(root / "config.toml"),
            "CC_GUARD_HANDOFF_SYNC": "1",  # no worker outliving the hook
            "CC_GUARD_HOOK_DEADLINE": "20",
        }

    def climbs(self) -> list[str]:
        """Session ids that climb from the state dir (or a directory in it) to a file
        beside the project, and other ids no file may be named after."""
        return [
            *("../" * depth + "work/outside/package" for depth in range(1, 4)),
            "/.." + str(self.outside / "package"),
            "../x",
            "/../x",
            "..",
            "a/b",
        ]

    def paths(self) -> list[str]:
        r = self.root
        climb = "../" * (len(self.state.parts) + 1)
        return [
            str(self.repo),
            str(self.repo / "sub"),
            str(self.repo / "sub" / "mod.py"),
            str(self.other),
            str(self.outside),
            str(self.outside / "package.json"),
            str(self.outside / "Cargo"),
            str(self.claude / "settings.json"),
            str(self.transcript),
            str(self.home),
            str(self.state),
            str(r / "missing" / "dir"),
            f"{self.repo}/../outside/package.json",
            climb + str(self.outside / "package"),
            "../../outside",
            "relative/path",
            "",
            "/",
            "~",
        ]


def _snapshot(world: World) -> dict[str, tuple[str, int, str]]:
    """Every path under the world but the state dir: (kind, mode, content/target)."""
    out: dict[str, tuple[str, int, str]] = {}
    for directory, dirs, files in os.walk(world.root):
        here = Path(directory)
        if here == world.state:
            dirs[:] = []
            continue
        for name in dirs + files:
            path = here / name
            if path == world.state:
                continue
            st_ = os.lstat(path)
            mode = stat.S_IMODE(st_.st_mode)
            rel = str(path.relative_to(world.root))
            if stat.S_ISLNK(st_.st_mode):
                out[rel] = ("link", mode, os.readlink(path))
            elif stat.S_ISDIR(st_.st_mode):
                out[rel] = ("dir", mode, "")
            else:
                digest = hashlib.sha1(path.read_bytes()).hexdigest()
                # git freshens (touches) an object it would write again: only the
                # content of an object counts.
                stamp = "" if "/.git/objects/" in f"/{rel}" else f":{st_.st_mtime_ns}"
                out[rel] = ("file", mode, digest + stamp)
    return out


def _owned_by_cc_guard(rel: str) -> bool:
    """The ref namespace cc-guard writes in a repository: its refs, their reflogs,
    and the objects its commits add."""
    parts = rel.split("/")
    if ".git" not in parts:
        return False
    inside = parts[parts.index(".git") + 1 :]
    if inside[:1] == ["objects"]:
        return True
    for prefix in (["refs", "cc-guard"], ["logs", "refs", "cc-guard"]):
        if inside[: len(prefix)] == prefix:
            rest = inside[len(prefix) :]
            return len(rest) <= 1 and all(valid_session_id(p) for p in rest)
    return False


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    problems = []
    for rel in sorted(set(before) | set(after)):
        old, new = before.get(rel), after.get(rel)
        if old == new:
            continue
        if old is not None and new is not None and old[0] == new[0] == "dir" and old[1] == new[1]:
            continue  # a directory gained entries: judged by the entries themselves
        if old is not None and rel.split("/.git/objects/")[-1] != rel and new is not None:
            problems.append(f"changed object file {rel}")  # objects are written once
        elif not _owned_by_cc_guard(rel):
            what = "removed" if new is None else "added" if old is None else "changed"
            problems.append(f"{what} {rel}")
    return problems


def _json_values(paths: list[str]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(
        ["file_path", "notebook_path", "path", "command", "content", "edits", "old_string"]
    ) | st.text(max_size=6)
    leaves = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20)
        | st.sampled_from(paths)
    )
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3)
        ),
        max_leaves=8,
    )


def _payloads(world: World) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    paths = world.paths()
    anything = _json_values(paths)
    climbs = world.climbs()
    ids = (
        st.sampled_from([SID, "other-session", "", "x\ny", *climbs])
        | st.sampled_from(paths)
        | st.text(max_size=40)
        | anything
    )
    path_values = st.sampled_from(paths) | st.text(max_size=30) | anything
    commands = st.sampled_from(
        [
            "rm -rf build",
            f"echo x > {world.outside / 'package.json'}",
            "git reset --hard",
            "bash -lc 'rm -rf .'",
            "ls",
            "tar xf a.tar",
        ]
    ) | st.text(max_size=30)
    tools = st.sampled_from([*CHANGING_TOOLS, *sorted(READ_ONLY_TOOLS), "Unknown", ""]) | anything
    tool_input = (
        st.fixed_dictionaries({"file_path": path_values})
        | st.fixed_dictionaries({"command": commands})
        | st.fixed_dictionaries({"notebook_path": path_values, "edits": anything})
        | anything
    )
    events = st.sampled_from(HANDLED) | st.sampled_from([*sorted(HOOK_EVENTS), "Bogus"])
    # Mostly a real session's payload with some fields made hostile, so the handlers
    # get far enough to write; sometimes anything at all.
    realistic = st.fixed_dictionaries(
        {
            "session_id": ids,
            "cwd": st.just(str(world.repo)) | path_values,
            "transcript_path": st.just(str(world.transcript)) | path_values,
        },
        optional={
            "tool_name": tools,
            "tool_input": tool_input,
            "prompt": st.text(max_size=60),
            "source": st.sampled_from(["startup", "resume", "compact"]),
            "error": st.sampled_from(["rate_limit", "server_error", "overloaded"]),
        },
    )
    payload = realistic | st.fixed_dictionaries(
        {},
        optional={
            "session_id": ids,
            "cwd": path_values,
            "transcript_path": path_values,
            "tool_name": tools,
            "tool_input": tool_input,
            "tool_response": anything,
            "prompt": st.text(max_size=60) | anything,
            "hook_event_name": events | anything,
            "source": st.sampled_from(["startup", "resume", "compact"]) | anything,
            "error": st.text(max_size=20) | anything,
            "model": anything,
            "context_window": anything,
        },
    )
    return st.tuples(events, payload)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path / "world")


@pytest.mark.slow
def test_no_hook_payload_changes_anything_outside_the_state_dir_and_cc_guard_refs(
    world: World,
) -> None:
    # The payloads that matter most, every time: the real session in its project.
    fixed = [
        ("UserPromptSubmit", {"session_id": SID, "cwd": str(world.repo), "prompt": "go"}),
        ("Stop", {"session_id": SID, "cwd": str(world.repo), "transcript_path": str(world.transcript)}),
    ]  # fmt: skip

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(case=_payloads(world))
    def check(case: tuple[str, dict[str, Any]]) -> None:
        _run(world, *case)

    for case in fixed:
        _run(world, *case)
    check()
    for repo in (world.repo, world.other):
        fsck_clean(repo)
        refs = git(repo, "for-each-ref", "--format=%(refname)").split()
        assert all(
            not r.startswith("refs/cc-guard/") or valid_session_id(r[len("refs/cc-guard/") :])
            for r in refs
        )
    assert git(world.repo, "for-each-ref", "refs/cc-guard/").strip()  # it did checkpoint


def test_every_handled_event_with_every_hostile_session_id_changes_only_cc_guards_places(
    world: World,
) -> None:
    for event in HANDLED:
        for sid in world.climbs():
            payload = {
                "session_id": sid,
                "cwd": str(world.repo),
                "transcript_path": str(world.transcript),
                "tool_name": "Bash",
                "tool_input": {"command": "rm -rf build", "file_path": str(world.outside)},
                "prompt": "go",
                "error": "rate_limit",
                "last_assistant_message": "partial answer",
            }
            _run(world, event, payload)
    assert git(world.repo, "for-each-ref", "refs/cc-guard/").strip() == ""


def _run(world: World, event: str, payload: dict[str, Any]) -> None:
    (world.repo / "sub" / "mod.py").write_text(f"x = {len(json.dumps(payload))}\n")
    before = _snapshot(world)
    argv = (
        [str(CC_GUARD), "statusline"] if event == "statusline" else [str(CC_GUARD), "hook", event]
    )
    proc = subprocess.run(
        argv,
        input=json.dumps(payload).encode(),
        capture_output=True,
        env=world.env,
        cwd=world.outside,
        timeout=60,
    )
    assert proc.returncode == 0, (event, payload, proc.stderr[-2000:])
    assert b"Traceback" not in proc.stderr, proc.stderr[-2000:]
    after = _snapshot(world)
    # Our own edit above is the one change the work tree may show.
    before.pop("work/project/sub/mod.py", None)
    after.pop("work/project/sub/mod.py", None)
    assert _diff(before, after) == [], (event, payload)
