"""Architecture rules that keep cc-guard fast and layered (STYLE.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("click", "git", "anthropic", "textual", "tiktoken", "watchdog", "httpx")


def _modules_loaded_by(argv: list[str], stdin: str) -> set[str]:
    """Run cc-guard's entry point in a fresh interpreter and list the modules it imported."""
    code = (
        "import sys, json, io\n"
        "from cc_guard.entry import main\n"
        "rc = main(sys.argv[1:])\n"
        "sys.stderr.write('\\nMODULES=' + json.dumps(sorted(sys.modules)) + '\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, *argv], input=stdin,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    marker = [line for line in proc.stderr.splitlines() if line.startswith("MODULES=")]
    assert marker, proc.stderr
    return set(json.loads(marker[-1][len("MODULES="):]))


@pytest.mark.parametrize("event", ["PostToolUse", "Stop", "SessionStart", "UserPromptSubmit"])
def test_hook_path_imports_nothing_heavy(event: str, tmp_path: Path) -> None:
    payload = json.dumps({"session_id": "arch-test", "cwd": str(tmp_path),
                          "hook_event_name": event, "transcript_path": str(tmp_path / "t.jsonl"),
                          "tool_name": "Read", "tool_input": {"file_path": "x"}})
    loaded = _modules_loaded_by(["hook", event], payload)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == [], f"the {event} hook imported {heavy}"


def test_statusline_path_imports_nothing_heavy() -> None:
    loaded = _modules_loaded_by(["statusline"], "{}")
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == [], f"the statusline imported {heavy}"


def test_core_never_imports_the_tui() -> None:
    """The import-linter contract in pyproject.toml (core packages never import Textual)."""
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is part of the test extra"
    proc = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_on_the_core() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]


def test_ruff_lint_is_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "cc_guard", "tests",
                           "benchmarks"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
