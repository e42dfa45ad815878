"""Which Bash commands get a checkpoint of the state before them (PreToolUse).

The command is only parsed, never run. A miss costs the user's work; an extra
checkpoint costs one snapshot. So the cases below are the ways a shell command
overwrites or deletes files: the program itself, wrappers in front of it (with
their own options), shells and interpreters running a command string, in-place
editors, archive extraction, patches and links over files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_guard.checkpoints.destructive import is_destructive


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    (tmp_path / "file.txt").write_text("existing\n")
    (tmp_path / "link-target").write_text("x\n")
    (tmp_path / "notes.md").write_text("notes\n")
    return tmp_path


DESTRUCTIVE = [
    # the programs themselves
    "rm -rf build",
    "mv a b",
    "git reset --hard",
    "git -C sub checkout .",
    "sed -i 's/a/b/' file.txt",
    "find . -name '*.pyc' -delete",
    "echo hi > file.txt",
    # in-place editors with bundled flags
    "perl -pi -e 's/a/b/' file.txt",
    "perl -i.bak -pe 's/a/b/' file.txt",
    "perl -lpi -e 's/a/b/' file.txt",
    "perl -0777 -pi -e 's/a/b/' file.txt",
    "sed -Ei 's/a/b/' file.txt",
    "sed -ni 'p' file.txt",
    "ruby -pi -e 'gsub(/a/, \"b\")' file.txt",
    # shells and interpreters with a command string
    "bash -lc 'rm -rf build'",
    "bash -l -c 'rm -rf build'",
    "bash -o pipefail -c 'git clean -fdx'",
    "sh -ec 'rm x'",
    "ksh -c 'rm x'",
    "fish -c 'rm x'",
    "zsh -c 'rm x'",
    "dash -c 'rm x'",
    "busybox sh -c 'rm x'",
    "busybox rm x",
    "su -c 'rm -rf /srv/app' deploy",
    # wrappers with options that take a value
    "sudo -u root rm -rf build",
    "sudo -u root -g wheel rm x",
    "sudo --user=root rm x",
    "doas -u root rm x",
    "env -u HOME rm x",
    "env -C /tmp rm x",
    "timeout 10s rm x",
    "timeout -s KILL 5 rm x",
    "nice -n 5 rm x",
    "ionice -c 3 rm x",
    "xargs -I {} rm {}",
    "xargs -n 1 -P 4 rm",
    "stdbuf -o0 rm x",
    "flock /tmp/lock rm x",
    "nohup rm x",
    # archives, patches, links, compressors that replace their input
    "tar xf archive.tar",
    "tar -xzf archive.tgz",
    "tar --extract -f archive.tar",
    "tar -C out -xf archive.tar",
    "unzip -o archive.zip",
    "unzip archive.zip",
    "7z x archive.7z",
    "cpio -idv < archive.cpio",
    "patch -p1 < fix.diff",
    "git apply fix.diff",
    "ln -sf link-target file.txt",
    "ln -f link-target file.txt",
    "ln --force -s link-target file.txt",
    "gzip file.txt",
    "gunzip file.txt.gz",
    "xz -d file.txt.xz",
    "sort -o file.txt file.txt",
    "awk -i inplace '{print}' file.txt",
    "truncate -s 0 file.txt",
    "chained && rm x",
    "cd sub; tar xf ../a.tar",
]

HARMLESS = [
    "ls -la",
    "git status",
    "git log --oneline",
    "cat file.txt",
    "grep -r foo .",
    "perl -e 'print 1'",
    "perl -ne 'print if /x/' file.txt",
    "perl -MList::Util=sum -e 'print sum(1,2)'",
    "sed -n 'p' file.txt",
    "bash -c 'ls -la'",
    "sudo -u root ls",
    "timeout 10s pytest -q",
    "tar tf archive.tar",
    "tar -czf out.tgz src",
    "unzip -l archive.zip",
    "unzip -t archive.zip",
    "ln -s link-target new-name",
    "gzip -c file.txt",
    "gzip -k file.txt",
    "sort file.txt",
    "patch --dry-run -p1 < fix.diff",
    "echo hi >> notes.md",
    "echo hi > /dev/null",
    "python -m pytest -q",
    "xargs -I {} echo {}",
]


@pytest.mark.parametrize("command", DESTRUCTIVE)
def test_commands_that_overwrite_or_delete_files_are_destructive(cwd: Path, command: str) -> None:
    assert is_destructive(command, cwd)


@pytest.mark.parametrize("command", HARMLESS)
def test_commands_that_only_read_are_not(cwd: Path, command: str) -> None:
    assert not is_destructive(command, cwd)


def test_unparseable_input_counts_as_destructive(cwd: Path) -> None:
    assert is_destructive("echo 'unterminated", cwd)


def test_a_deeply_nested_command_string_is_destructive_not_a_crash(cwd: Path) -> None:
    command = "rm x"
    for _ in range(10):
        command = f"bash -c {command!r}"
    assert is_destructive(command, cwd)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("perl -lane 'print $F[0]' file.txt", False),
        ("perl -lani -e 'print' file.txt", True),
        ("python3 -c 'import shutil; shutil.rmtree(\"build\")'", True),
        ("python3 -c 'print(1 + 1)'", False),
        ('node -e \'require("fs").rmSync("dist", {recursive: true})\'', True),
        ("command -v rm", False),
        ("env -S 'rm -rf build'", True),
        ("flock /tmp/lock -c 'rm x'", True),
        ("watch -n 1 'rm x'", True),
        ("npx rimraf dist", True),
    ],
)
def test_option_bundles_and_code_strings_are_read_like_the_program_would(
    cwd: Path, command: str, expected: bool
) -> None:
    assert is_destructive(command, cwd) is expected
