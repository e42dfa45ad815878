"""The generated parts of docs/ (JSON fields, config keys, --help texts) match the code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATE = ROOT / "docs" / "generate.py"


def _generate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATE), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_generated_docs_are_up_to_date_with_the_code() -> None:
    proc = _generate("--check")
    assert proc.returncode == 0, (
        "docs/ are stale: run `make docs` (python docs/generate.py) and commit the result\n"
        + proc.stdout[-4000:]
        + proc.stderr[-2000:]
    )


def test_a_stale_block_fails_the_check_with_a_diff_and_generating_fixes_it(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    sessions = docs / "sessions.md"
    text = sessions.read_text()
    assert "| `turns` |" in text
    sessions.write_text(text.replace("| `turns` |", "| `prompt_count` |"))

    stale = _generate("--check", "--docs", str(docs))
    assert stale.returncode == 1
    assert "-| `prompt_count` |" in stale.stdout and "+| `turns` |" in stale.stdout
    assert "make docs" in stale.stderr

    assert _generate("--docs", str(docs)).returncode == 0
    assert sessions.read_text() == text
    assert _generate("--check", "--docs", str(docs)).returncode == 0


def test_a_doc_that_lost_its_markers_is_an_error_naming_the_block(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    config = docs / "config.md"
    config.write_text(config.read_text().replace("<!-- END GENERATED: config-keys -->", ""))

    proc = _generate("--check", "--docs", str(docs))
    assert proc.returncode == 2
    assert "config-keys" in proc.stderr


def test_a_field_without_a_note_stops_the_generator_naming_it() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import generate\n"
        "del generate.FIELD_NOTES['turns']\n"
        "sys.exit(generate.main(['--check']))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "docs")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "no note for 'turns'" in proc.stderr
