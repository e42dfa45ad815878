"""The hook path's process runner: pipes both ways, exit codes, hard timeouts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cc_guard.base import spawn


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


def test_run_all_returns_each_result_in_order() -> None:
    env = dict(os.environ)
    results = spawn.run_all(
        [
            (["sh", "-c", "sleep 0.2; echo first; exit 1"], env, None),
            (["cat"], env, b"second"),
            (["sh", "-c", "echo third >&2"], env, None),
        ],
        30,
    )
    assert [(r.returncode, r.stdout, r.stderr) for r in results] == [
        (1, b"first\n", b""),
        (0, b"second", b""),
        (0, b"", b"third\n"),
    ]


def test_run_all_runs_at_the_same_time() -> None:
    # Each child waits until the other has started: run one after the other, they
    # would never finish (and the timeout would fire).
    env = dict(os.environ)
    fifo_dir = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"cc-guard-spawn-{os.getpid()}")
    os.mkdir(fifo_dir)
    try:
        a, b = os.path.join(fifo_dir, "a"), os.path.join(fifo_dir, "b")
        os.mkfifo(a)
        os.mkfifo(b)
        results = spawn.run_all(
            [
                (["sh", "-c", f"echo x > {a}; cat {b}"], env, None),
                (["sh", "-c", f"cat {a}; echo y > {b}"], env, None),
            ],
            30,
        )
    finally:
        for name in os.listdir(fifo_dir):
            os.unlink(os.path.join(fifo_dir, name))
        os.rmdir(fifo_dir)
    assert [r.stdout for r in results] == [b"y\n", b"x\n"]


def test_run_all_timeout_kills_and_reaps_every_child(tmp_path: Path) -> None:
    env = dict(os.environ)
    pidfiles = [tmp_path / "a", tmp_path / "b"]
    with pytest.raises(spawn.Timeout):
        spawn.run_all(
            [(["sh", "-c", f"echo $$ > {p}; exec sleep 30"], env, None) for p in pidfiles], 2
        )
    for pidfile in pidfiles:
        with pytest.raises(ProcessLookupError):  # killed and reaped: not even a zombie left
            os.kill(int(pidfile.read_text()), 0)
