"""The hook path stays light, and its import-free helpers agree with cc_guard.base.paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _modules_after(code: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_read_only_tool_hook_imports_nothing_heavy() -> None:
    loaded = _modules_after(
        "import cc_guard.runtime.hook as d, cc_guard.runtime.handlers.checkpoint as h\n"
        "from cc_guard.base.hookio import HookEvent\n"
        "h.on_post_tool_use(HookEvent('PostToolUse', {'tool_name': 'Read'}, 's', '/tmp'))"
    )
    heavy = {
        "click",
        "git",
        "anthropic",
        "textual",
        "dataclasses",
        "typing",
        "pathlib",
        "subprocess",
        "tempfile",
        "platformdirs",
        "cc_guard.config.load",
        "datetime",
    }
    assert not heavy & loaded, heavy & loaded


def test_checkpoint_path_never_imports_click_or_gitpython() -> None:
    loaded = _modules_after(
        "import cc_guard.runtime.hook, cc_guard.runtime.handlers.checkpoint, "
        "cc_guard.checkpoints.snapshot"
    )
    assert (
        not {"click", "git", "anthropic", "textual", "dataclasses", "cc_guard.config.load", "subprocess"}
        & loaded
    )


def test_a_checkpoint_taken_by_the_hook_never_imports_pathlib(tmp_path: Path) -> None:
    # pathlib pulls in urllib.parse (~6 ms per hook call at the time of writing).
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "a.txt").write_text("a\n")
    subprocess.run(["git", "add", "a.txt"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=repo, check=True)
    for n in range(2):  # the first seeds the private index, the second is the usual case
        (repo / "b.txt").write_text(f"{n}\n")
        loaded = _modules_after(
            "import cc_guard.runtime.handlers.checkpoint as h\n"
            "from cc_guard.base.hookio import HookEvent\n"
            "h.on_post_tool_use(HookEvent('PostToolUse', {'tool_name': 'Write'}, 'sid', "
            f"{str(repo)!r}))"
        )
        assert "pathlib" not in loaded
        tree = subprocess.run(
            ["git", "ls-tree", "--name-only", "refs/cc-guard/sid"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert tree == ["a.txt", "b.txt"]
        shown = subprocess.run(
            ["git", "show", "refs/cc-guard/sid:b.txt"], cwd=repo, capture_output=True, text=True
        ).stdout
        assert shown == f"{n}\n"


def test_an_atomic_write_leaves_no_temp_file_when_the_disk_is_full(tmp_path: Path) -> None:
    # RLIMIT_FSIZE=0 makes every write fail (EFBIG) as a full disk would (ENOSPC).
    target = tmp_path / "state"
    target.mkdir()
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))\n"
        "from cc_guard.base.fs import write_atomic\n"
        "try:\n"
        f"    write_atomic({str(target / 'f.tip')!r}, 'data', durable=False)\n"
        "except OSError:\n"
        "    sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert list(target.iterdir()) == []
