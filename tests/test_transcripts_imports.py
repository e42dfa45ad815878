"""What the one-session refresh of ``cc-guard sessions --json`` (splice.py) imports,
and the pathlib stand-ins that keep pathlib off it.

A fresh ``cc-guard sessions --json`` after one transcript grew is mostly imports,
so modules taken off that path must stay off it: these tests fail when one
comes back (the benchmark would only show it as a few ms of noise).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cc_guard.entry import main
from cc_guard.transcripts.build import stem
from cc_guard.transcripts.engine import normal_path
from cc_guard.views import cache as warm
from tests.test_transcripts_support import append, assistant, prompt, session_path, usage, write

#: Modules the splice path must not load: each costs ms at every fresh start.
#: (click: the CLI; cc_guard.base.paths: tempfile/shutil/random; typing and pathlib:
#: ~4-5 ms each; cc_guard.config: only with a config file.)
KEPT_OFF = {"click", "pathlib", "typing", "tempfile", "cc_guard.base.paths", "cc_guard.config", "shlex"}

_PROBE = """
import sys
from cc_guard.entry import main
code = main(["sessions", "--json"])
sys.stdout.flush()
print(" ".join(sorted(sys.modules)), file=sys.stderr)  # the probe imports nothing itself
sys.exit(code)
"""

SID = "aaaaaaaa-0000-4000-8000-00000000000a"
OTHER = "bbbbbbbb-0000-4000-8000-00000000000b"


def _modules_after_refresh(isolated_env: dict[str, Path]) -> tuple[bytes, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, check=True, env=dict(os.environ)
    )
    modules = set(done.stderr.decode().strip().splitlines()[-1].split())
    return done.stdout, modules


def test_the_splice_path_keeps_heavy_modules_off(
    isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = isolated_env["claude"]
    for sid, minute in [(SID, 1), (OTHER, 2)]:
        write(
            session_path(root, sid, "-p1"),
            prompt("task", ts=f"2026-01-01T10:0{minute}:00.000Z"),
            assistant(
                "Done.",
                ts=f"2026-01-01T10:0{minute}:05.000Z",
                use=usage(10, 0, 1000, 5),
                msg_id=f"msg_{sid[:4]}",
                request=f"req_{sid[:4]}",
            ),
            mtime=1_700_000_000.0,
        )
    assert main(["sessions", "--json"]) == 0  # the full listing stores the cache
    capsys.readouterr()
    append(session_path(root, SID, "-p1"), prompt("more", ts="2026-01-01T10:09:00.000Z"))

    out, modules = _modules_after_refresh(isolated_env)

    # The splice answered (the engine redid one session), not a full listing.
    assert "cc_guard.views.splice" in modules
    assert "cc_guard.transcripts.engine" in modules
    assert warm.serve()
    assert capsys.readouterr().out.encode() == out
    rows = json.loads(out)["sessions"]
    assert next(r for r in rows if r["session_id"] == SID)["turns"] == 2
    assert sorted(modules & KEPT_OFF) == []


def test_the_warm_path_keeps_the_engine_off(
    isolated_env: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = isolated_env["claude"]
    write(session_path(root, SID, "-p1"), prompt("task", ts="2026-01-01T10:01:00.000Z"))
    assert main(["sessions", "--json"]) == 0
    capsys.readouterr()

    _, modules = _modules_after_refresh(isolated_env)

    assert "cc_guard.transcripts.engine" not in modules
    assert sorted(modules & (KEPT_OFF | {"dataclasses", "json", "sqlite3", "orjson"})) == []


@pytest.mark.parametrize(
    "text",
    [
        "/home/u/.claude",
        "/home/u/.claude/",
        "/home//u/./.claude",
        "//net/share/x",
        "///many/slashes",
        "relative/dir",
        "./relative",
        ".",
        "",
        "/",
        "a/../b",
        "/x/.hidden/./y/",
    ],
)
def test_normal_path_is_str_of_path(text: str) -> None:
    assert normal_path(text) == str(Path(text))
    assert normal_path(Path(text)) == str(Path(text))


@pytest.mark.parametrize(
    "text",
    [
        "/p/aaaaaaaa-0000-4000-8000-00000000000a.jsonl",
        "/p/agent-1234.jsonl",
        "/p/name.tar.jsonl",
        "/p/.jsonl",
        "/p/.hidden",
        "/p/noext",
        "/p/trailing.",
        "relative.jsonl",
    ],
)
def test_stem_is_path_stem(text: str) -> None:
    assert stem(text) == Path(text).stem
    assert stem(Path(text)) == Path(text).stem
