"""Architecture rules that keep cc-guard layered and its per-call path fast (STYLE.md).

- The per-call path (``cc-guard hook``, ``cc-guard statusline``) imports only the
  modules of an allowlist: a module that creeps onto it fails here, long before a
  benchmark would show it as a few milliseconds of noise.
- The import-linter contracts in pyproject.toml (layers, no cycles, Textual only in
  the dashboard), mypy --strict and ruff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Standard-library modules the per-call path may import beyond what the interpreter
#: loads at start-up, and why.
STDLIB_ALLOWED = {
    "__future__",  # every cc_guard module's first line
    "errno",  # lock errors (checkpoints)
    "fcntl",  # the per-session flock (checkpoints)
    "select",  # bounded stdin reads and the git runner
    "itertools",  # unique temp file names
    "_sha1",  # short keys for per-repository state dirs
    "zlib",
    # The first checkpoint of a session seeds its private index with shutil.copy2,
    # which pulls in the compression modules shutil imports.
    "shutil",
    "fnmatch",
    "bz2",
    "_bz2",
    "lzma",
    "_lzma",
    "_compression",
}
#: cc-guard's own modules on the per-call path: everything else of cc_guard stays off.
OWN_ALLOWED = {
    "cc_guard",
    "cc_guard.entry",
    "cc_guard.base",
    "cc_guard.base.claude",
    "cc_guard.base.fastjson",
    "cc_guard.base.fs",
    "cc_guard.base.hookio",
    "cc_guard.base.paths",
    "cc_guard.base.procs",
    "cc_guard.base.spawn",
    "cc_guard.config",
    "cc_guard.config.sections",
    "cc_guard.state",
    "cc_guard.state.errors",
    "cc_guard.state.events",
    "cc_guard.state.feeds",
    "cc_guard.git",
    "cc_guard.checkpoints",
    "cc_guard.checkpoints.exclude",
    # Hashing the changed files in batches that fit the time budget, and the marker
    # that tells the user checkpoints are behind: part of taking every checkpoint.
    "cc_guard.checkpoints.progress",
    "cc_guard.checkpoints.snapshot",
    "cc_guard.runtime",
    "cc_guard.runtime.hook",
    "cc_guard.runtime.handlers",
    "cc_guard.runtime.handlers.checkpoint",
    "cc_guard.runtime.statusline",
    # The hook records the session's auto-compaction settings with its non-tool events; the
    # statusline shows "% until auto-compact": both need the threshold's names and
    # arithmetic. The module imports nothing; the package's __init__ is lazy.
    "cc_guard.context",
    "cc_guard.context.threshold",
    # The statusline shows what the compaction policy recorded (compact now, compacting,
    # failed): one small JSON file read through the module that owns its format.
    "cc_guard.state.compaction",
    # ... and "~N turns" to auto-compaction from the turn ends the Stop hook kept there
    # (import-free arithmetic).
    "cc_guard.context.pace",
}

_PROBE = (
    "import sys, json\n"
    "before = set(sys.modules)\n"
    "from cc_guard.entry import main\n"
    "rc = main(sys.argv[1:])\n"
    "sys.stderr.write('\\nMODULES=' + json.dumps(sorted(set(sys.modules) - before)) + '\\n')\n"
)


def _modules_loaded_by(argv: list[str], stdin: str, cwd: Path) -> set[str]:
    """Run cc-guard's entry point in a fresh interpreter: the modules it imported."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )
    marker = [line for line in proc.stderr.splitlines() if line.startswith("MODULES=")]
    assert marker, proc.stderr
    return set(json.loads(marker[-1][len("MODULES=") :]))


def _outside_allowlist(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if m not in STDLIB_ALLOWED and m not in OWN_ALLOWED)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "a.txt").write_text("a\n")
    return repo


@pytest.mark.parametrize("tool", ["Write", "Bash", "Read"])
def test_a_tool_hook_imports_only_the_allowlist(repo: Path, tool: str) -> None:
    payload = {
        "session_id": "arch-test",
        "cwd": str(repo),
        "hook_event_name": "PostToolUse",
        "transcript_path": str(repo / "t.jsonl"),
        "tool_name": tool,
        "tool_input": {"file_path": str(repo / "a.txt"), "command": "touch b.txt"},
    }
    for _ in range(2):  # the first checkpoint (seeding the private index) and a later one
        (repo / "a.txt").write_text(f"{_}\n")
        loaded = _modules_loaded_by(["hook", "PostToolUse"], json.dumps(payload), repo)
        assert _outside_allowlist(loaded) == [], f"the {tool} hook imported more"
    if tool == "Write":
        refs = subprocess.run(
            ["git", "for-each-ref", "refs/cc-guard/"], cwd=repo, capture_output=True, text=True
        ).stdout
        assert "refs/cc-guard/arch-test" in refs  # it did take the checkpoints


@pytest.mark.parametrize("used", [None, 20, 95])
def test_the_statusline_imports_only_the_allowlist(repo: Path, used: int | None) -> None:
    payload = {
        "session_id": "arch-test",
        "cwd": str(repo),
        "model": {"id": "claude-opus-5-5"},
        "context_window": {"context_window_size": 1_000_000, "used_percentage": used},
    }
    loaded = _modules_loaded_by(["statusline"], json.dumps(payload), repo)
    assert _outside_allowlist(loaded) == []


#: Never imported by any hook: the CLI framework, the dashboard, the API client's SDK...
HEAVY = ("click", "git", "anthropic", "textual", "tiktoken", "watchdog", "httpx", "orjson")


@pytest.mark.parametrize(
    "event", ["PreToolUse", "UserPromptSubmit", "Stop", "StopFailure", "SessionStart", "PreCompact"]
)
def test_other_hooks_import_nothing_heavy(repo: Path, event: str) -> None:
    payload = {
        "session_id": "arch-test",
        "cwd": str(repo),
        "hook_event_name": event,
        "transcript_path": str(repo / "t.jsonl"),
        "tool_name": "Bash",
        "tool_input": {"command": "rm -rf build"},
        "prompt": "fix the tests",
    }
    loaded = _modules_loaded_by(["hook", event], json.dumps(payload), repo)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == [], f"the {event} hook imported {heavy}"


def test_the_allowlist_names_modules_that_exist() -> None:
    """A renamed module must not leave a stale name behind that would let another in."""
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)\n"
    proc = subprocess.run(
        [sys.executable, "-c", code, *sorted(OWN_ALLOWED | STDLIB_ALLOWED)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def test_import_linter_contracts_hold() -> None:
    """Layers, no cycles between siblings, Textual only in the dashboard (pyproject.toml)."""
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is part of the test extra"
    proc = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_on_the_package() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MYPY_FORCE_COLOR": "0"},
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]


def test_ruff_lint_is_clean() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "cc_guard", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
