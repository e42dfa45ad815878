"""Folding the new bytes of transcripts: in this process, or split across forked
children for a big first read (parsing is CPU-bound and the files independent),
plus the JSON text the index stores folds as."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import StrPath

import json
import marshal
import os

import orjson

from cc_guard.transcripts.fold import Fold
from cc_guard.transcripts.model import ParseStats
from cc_guard.transcripts.reader import (
    WANTED_HINTS,
    WANTED_TYPES,
    Cursor,
    Scan,
    count_skipped,
    finish_scan,
    iter_lines,
    open_at,
    parse_line,
)


def read_into(
    path: StrPath, cursor: Cursor, fold: Fold, run_stats: ParseStats | None = None
) -> Fold:

    """Fold what was appended to ``path`` since ``cursor`` (a fresh Fold if it was replaced)."""
    opened = open_at(path, cursor)
    if opened is None:
        return fold
    fh, restarted = opened
    if restarted:
        fold = Fold()
    stats = fold.stats
    # api-request lines only name the requested model: parse them until one did.
    keep: set[str | None] = set(WANTED_HINTS)
    if fold.requested_model is not None:
        keep.discard("api-request")

    # The loop of reader.iter_new, inlined: this is the hot path of a cold start.
    scan = Scan(cursor.offset)
    add = fold.add
    try:
        with fh:
            for data, _end, _hint, head in iter_lines(fh, scan, keep):
                if data is None:
                    stats.oversized_lines += 1
                    fold.add_oversized(head or b"")
                    continue
                record = parse_line(data, stats)
                if record is None:
                    continue
                rtype = record.get("type")
                if isinstance(rtype, str) and rtype not in WANTED_TYPES:
                    count_skipped(rtype, stats)
                    continue
                add(record)
                if rtype == "api-request" and fold.requested_model is not None:
                    keep.discard("api-request")
    finally:
        consumed = finish_scan(scan, cursor, stats)
        if run_stats is not None:
            run_stats.bytes_read += consumed
    return fold


PARALLEL_MIN_BYTES = 64 * 1024 * 1024


def env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what orjson refuses (lone surrogates, ints beyond 64 bits)
        return json.dumps(value, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # written by the json module (see _dumps)
        return json.loads(text)


def file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def fork_reader(share: list[tuple[str, Cursor, Fold | None]]) -> tuple[int, int]:
    """Fork a child that folds ``share`` and sends its index rows (JSON text) back
    through a pipe. The child inherits the caller's disabled garbage collector."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return pid, read_fd
    status = 1
    try:  # the child: never return into the caller's code
        os.close(read_fd)
        run = ParseStats()
        rows = []
        for key, cursor, fold in share:
            fold = read_into(key, cursor, fold or Fold(), run)
            rows.append(
                (
                    key,
                    dumps(cursor.to_json()),
                    dumps(fold.brief().to_json()),
                    dumps(fold.to_json()),
                )
            )
        # marshal, not JSON: the rows are JSON text already, and re-escaping them costs.
        data = marshal.dumps((rows, run.bytes_read))
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view) :]
        status = 0
    finally:
        os._exit(status)


def collect(pid: int, fd: int) -> tuple[list[tuple[str, str, str, str]], int] | None:
    """A forked reader's rows and bytes read, or None if it failed."""
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        rows, read = marshal.loads(b"".join(chunks))
    except (ValueError, EOFError, TypeError):
        return None
    return [tuple(row) for row in rows], int(read)
