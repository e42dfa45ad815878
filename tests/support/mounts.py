"""Run a command where some directories are really read-only or really full.

A private mount namespace (``unshare --map-root-user --mount``) gets a read-only bind
mount or a tiny tmpfs over the directory; the rest of the machine sees no change.
Tests skip when the kernel allows no user namespaces (the only reason they may).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest


def namespaces_work() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = subprocess.run(
        [unshare, "--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs -o size=64k t /mnt"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


def run_with_mounts(
    argv: list[str],
    *,
    read_only: tuple[Path, ...] = (),
    full: tuple[Path, ...] = (),
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``argv`` with each ``read_only`` dir mounted read-only and each ``full`` dir on a
    small tmpfs holding a copy of its files, filled up to the last byte."""
    if not namespaces_work():
        pytest.skip("no user namespaces here: cannot mount a read-only or full directory")
    lines = ["set -e"]
    for path in full:
        p = shlex.quote(str(path))
        lines += [
            'saved=$(mktemp -d) && cp -a ' + p + '/. "$saved"/',
            f"mount -t tmpfs -o size=1m tmpfs {p}",
            'cp -a "$saved"/. ' + p + '/ && rm -rf "$saved"',
            f"dd if=/dev/zero of={p}/.fill bs=4096 2>/dev/null || true",
            f"dd if=/dev/zero of={p}/.fill2 bs=1 2>/dev/null || true",
        ]
    for path in read_only:
        p = shlex.quote(str(path))
        lines += [f"mount --bind {p} {p}", f"mount -o remount,ro,bind {p}"]
    lines.append("exec " + shlex.join(argv))
    return subprocess.run(
        ["unshare", "--map-root-user", "--mount", "sh", "-c", "\n".join(lines)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )
