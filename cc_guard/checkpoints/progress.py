"""Hashing a checkpoint's changed files in batches that fit the time budget.

A hook has a time budget (``[checkpoints] time_budget_seconds``). One
``update-index`` over every changed file would be killed at the budget when they
take longer to hash, and the next hook would start over: no checkpoint, ever
again. Instead the files go to ``update-index`` in batches sized to the time left
(from the hashing rate seen before, kept in ``<index>.progress``); each finished
batch is in the private index for good, so the next hook goes on from there. A
file that cannot be hashed within the budget even alone is left out, like a file
over the size limit, until it changes.

When the budget runs out with files left, the checkpoint is taken of what was
hashed and says so (trailers, the incident log), and ``<session>.behind`` beside
the index tells the statusline, ``status`` and ``doctor`` that checkpoints are
behind the work tree; the next complete checkpoint removes it.

Runs on the hook path: standard library only.
"""

from __future__ import annotations

import os
import time

from cc_guard.base import fastjson
from cc_guard.base.fs import write_atomic
from cc_guard.git import DeadlineExceeded, Git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

#: Seconds per byte assumed before any batch was timed: 100 MB/s.
DEFAULT_RATE = 1e-8
#: What one file costs beyond its bytes (open, stat, an index entry), in bytes.
PER_FILE = 4096
#: Seconds to start one update-index, not counted in the rate.
OVERHEAD = 0.005
#: A batch is planned to take at most this share of the time left.
SHARE = 0.8
#: Rates below this are noise.
MIN_RATE = 1e-10
#: A batch that took less than this (seconds) teaches no rate.
MEASURABLE = 0.05


def cost(size: int) -> int:
    return size + PER_FILE


class Progress:
    """What earlier hooks learned: the hashing rate, and files too slow to hash.

    Kept in ``<index>.progress``: ``<rate> <budget>`` on the first line, then one
    line per slow file, ``<size> <mtime_ns> <path>``. A slow file is tried again once
    it changes, or when the budget is not the one it was too slow for.
    """

    __slots__ = ("budget", "changed", "path", "rate", "slow")

    def __init__(self, path: str, budget: float, rate: float = DEFAULT_RATE) -> None:
        self.path = path
        self.budget = budget
        self.rate = rate
        self.slow: dict[str, str] = {}
        self.changed = False

    @classmethod
    def load(cls, index: str, budget: float) -> Progress:
        progress = cls(index + ".progress", budget)
        try:
            with open(progress.path, encoding="utf-8", errors="surrogateescape") as fh:
                lines = fh.read().split("\n")
            head = lines[0].split()
            progress.rate = max(MIN_RATE, float(head[0]))
            same_budget = len(head) > 1 and float(head[1]) == budget
        except (OSError, ValueError, IndexError):
            return progress
        if not same_budget:
            progress.changed = True  # the slow files get another try
            return progress
        for line in lines[1:]:
            size, _, rest = line.partition(" ")
            mtime, _, name = rest.partition(" ")
            if name:
                progress.slow[name] = f"{size} {mtime}"
        return progress

    def save(self) -> None:
        if not self.changed:
            return
        head = f"{self.rate!r} {self.budget!r}"
        lines = [head] + [f"{key} {name}" for name, key in self.slow.items()]
        data = "\n".join(lines).encode("utf-8", "surrogateescape")
        write_atomic(self.path, data, durable=False)
        self.changed = False

    def learn(self, rate: float) -> None:
        rate = max(MIN_RATE, rate)
        if not (self.rate / 2 <= rate <= self.rate * 2):
            self.changed = True  # worth a write only when it moved a lot
        self.rate = rate


class Outcome:
    """How far hashing got: what is left, and what was too slow to hash alone."""

    __slots__ = ("hashed", "pending", "pending_bytes", "slow")

    def __init__(self) -> None:
        self.hashed: list[str] = []
        self.pending: list[str] = []
        self.pending_bytes = 0
        self.slow: list[str] = []


def hash_in_batches(
    git: Git,
    paths: list[str],
    sizes: dict[str, int],
    stat_keys: dict[str, str],
    deadline: float,
    progress: Progress,
    update: Callable[[Git, list[str]], None],
) -> Outcome:
    """Run ``update(git, batch)`` over ``paths`` in batches that fit before ``deadline``.

    Smallest files first, so the most files get in. A batch killed at the deadline
    leaves the index as the previous batch left it (git writes it through a lock
    file), and teaches a slower rate; a file killed alone is remembered as slow.
    """
    outcome = Outcome()
    ordered = sorted(paths, key=lambda p: sizes.get(p, 0))
    runner = Git(git.cwd, deadline, git.env)
    i = 0
    while i < len(ordered):
        left = deadline - time.monotonic()
        room = max(0.0, left * SHARE - OVERHEAD) / progress.rate
        j, units = i, 0
        while j < len(ordered) and (j == i or units + cost(sizes.get(ordered[j], 0)) <= room):
            units += cost(sizes.get(ordered[j], 0))
            j += 1
        if left <= 0 or (outcome.hashed and units * progress.rate > left):
            break  # the next file does not fit: leave it for the next hook
        batch = ordered[i:j]
        started = time.monotonic()
        try:
            update(runner, batch)
        except DeadlineExceeded:
            spent = time.monotonic() - started
            progress.learn(max(progress.rate * 4, (spent - OVERHEAD) / units))
            progress.changed = True
            if len(batch) == 1 and spent >= left * SHARE:
                # Alone and given most of the budget: it will not fit in any hook.
                progress.slow[batch[0]] = stat_keys.get(batch[0], "")
                outcome.slow.append(batch[0])
                i = j
            break
        spent = time.monotonic() - started
        if spent > MEASURABLE:  # a few tiny files say nothing about the rate
            progress.learn((spent - OVERHEAD) / units)
        outcome.hashed += batch
        i = j
    outcome.pending = ordered[i:]
    outcome.pending_bytes = sum(sizes.get(p, 0) for p in outcome.pending)
    return outcome


# --- telling the user -------------------------------------------------------------------

BEHIND_SUFFIX = ".behind"


def behind_path(repo_state: str, session_id: str) -> str:
    """``<repo state dir>/<session>.behind``: present while checkpoints are behind.

    One JSON object: ``{"time": unix seconds, "files": n, "bytes": n, "reason": text}``
    (read by the statusline without importing this module).
    """
    return os.path.join(repo_state, session_id + BEHIND_SUFFIX)


def mark_behind(
    repo_state: str, session_id: str, files: int | None, size: int, reason: str
) -> None:
    """``files`` is None when the checkpoint stopped before it could count them."""
    record = {"time": round(time.time(), 3), "files": files, "bytes": size, "reason": reason}
    write_atomic(behind_path(repo_state, session_id), fastjson.dumps(record), durable=False)


def clear_behind(repo_state: str, session_id: str) -> None:
    try:  # noqa: SIM105 - contextlib is not imported on the hook path
        os.unlink(behind_path(repo_state, session_id))
    except FileNotFoundError:
        pass


def read_behind(repo_state: str, session_id: str) -> dict[str, object] | None:
    try:
        with open(behind_path(repo_state, session_id), "rb") as fh:
            record = fastjson.loads(fh.read())
    except (OSError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None
