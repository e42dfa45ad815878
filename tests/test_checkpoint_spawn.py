"""The hook path's process runner: pipes both ways, exit codes, hard timeouts."""

from __future__ import annotations

import os
import time

import pytest

from cc_guard.checkpoints import spawn


def test_large_input_and_output_do_not_deadlock() -> None:
    data = os.urandom(3 * 1024 * 1024)
    result = spawn.run(["cat"], dict(os.environ), data, 30)
    assert result.returncode == 0 and result.stdout == data and result.stderr == b""


def test_exit_code_and_stderr() -> None:
    result = spawn.run(["sh", "-c", "echo out; echo err >&2; exit 3"], dict(os.environ), None, 30)
    assert (result.returncode, result.stdout, result.stderr) == (3, b"out\n", b"err\n")


def test_child_that_ignores_stdin_is_fine() -> None:
    result = spawn.run(["true"], dict(os.environ), os.urandom(1 << 20), 30)
    assert result.returncode == 0


def test_timeout_kills_and_reaps_the_child(tmp_path: object) -> None:
    started = time.monotonic()
    with pytest.raises(spawn.Timeout):
        spawn.run(["sh", "-c", "echo $$; exec sleep 30"], dict(os.environ), None, 0.5)
    assert time.monotonic() - started < 10


def test_environment_is_passed() -> None:
    result = spawn.run(
        ["sh", "-c", 'printf %s "$CC_GUARD_X"'],
        {"PATH": os.environ["PATH"], "CC_GUARD_X": "y"},
        None,
        30,
    )
    assert result.stdout == b"y"
