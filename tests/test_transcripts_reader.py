"""The incremental JSONL reader: bad input never fatal, only new bytes read."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import pytest

from cc_guard.transcripts.fold import Fold
from cc_guard.transcripts.model import ParseStats
from cc_guard.transcripts.reader import (
    Cursor,
    iter_new,
    iter_records,
    open_at,
    record_type_hint,
)
from tests.support.transcripts import (
    assistant,
    attachment,
    blob,
    line,
    prompt,
    tool_result,
    tool_use,
    write,
)


def read(path: Path, cursor: Cursor, stats: ParseStats, **kw: object) -> tuple[list[object], bool]:
    opened = open_at(path, cursor)
    assert opened is not None
    fh, restarted = opened
    return list(iter_new(fh, cursor, stats, **kw)), restarted  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"type":"api-request-blob","x":1}', "api-request-blob"),
        (
            b'{"parentUuid":null,"isSidechain":false,"promptId":"p","type":"user","message":{}}',
            "user",
        ),
        (b'{"parentUuid": "a\\"b", "isSidechain": false, "type": "system"}', "system"),
        (
            b'{"parentUuid":null,"isSidechain":false,"attachment":{"type":"x"},"type":"attachment"}',
            "attachment",
        ),
        # ``message`` comes before ``type`` in assistant records: unknown without parsing.
        (
            b'{"parentUuid":null,"isSidechain":false,"message":{"type":"message"},"type":"assistant"}',
            None,
        ),
        # A type-looking text inside a string value is not a key.
        (b'{"note":"\\"type\\":\\"attachment\\"","message":{}}', None),
        (b"not json", None),
    ],
)
def test_type_hint_reads_only_real_top_level_keys(raw: bytes, expected: str | None) -> None:
    assert record_type_hint(raw) == expected


def test_bad_lines_are_counted_and_skipped_never_fatal(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.jsonl",
        prompt("first"),
        b"{not json at all\n",
        b'{"type":"user","message":{"content":"\xff\xfe bad utf8"}}\n',
        b"[1, 2, 3]\n",
        b"\n",
        b'{"type":"brand-new-record","payload":1}\n',
        b'{"parentUuid":null,"type":"another-new","x":{"deep":1}}\n',
        prompt("second", unknownField={"nested": True}),
    )
    stats = ParseStats()
    records, _ = read(path, Cursor(), stats)
    texts = [r["message"]["content"] for r in records if isinstance(r, dict)]
    assert texts == ["first", "second"]
    assert stats.malformed_lines == 2  # bad JSON and a non-object
    assert stats.non_utf8_lines == 1
    assert stats.unknown_record_types == {"brand-new-record": 1, "another-new": 1}
    assert stats.lines == 8


def test_known_bulky_records_are_skipped_without_parsing(tmp_path: Path) -> None:
    # The blob line is broken after its type: had it been parsed it would count as malformed.
    path = write(
        tmp_path / "t.jsonl",
        b'{"type":"api-request-blob","message":{"broken\n',
        attachment(),
        prompt("p"),
    )
    stats = ParseStats()
    records, _ = read(path, Cursor(), stats)
    assert len(records) == 1
    assert stats.malformed_lines == 0
    assert stats.unknown_record_types == {}


def test_half_written_last_line_waits_for_the_next_read(tmp_path: Path) -> None:
    full = line(prompt("complete later"))
    path = write(tmp_path / "t.jsonl", prompt("one"), full[:25])
    cursor, stats = Cursor(), ParseStats()
    records, _ = read(path, cursor, stats)
    assert len(records) == 1
    assert stats.malformed_lines == 0
    assert cursor.offset == len(line(prompt("one")))
    with open(path, "ab") as fh:
        fh.write(full[25:])
    records, restarted = read(path, cursor, stats)
    assert not restarted
    assert [r["message"]["content"] for r in records] == ["complete later"]  # type: ignore[index]
    assert stats.malformed_lines == 0


def test_append_in_pieces_including_mid_line_matches_one_shot_read(tmp_path: Path) -> None:
    data = b"".join(
        line(r)
        for r in [
            prompt("go"),
            assistant(
                [tool_use("t1", "Write", {"file_path": "/p/a.py", "content": "x"})], stop="tool_use"
            ),
            blob(5000),
            tool_result("t1"),
            assistant("done", msg_id="msg_2", request="req_2"),
        ]
    )
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"")
    cursor, fold = Cursor(), Fold()
    # Odd piece sizes so cuts land inside lines, inside multi-byte runs, and on newlines.
    pos = 0
    for size in [1, 7, 30, 333, 1, 2000, 5, 4096, 10_000]:
        with open(path, "ab") as fh:
            fh.write(data[pos : pos + size])
        pos += size
        for item in read(path, cursor, fold.stats)[0]:
            assert isinstance(item, dict)
            fold.add(item)
    assert pos >= len(data)
    one_shot = Fold()
    for item in read(path, Cursor(), one_shot.stats)[0]:
        assert isinstance(item, dict)
        one_shot.add(item)
    assert fold.to_json() | {"stats": None} == one_shot.to_json() | {"stats": None}
    assert fold.stats.bytes_read == len(data)
    assert fold.stats.malformed_lines == 0
    assert fold.last_assistant_text == "done"


def test_shrunk_file_is_reread_from_the_start(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", prompt("a"), prompt("b"), prompt("c"))
    cursor, stats = Cursor(), ParseStats()
    read(path, cursor, stats)
    write(path, prompt("z"))  # same inode, truncated and rewritten shorter
    records, restarted = read(path, cursor, stats)
    assert restarted
    assert [r["message"]["content"] for r in records] == ["z"]  # type: ignore[index]


def test_replaced_file_is_reread_from_the_start(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", prompt("old"))
    cursor, stats = Cursor(), ParseStats()
    read(path, cursor, stats)
    replacement = write(tmp_path / "new.jsonl", prompt("new-1"), prompt("new-2"), prompt("new-3"))
    os.replace(replacement, path)  # new inode, longer than before
    records, restarted = read(path, cursor, stats)
    assert restarted
    assert [r["message"]["content"] for r in records] == ["new-1", "new-2", "new-3"]  # type: ignore[index]


def test_rewritten_in_place_with_different_start_is_reread(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", prompt("aaaa"))
    cursor, stats = Cursor(), ParseStats()
    read(path, cursor, stats)
    with open(path, "r+b") as fh:  # same inode, grows, but the first bytes changed
        fh.write(line(prompt("bbbb")) + line(prompt("cccc")))
    records, restarted = read(path, cursor, stats)
    assert restarted
    assert [r["message"]["content"] for r in records] == ["bbbb", "cccc"]  # type: ignore[index]


def test_oversized_needed_line_is_skipped_but_closes_its_tool_call(tmp_path: Path) -> None:
    big = tool_result("toolu_big", text="z" * 300_000)
    path = write(
        tmp_path / "t.jsonl",
        assistant([tool_use("toolu_big", "Read", {"file_path": "/p/x"})], stop="tool_use"),
        big,
        prompt("after"),
    )
    fold = Fold()
    cursor = Cursor()
    for item in read(path, cursor, fold.stats, max_line=100_000)[0]:
        if isinstance(item, bytes):
            fold.add_oversized(item)
        else:
            fold.add(item)
    assert fold.stats.oversized_lines == 1
    assert fold.pending == {}
    assert [p.text for p in fold.prompts] == ["after"]


def test_giant_skipped_line_is_streamed_not_held(tmp_path: Path) -> None:
    giant = attachment(30 * 1024 * 1024)  # a 30 MB prompt snapshot
    path = write(tmp_path / "t.jsonl", giant, prompt("next"))
    stats = ParseStats()
    tracemalloc.start()
    try:
        records, _ = read(path, Cursor(), stats)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r["message"]["content"] for r in records] == ["next"]  # type: ignore[index]
    assert peak < 16 * 1024 * 1024  # read buffers only; the line alone is 30 MB


def test_iter_records_yields_every_object_line_and_skips_bad_ones(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", blob(10), b"garbage\n", prompt("p"), b'{"type":"x"')
    stats = ParseStats()
    records = list(iter_records(path, stats))
    assert [r["type"] for r in records] == ["api-request-blob", "user"]
    assert stats.malformed_lines == 1
    assert list(iter_records(tmp_path / "missing.jsonl")) == []


def test_cursor_round_trips_through_json() -> None:
    cursor = Cursor(offset=5, dev=1, ino=2, size=9, mtime_ns=3, fingerprint="ab", fingerprint_len=9)
    assert Cursor.from_json(json.loads(json.dumps(cursor.to_json()))) == cursor


def test_tiny_read_chunks_give_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cc_guard.transcripts import reader

    path = write(
        tmp_path / "t.jsonl",
        prompt("one"),
        attachment(500),
        assistant("x" * 3000),
        blob(200),
        b"{broken\n",
        prompt("two"),
        line(prompt("half"))[:40],
    )
    normal_stats = ParseStats()
    normal, _ = read(path, Cursor(), normal_stats)
    monkeypatch.setattr(reader, "_CHUNK", 7)
    monkeypatch.setattr(reader, "_HEAD_BYTES", 64)
    tiny_stats, cursor = ParseStats(), Cursor()
    tiny, _ = read(path, cursor, tiny_stats)
    assert tiny == normal
    assert len(tiny) == 3
    assert tiny_stats == normal_stats
    assert cursor.offset == path.stat().st_size - 40
