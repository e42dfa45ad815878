"""Incremental, fault-tolerant reading of Claude Code's JSONL transcripts.

Transcripts are append-only logs that a live Claude Code process writes while we
read them, so this module:

- remembers a byte offset per file (:class:`Cursor`) and reads only what was
  appended since; a half-written last line is left for the next read;
- notices a file that shrank or was replaced (device/inode change, size below
  the offset, or different first bytes) and reads it again from the start;
- never fails on content: malformed JSON, non-UTF-8 bytes, non-object lines,
  oversized lines and unknown record types are counted in :class:`ParseStats`
  and skipped;
- avoids ``json.loads`` on records nobody needs (request blobs, prompt
  snapshots, attachments: most of a transcript's bytes) by reading the record
  type from the line's first scalar keys, and streams lines of many megabytes
  instead of holding them.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Container, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from cc_guard.base.fs import open_regular
from cc_guard.transcripts.model import ParseStats

#: Records the session model is built from; everything else is skipped unparsed.
#: (``api-request`` lines are small and name the model a failed session asked for.)
WANTED_TYPES = frozenset({"user", "assistant", "system", "api-request"})
#: Record types seen in real transcripts that the model does not need. They are
#: skipped silently; any other type is counted in ``ParseStats.unknown_record_types``.
KNOWN_SKIPPED_TYPES = frozenset(
    {
        "attachment",
        "file-history-snapshot",
        "queue-operation",
        "last-prompt",
        "cost-state",
        "api-request-blob",
        "api-request-shape",
        "tools-used",
        "mode",
        "permission-mode",
        "atis-latch",
        "progress",
        "summary",
        "custom-title",
        "agent-name",
        "tag",
        "pr-link",
    }
)

#: Lines longer than this are not parsed (a needed record this large is a tool
#: result or file content; its head is kept for best-effort id extraction).
MAX_LINE_BYTES = 16 * 1024 * 1024
#: How much of a long line must arrive before we decide whether to keep it.
_HEAD_BYTES = 64 * 1024
#: How much of an oversized line is kept for best-effort extraction.
OVERSIZED_HEAD_BYTES = 64 * 1024
#: Read size: big reads keep the per-call cost low; only one partial line is
#: carried between reads (or none, when that line is being discarded).
_CHUNK = 4 * 1024 * 1024
#: Bytes hashed to recognise a file that was replaced by one of the same size or larger.
_FINGERPRINT_BYTES = 256

# The common shape, in one match: compact JSON whose leading keys have plain
# scalar values, up to the first of ``type``/``attachment``/``message``.
_FAST_HEAD = re.compile(
    rb'\{(?:"[A-Za-z_]+":(?:"[^"\\]*"|true|false|null|-?[0-9]+),)*?"(type|attachment|message)":(?:"([^"\\]*)")?'
)
# One top-level ``"key": scalar`` pair, any valid JSON (the slow, general path).
_PAIR = re.compile(
    rb'\s*"((?:[^"\\]|\\.)*)"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|-?[0-9][0-9.eE+-]*|true|false|null)\s*([,}])'
)
_COMPLEX_KEY = re.compile(rb'\s*"((?:[^"\\]|\\.)*)"\s*:\s*[\[{]')
_HINT_WINDOW = 8192
_hint_cache: dict[bytes, str] = {}


def record_type_hint(line: bytes, start: int = 0, end: int | None = None) -> str | None:
    """The record's top-level ``type`` read from the leading scalar pairs of ``line[start:end]``.

    Returns ``"attachment"`` for records whose first structured field is the
    top-level ``attachment`` object, and None when the type cannot be known
    without parsing (user and assistant records put ``message`` before ``type``).
    Only genuine top-level keys are read: the pairs are matched from the opening
    brace, so text inside string values can never be mistaken for a key.
    """
    limit = min(len(line) if end is None else end, start + _HINT_WINDOW)
    m = _FAST_HEAD.match(line, start, limit)
    if m is not None:
        key = m.group(1)
        if key == b"type":
            raw = m.group(2)
            if raw is None:
                return None
            hint = _hint_cache.get(raw)
            if hint is None:
                hint = raw.decode("utf-8", "replace")
                if len(_hint_cache) < 256:
                    _hint_cache[raw] = hint
            return hint
        if key == b"attachment":
            return "attachment" if line.startswith(b"{", m.end()) else None
        return None
    return _slow_hint(line, start, limit)


def _slow_hint(line: bytes, start: int, limit: int) -> str | None:
    while start < limit and line[start : start + 1].isspace():
        start += 1
    if line[start : start + 1] != b"{":
        return None
    pos = start + 1
    while pos < limit:
        m = _PAIR.match(line, pos, limit)
        if m is None:
            c = _COMPLEX_KEY.match(line, pos, limit)
            if c is not None and c.group(1) == b"attachment":
                return "attachment"
            return None
        if m.group(1) == b"type" and m.group(2) is not None:
            return m.group(2).decode("utf-8", "replace")
        if m.group(3) == b"}":
            return None
        pos = m.end()
    return None


@dataclass
class Cursor:
    """Where reading of one file stopped, and how to recognise the same file again."""

    offset: int = 0
    dev: int = 0
    ino: int = 0
    size: int = 0
    mtime_ns: int = 0
    #: CRC-32 of the first ``fingerprint_len`` bytes: enough to tell files apart,
    #: and zlib loads much faster than hashlib (OpenSSL) on every CLI start.
    fingerprint: str = ""
    fingerprint_len: int = 0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cursor:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**fields)

    def unchanged(self, st: os.stat_result) -> bool:
        """True when ``st`` says the file is exactly as we last left it."""
        return (
            st.st_dev == self.dev
            and st.st_ino == self.ino
            and st.st_size == self.size
            and st.st_mtime_ns == self.mtime_ns
        )


if TYPE_CHECKING:
    from _typeshed import StrPath


class Line(NamedTuple):
    """One complete line: ``data`` is the raw line, or None when it was skipped unread.

    A named tuple rather than a dataclass: one is made per line, and tuples are
    several times cheaper to build.
    """

    data: bytes | None
    end: int  # file offset just after the newline
    type_hint: str | None
    oversized_head: bytes | None = None


def _fingerprint(fh: Any, length: int) -> str:
    # pread: a seek on the buffered file would throw away (and re-read) its buffer.
    return f"{zlib.crc32(os.pread(fh.fileno(), length, 0)):08x}"


def open_at(path: StrPath, cursor: Cursor) -> tuple[Any, bool] | None:
    """Open ``path`` for reading from ``cursor``; None if it cannot be opened.

    Returns the file object (positioned at the offset to read from) and whether
    reading restarted from the beginning (file new, shrunk or replaced). Updates
    the cursor's identity fields; the offset only moves as lines are consumed.
    """
    fh = open_regular(path)
    if fh is None:
        return None
    try:
        st = os.fstat(fh.fileno())
        restart = (
            st.st_dev != cursor.dev
            or st.st_ino != cursor.ino
            or st.st_size < cursor.offset
            or cursor.offset == 0
        )
        if not restart and cursor.fingerprint_len:
            restart = _fingerprint(fh, cursor.fingerprint_len) != cursor.fingerprint
        if restart:
            cursor.offset = 0
        fp_len = min(st.st_size, _FINGERPRINT_BYTES)
        if restart or cursor.fingerprint_len < fp_len:
            cursor.fingerprint = _fingerprint(fh, fp_len)
            cursor.fingerprint_len = fp_len
        cursor.dev, cursor.ino = st.st_dev, st.st_ino
        cursor.size, cursor.mtime_ns = st.st_size, st.st_mtime_ns
        fh.seek(cursor.offset)
    except OSError:
        fh.close()
        return None
    return fh, restart


class Scan:
    """Progress of one :func:`iter_lines` pass: where it stopped and what it skipped."""

    __slots__ = ("end", "lines", "skipped")

    def __init__(self, offset: int) -> None:
        self.end = offset  # file offset after the last complete line
        self.lines = 0  # complete lines seen, yielded or not
        self.skipped: dict[str | None, int] = {}  # type hint -> lines skipped unread


def iter_lines(
    fh: Any,
    scan: Scan,
    keep: Container[str | None],
    max_line: int = MAX_LINE_BYTES,
) -> Iterator[Line]:
    """Yield the complete lines from ``scan.end`` whose type hint is ``in keep``.

    ``keep`` is a container (a set, usually) rather than a predicate: the test
    runs once per line, and a set lookup is several times cheaper than a call.

    Lines not wanted are only counted in ``scan.skipped``: never yielded, never
    copied out of the read buffer, and a long one is discarded chunk by chunk,
    never held whole; so is a wanted line over ``max_line`` (yielded with
    ``data=None`` and its head kept). Stops before a half-written last line;
    ``scan.end`` is then the offset to resume from.
    """
    buf = b""  # unconsumed bytes: at most one partial line, or a fresh chunk
    base = scan.end  # file offset of buf[0]
    try:
        size = os.fstat(fh.fileno()).st_size
    except (OSError, AttributeError, ValueError):  # not a real file (io.BytesIO)
        size = -1
    skipped = scan.skipped
    lines = 0
    try:
        while True:
            i = 0
            find = buf.find
            fast = _FAST_HEAD.match
            while True:
                nl = find(b"\n", i)
                if nl < 0:
                    break
                lines += 1
                # record_type_hint, inlined for the common shapes: this runs per line.
                m = fast(buf, i, nl if nl - i < _HINT_WINDOW else i + _HINT_WINDOW)
                if m is None:
                    hint = _slow_hint(buf, i, min(nl, i + _HINT_WINDOW))
                else:
                    key, raw = m.groups()
                    if key == b"type":
                        hint = _hint_cache.get(raw) if raw is not None else None
                        if hint is None and raw is not None:
                            hint = record_type_hint(buf, i, nl)
                    elif key == b"attachment":
                        hint = "attachment" if buf.startswith(b"{", m.end()) else None
                    else:
                        hint = None
                if hint not in keep:
                    if hint not in KNOWN_SKIPPED_TYPES:
                        skipped[hint] = skipped.get(hint, 0) + 1
                else:
                    scan.end = base + nl + 1
                    if nl + 1 - i > max_line:
                        yield Line(None, scan.end, hint, buf[i : i + OVERSIZED_HEAD_BYTES])
                    else:
                        yield Line(buf[i : nl + 1], scan.end, hint, None)
                i = nl + 1
            if i:
                buf = buf[i:]
                base += i
                scan.end = base
            if len(buf) >= _HEAD_BYTES:
                # A long partial line: decide now whether to hold it or stream past it.
                hint = record_type_hint(buf)
                wanted = hint in keep
                if not wanted or len(buf) > max_line:
                    head = buf[:OVERSIZED_HEAD_BYTES] if wanted else None
                    size = len(buf)
                    while True:
                        chunk = fh.read(_CHUNK)
                        if not chunk:
                            return  # half-written: the offset stays at its start for the next read
                        nl = chunk.find(b"\n")
                        if nl >= 0:
                            break
                        size += len(chunk)
                    base += size + nl + 1
                    scan.end = base
                    lines += 1
                    if head is not None:
                        yield Line(None, base, hint, head)
                    else:
                        skipped[hint] = skipped.get(hint, 0) + 1
                    buf = chunk[nl + 1 :]
                    continue
            # Ask for what the file holds, not a whole chunk: a read of _CHUNK
            # allocates (and page-faults) 4 MB for a 1 MB transcript, then shrinks it.
            chunk = fh.read(_read_size(base + len(buf), size))
            if not chunk:
                return  # what is left in buf is half-written: read again next time
            buf = buf + chunk if buf else chunk
    finally:
        scan.lines += lines


def _read_size(position: int, size: int) -> int:
    """Bytes to ask for at ``position``: the rest of the file as last seen
    (``size``, -1 if unknown), at least 64 KiB (it may have grown), at most _CHUNK."""
    if size < 0:
        return _CHUNK
    return min(_CHUNK, max(size - position, _HEAD_BYTES))


def parse_line(line: bytes, stats: ParseStats) -> dict[str, Any] | None:
    """Decode one line into a JSON object, counting (not raising on) bad input.

    orjson parses these records much faster than the json module, and parsing is
    a large part of a cold run. What it rejects goes to the json module, which
    decides: it tells non-UTF-8 from malformed and accepts what orjson does not
    (lone surrogate escapes, NaN). One known difference: orjson reads integers
    beyond 64 bits as floats; no transcript field holds one.
    """
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return _parse_line_json(line, stats)
    if not isinstance(value, dict):
        stats.malformed_lines += 1
        return None
    return value


def _parse_line_json(line: bytes, stats: ParseStats) -> dict[str, Any] | None:
    try:
        # Decoding first is both the UTF-8 check and faster than json's own detection.
        value = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        stats.non_utf8_lines += 1
        return None
    except (ValueError, RecursionError):
        if line.strip():  # a blank line is not worth counting
            stats.malformed_lines += 1
        return None
    if not isinstance(value, dict):
        stats.malformed_lines += 1
        return None
    return value


class _Everything:
    """A container holding every type hint: read every line."""

    def __contains__(self, item: object) -> bool:
        return True


EVERY_LINE: Container[str | None] = _Everything()
#: The engine's filter: parse records of wanted or undetermined type only.
WANTED_HINTS: frozenset[str | None] = frozenset({None, *WANTED_TYPES})


def count_skipped(hint: str | None, stats: ParseStats) -> None:
    if hint is not None and hint not in KNOWN_SKIPPED_TYPES and hint not in WANTED_TYPES:
        stats.unknown_record_types[hint] = stats.unknown_record_types.get(hint, 0) + 1


def iter_new(
    fh: Any,
    cursor: Cursor,
    stats: ParseStats,
    keep: Container[str | None] | None = None,
    max_line: int = MAX_LINE_BYTES,
    only_types: frozenset[str] | None = WANTED_TYPES,
) -> Iterator[dict[str, Any] | bytes]:
    """Parse what follows ``cursor.offset`` in ``fh`` (from :func:`open_at`), advancing the cursor.

    Yields wanted records in file order, and, in their place, the kept head
    (bytes) of each wanted line too large to parse. Closes ``fh`` when done.
    """
    scan = Scan(cursor.offset)
    try:
        with fh:
            for line in iter_lines(fh, scan, WANTED_HINTS if keep is None else keep, max_line):
                if line.data is None:
                    stats.oversized_lines += 1
                    yield line.oversized_head or b""
                    continue
                record = parse_line(line.data, stats)
                if record is None:
                    continue
                rtype = record.get("type")
                if only_types is not None and isinstance(rtype, str) and rtype not in only_types:
                    count_skipped(rtype, stats)
                    continue
                yield record
    finally:
        finish_scan(scan, cursor, stats)


def finish_scan(scan: Scan, cursor: Cursor, stats: ParseStats) -> int:
    """Fold a scan's progress into the cursor and stats; returns the bytes consumed."""
    consumed = scan.end - cursor.offset
    cursor.offset = scan.end
    stats.lines += scan.lines
    stats.bytes_read += consumed
    for hint, count in scan.skipped.items():
        if hint is not None and hint not in KNOWN_SKIPPED_TYPES and hint not in WANTED_TYPES:
            stats.unknown_record_types[hint] = stats.unknown_record_types.get(hint, 0) + count
    return consumed


def iter_records(path: StrPath, stats: ParseStats | None = None) -> Iterator[dict[str, Any]]:
    """Every well-formed JSON object line of one transcript, in order.

    Bad lines are counted in ``stats`` (when given) and skipped; a half-written
    last line is not returned. Never raises on content (a missing file yields nothing).
    """
    stats = stats if stats is not None else ParseStats()
    fh = open_regular(path)
    if fh is None:
        return
    scan = Scan(0)
    with fh:
        for line in iter_lines(fh, scan, EVERY_LINE):
            stats.lines += 1
            stats.bytes_read = line.end
            if line.data is None:
                stats.oversized_lines += 1
                continue
            record = parse_line(line.data, stats)
            if record is not None:
                yield record
