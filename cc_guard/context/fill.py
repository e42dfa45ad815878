"""The context fill between exact usages: what was appended since, and how to count it.

Claude Code reports the exact fill only with each API response. Between them the
conversation grows by what is appended (tool results, the next prompt, attachments);
its size is estimated by counting that text with an offline tokenizer (``count``,
tiktoken's ``cl100k_base``), scaled by a **calibration** learned per session from
consecutive exact usages:

    growth ~ overhead x records appended + factor x counted text

(``growth``: the exact fill of response k+1 minus the fill and output of response k).
The overhead per record (a tool result's framing, its id, reminders) is the median of
what small gaps grew beyond their text; the factor, the median of what larger gaps grew
per counted token once that overhead is taken off.

Pure functions over transcript records (dicts as Claude Code writes them) and a
counting function; the caller reads the transcript and owns the tokenizer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cc_guard.context.pace import median

#: The factor before a session has taught one: Claude's tokenizers give somewhat
#: more tokens than cl100k for the same text.
DEFAULT_FACTOR = 1.1
#: Factors outside these bounds come from a sample that is not a plain append.
MIN_FACTOR = 0.5
MAX_FACTOR = 4.0
#: Gaps whose counted text is smaller than this say more about overheads than the factor.
MIN_SAMPLE_TOKENS = 50
#: Gaps this small measure the per-record overhead.
SMALL_GAP_TOKENS = 200
#: An overhead per record above this is not framing but something else appended.
MAX_OVERHEAD = 500.0
#: The newest gaps a calibration uses (sessions drift: cached tools, new attachments).
CALIBRATION_WINDOW = 20
SYNTHETIC_MODEL = "<synthetic>"
#: Attachment records that are bookkeeping, not text sent to the model (the system
#: prompt snapshot is part of every request's fixed part, counted in the exact usage).
NOT_SENT = frozenset({"prompt_snapshot"})

Count = Callable[[str], int]


@dataclass
class Gap:
    """What happened between two consecutive main-chain responses."""

    before: int  # fill + output of the first response (what the next request starts from)
    appended: int  # counted tokens of what was appended between them
    after: int  # the exact fill the second response reported
    time: str | None = None  # the second response's time
    records: int = 1  # records appended between them

    @property
    def growth(self) -> int:
        return self.after - self.before


@dataclass
class Calibration:
    """A session's count-to-tokens relation: ``overhead`` per appended record plus
    ``factor`` per counted token; ``samples``: gaps it rests on (0: the defaults)."""

    factor: float = DEFAULT_FACTOR
    overhead: float = 0.0
    samples: int = 0


@dataclass
class Since:
    """The newest exact usage and what was appended after it."""

    exact: int  # fill + output of the newest main-chain response (or a compaction's post tokens)
    exact_time: str | None
    appended: int  # counted tokens appended since
    records: int  # records appended since


def _usage_total(usage: dict[str, Any]) -> tuple[int, int]:
    def number(key: str) -> int:
        value = usage.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    fill = (
        number("input_tokens")
        + number("cache_creation_input_tokens")
        + number("cache_read_input_tokens")
    )
    return fill, number("output_tokens")


def appended_text(record: dict[str, Any]) -> str:
    """The text a main-chain record adds to the next request (empty if none)."""
    rtype = record.get("type")
    if rtype == "user":
        message = record.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        return _content_text(content)
    if rtype == "attachment":
        attachment = record.get("attachment")
        if not isinstance(attachment, dict) or attachment.get("type") in NOT_SENT:
            return ""
        return json.dumps(attachment, ensure_ascii=False)
    return ""


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts: list[str] = []
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif kind == "tool_result":
            parts.append(_content_text(block.get("content")))
        elif kind not in ("image", "document"):
            parts.append(json.dumps(block, ensure_ascii=False))
    return "\n".join(parts)


class _Walk:
    """Folds records into gaps; shared by :func:`gaps` and :func:`since`.

    Texts are counted only for the newest ``keep`` gaps (counting is the expensive
    part); older gaps keep ``appended = -1``.
    """

    def __init__(self, count: Count, keep: int | None = None) -> None:
        self.count = count
        self.keep = keep
        self.gaps: list[Gap] = []
        self.texts: list[list[str]] = []  # per gap, until counted
        self.last: int | None = None  # fill + output of the newest response
        self.last_time: str | None = None
        self.last_key: str | None = None
        self.pending_texts: list[str] = []
        self.pending_records = 0

    @property
    def pending(self) -> int:
        return sum(self.count(text) for text in self.pending_texts)

    def counted(self) -> list[Gap]:
        for gap, texts in zip(self.gaps, self.texts, strict=True):
            if gap.appended < 0 and texts:
                gap.appended = sum(self.count(text) for text in texts)
        return self.gaps

    def add(self, record: dict[str, Any]) -> None:
        if not isinstance(record, dict) or record.get("isSidechain") is True:
            return
        rtype = record.get("type")
        if rtype == "system" and record.get("subtype") == "compact_boundary":
            meta = record.get("compactMetadata")
            post = meta.get("postTokens") if isinstance(meta, dict) else None
            self.last = post if isinstance(post, int) and not isinstance(post, bool) else None
            self.last_time = (
                record.get("timestamp") if isinstance(record.get("timestamp"), str) else None
            )
            self.last_key = None
            self.pending_texts, self.pending_records = [], 0
            return
        if rtype == "assistant":
            self._assistant(record)
            return
        if record.get("isCompactSummary") is True:
            return  # counted in the compaction's postTokens
        text = appended_text(record)
        if text:
            self.pending_texts.append(text)
            self.pending_records += 1

    def _assistant(self, record: dict[str, Any]) -> None:
        message = record.get("message")
        if not isinstance(message, dict) or record.get("isApiErrorMessage") is True:
            return
        model = message.get("model")
        usage = message.get("usage")
        if model == SYNTHETIC_MODEL or not isinstance(usage, dict):
            return
        fill, output = _usage_total(usage)
        msg_id = message.get("id")
        key = f"{msg_id}:{record.get('requestId') or ''}" if msg_id else None
        stamp = record.get("timestamp") if isinstance(record.get("timestamp"), str) else None
        if key is not None and key == self.last_key and self.last is not None:
            # Another record of the same response: its output count may have grown.
            self.last = max(self.last, fill + output)
            return
        if self.last is not None and fill > 0:
            self.gaps.append(Gap(self.last, -1, fill, stamp, self.pending_records))
            self.texts.append(self.pending_texts)
            if self.keep is not None and len(self.texts) > self.keep:
                self.texts[-self.keep - 1] = []  # too old to be counted
        self.last = fill + output
        self.last_time = stamp
        self.last_key = key
        self.pending_texts, self.pending_records = [], 0


def gaps(records: Iterable[dict[str, Any]], count: Count) -> list[Gap]:
    """Every gap between consecutive main-chain responses (none across a compaction)."""
    walk = _Walk(count)
    for record in records:
        walk.add(record)
    return walk.counted()


def since(
    records: Iterable[dict[str, Any]], count: Count, keep: int = CALIBRATION_WINDOW
) -> tuple[Since | None, list[Gap]]:
    """The newest exact usage with what was appended after it, and the gaps before it
    (only the newest ``keep`` counted: a calibration uses no more). When nothing was
    appended since, nothing is counted at all (the gaps keep ``appended = -1``): the
    estimate is the exact usage then, and counting is what costs."""
    walk = _Walk(count, keep)
    for record in records:
        walk.add(record)
    if walk.last is None:
        return None, walk.gaps
    if not walk.pending_texts:
        return Since(walk.last, walk.last_time, 0, walk.pending_records), walk.gaps
    found = walk.counted()
    return Since(walk.last, walk.last_time, walk.pending, walk.pending_records), found


def calibrate(samples: Iterable[Gap]) -> Calibration:
    """The session's calibration from its newest gaps (see the module docstring)."""
    usable = [g for g in samples if g.appended >= 0 and g.records > 0 and g.growth > 0][
        -CALIBRATION_WINDOW:
    ]
    small = [(g.growth - g.appended) / g.records for g in usable if g.appended < SMALL_GAP_TOKENS]
    overhead = min(MAX_OVERHEAD, max(0.0, median(small))) if small else 0.0
    ratios = [
        (g.growth - overhead * g.records) / g.appended
        for g in usable
        if g.appended >= MIN_SAMPLE_TOKENS
    ]
    ratios = [r for r in ratios if MIN_FACTOR <= r <= MAX_FACTOR]
    if not ratios:
        return Calibration(DEFAULT_FACTOR, overhead, len(small))
    return Calibration(median(ratios), overhead, len(ratios))


def estimate(exact: int, appended: int, calibration: Calibration, records: int = 0) -> int:
    """The fill now: the newest exact usage plus what came after, calibrated."""
    return exact + round(calibration.factor * appended + calibration.overhead * records)


