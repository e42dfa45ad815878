"""The default secret exclusions, file by file, at the top and nested, in a real checkpoint.

Each name below is a file that holds credentials in the tool that reads it. A
checkpoint must not hold it whether git tracks it or not, wherever it sits in the
work tree; and the checks must need no regular expression (the PostToolUse hook
does not import ``re``: tests/test_architecture.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cc_guard.checkpoints.snapshot import take_checkpoint
from cc_guard.config import DEFAULT_EXCLUDE
from tests.support.checkpoints import git, make_repo, tree_of

SID = "c0ffee00-1234-4abc-8def-00000000000e"

SECRET_FILES = [
    ".aws/credentials",
    "sub/.aws/credentials",
    "deep/er/.aws/credentials",
    ".git-credentials",
    "sub/.git-credentials",
    ".npmrc",
    "frontend/.npmrc",
    ".pypirc",
    ".netrc",
    ".pgpass",
    ".env",
    ".env.production",
    "config/.env.local",
    "prod.env",
    "config/prod.env",
    "secrets.yml",
    "secrets.yaml",
    "config/secrets.yml",
    "config/secrets.yaml",
    "credentials.json",
    "config/credentials.json",
    "certs/server.key",
    "certs/server.pem",
    ".ssh/id_ed25519",
    "keys/id_rsa",
    "keystore/app.jks",
    "tls/client.p12",
    ".docker/config.json",
    "sub/.docker/config.json",
    ".vault-token",
    ".htpasswd",
    "web/.htpasswd",
]
KEPT_FILES = [
    "config/settings.yml",
    "secrets.md",
    "src/env.py",
    "environment.txt",
    ".aws/config",
    "docs/credentials.md",
    "package.json",
    "docker/config.json",
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def _write(repo: Path, names: list[str]) -> None:
    for name in names:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {name}\n")


def test_every_default_secret_file_stays_out_untracked_and_nested(repo: Path) -> None:
    _write(repo, SECRET_FILES + KEPT_FILES)
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None
    tree = set(tree_of(repo, sha))
    assert sorted(tree & set(SECRET_FILES)) == []
    assert sorted(set(KEPT_FILES) - tree) == []


def test_every_default_secret_file_stays_out_when_git_tracks_it(repo: Path) -> None:
    _write(repo, SECRET_FILES + KEPT_FILES)
    git(repo, "add", "-f", "--", *SECRET_FILES, *KEPT_FILES)
    git(repo, "commit", "-q", "-m", "oops, committed secrets")
    sha = take_checkpoint(repo, SID, "Stop")
    assert sha is not None
    tree = set(tree_of(repo, sha))
    assert sorted(tree & set(SECRET_FILES)) == []
    assert sorted(set(KEPT_FILES) - tree) == []


def test_the_default_patterns_need_no_regular_expression() -> None:
    code = (
        "import sys\n"
        "from cc_guard.checkpoints.exclude import Excluder\n"
        "from cc_guard.config.sections import CheckpointsConfig\n"
        "e = Excluder('.', CheckpointsConfig())\n"
        f"assert all(e.secret(p) for p in {SECRET_FILES!r})\n"
        "print('re' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
    assert all(p.count("*") <= 1 and "?" not in p and "[" not in p for p in DEFAULT_EXCLUDE)
