"""Secret patterns are matched without regular expressions where they allow it, with
exactly fnmatch's answers; session ids and nested-repo HEADs are checked without re."""

from __future__ import annotations

import fnmatch
import itertools
import re
import subprocess
import sys
from pathlib import Path

from cc_guard.base.claude import valid_session_id
from cc_guard.checkpoints.exclude import Excluder, nested_repo_ok
from cc_guard.config import DEFAULT_EXCLUDE
from cc_guard.config import CheckpointsConfig as Settings

PATTERNS = [
    *DEFAULT_EXCLUDE,
    "*",
    "",
    "*secret*",
    "a*b",
    "*.tar.*",
    "key?.txt",
    "[!a]*.cfg",
    "[abc",
    "config/.env*",
    "deploy/*.json",
    "/top/only.txt",
    "docs/**/private*",
]
NAMES = [
    ".env",
    ".env.local",
    "x.env",
    "server.pem",
    "server.pem.bak",
    "id_rsa",
    "id_rsa.pub",
    "my_id_rsa",
    ".netrc",
    "a.netrc",
    "credentials.json",
    "credentials.json.txt",
    "",
    "ab",
    "a-b",
    "b",
    "topsecret.txt",
    "x.tar.gz",
    "x.tar",
    "key1.txt",
    "key12.txt",
    "b.cfg",
    "a.cfg",
    "[abc",
    "abc",
    "*",
    "café.pem",
    "new\nline.key",
]
DIRS = ["", "config/", "deploy/", "top/", "docs/a/b/", "src/.env/"]


def _expected(patterns: list[str], path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        if "/" in pattern.strip("/"):
            if fnmatch.fnmatchcase(path, pattern.strip("/")):
                return True
        elif fnmatch.fnmatchcase(name, pattern):
            return True
    return False


def test_secret_matches_fnmatch_for_every_pattern_and_path(tmp_path: Path) -> None:
    for size in (1, 2):
        for chosen in itertools.combinations(PATTERNS, size):
            excluder = Excluder(tmp_path, Settings(exclude=tuple(chosen)))
            for directory, name in itertools.product(DIRS, NAMES):
                path = directory + name
                assert excluder.secret(path) == _expected(list(chosen), path), (chosen, path)
    everything = Excluder(tmp_path, Settings(exclude=tuple(PATTERNS)))
    for directory, name in itertools.product(DIRS, NAMES):
        assert everything.secret(directory + name) == _expected(PATTERNS, directory + name)


def test_session_ids_match_the_documented_alphabet() -> None:
    pattern = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
    samples = [
        "",
        "a",
        "0b6f6c1e-4c1a-4a57-9d7e-5d1f2f0a1b2c",
        "-a",
        "_a",
        "a_b-c",
        "a/b",
        "a b",
        "a.b",
        "..",
        "é",
        "aé",
        "a\n",
        "A" * 128,
        "A" * 129,
        "a\x00",
        "١٢٣",  # non-ASCII digits
    ]
    for sample in samples:
        assert valid_session_id(sample) == bool(pattern.fullmatch(sample)), sample


def test_nested_repo_head_must_be_a_full_object_name(tmp_path: Path) -> None:
    for head, ok in [
        ("a" * 40, True),
        ("0123456789abcdef" * 4, True),
        ("a" * 39, False),
        ("a" * 65, False),
        ("A" * 40, False),
        ("g" * 40, False),
    ]:
        repo = tmp_path / f"r{len(head)}{head[0]}"
        (repo / ".git").mkdir(parents=True)
        (repo / ".git" / "HEAD").write_text(head + "\n")
        assert nested_repo_ok(repo) is ok, head


def test_the_checkpoint_path_never_imports_re_by_itself(tmp_path: Path) -> None:
    # pip's console script imports re anyway, uv's does not (then it is ~6 ms).
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "a.txt").write_text("a\n")
    (repo / ".env").write_text("SECRET=1\n")
    code = (
        "import sys\n"
        "import cc_guard.runtime.hook, cc_guard.runtime.handlers.checkpoint as h\n"
        "from cc_guard.base.hookio import HookEvent\n"
        "h.on_post_tool_use(HookEvent('PostToolUse', {'tool_name': 'Write'}, 'sid', "
        f"{str(repo)!r}))\n"
        "print(sorted(m for m in ('re', 'enum', 'fnmatch', 'json') if m in sys.modules))"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    # The first seeds the private index (shutil, once per session); the usual case:
    assert runs[1].stdout.strip() == "[]"
    tree = subprocess.run(
        ["git", "ls-tree", "--name-only", "refs/cc-guard/sid"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tree == ["a.txt"]  # .env left out
