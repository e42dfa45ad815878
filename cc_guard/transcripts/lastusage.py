"""The newest exact usage of a transcript, from its last bytes only (for the Stop hook).

(:mod:`.tail` reads the kind of the failure a transcript ends with, through the fold;
this reads one usage record without it, for a hook that runs at every turn's end.)

At the end of a turn the newest main-chain response sits in the last few records, so
reading the tail answers without folding the file. Standard library only: the Stop
hook's policy decision runs it.
"""

from __future__ import annotations

from cc_guard.base import fastjson
from cc_guard.base.fs import tail_lines

TYPE_CHECKING = False  # typing's costs the hook path; mypy reads the names below
if TYPE_CHECKING:
    from typing import Any

TAIL_BYTES = 256 * 1024
SYNTHETIC_MODEL = "<synthetic>"


class LastUsage:
    """The newest main-chain response with real usage: ``fill`` (input + cache), its
    ``output`` tokens, its ``model`` and ``time``; ``compacted`` when a compaction came
    after it (then ``fill`` is the compaction's post tokens and ``output`` 0)."""

    __slots__ = ("compacted", "fill", "model", "output", "text", "time")

    def __init__(
        self,
        fill: int,
        output: int,
        model: str | None,
        time: str | None,
        compacted: bool = False,
        text: str = "",
    ) -> None:
        self.fill = fill
        self.output = output
        self.model = model
        self.time = time
        self.compacted = compacted
        #: The text of that response's record (to match it with a hook's payload).
        self.text = text

    @property
    def total(self) -> int:
        return self.fill + self.output

    def __repr__(self) -> str:
        return (
            f"LastUsage(fill={self.fill}, output={self.output}, model={self.model!r}, "
            f"time={self.time!r}, compacted={self.compacted})"
        )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def last_usage(path: str, max_bytes: int = TAIL_BYTES) -> LastUsage | None:
    """The newest usage in the last ``max_bytes`` of the transcript (None: none there)."""
    lines = tail_lines(path, max_bytes)  # a FIFO or a device must not block the hook
    if lines is None:
        return None
    boundary: LastUsage | None = None
    for line in reversed(lines):
        if b'"compact_boundary"' not in line and b'"usage"' not in line:
            continue
        try:
            record = fastjson.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict) or record.get("isSidechain") is True:
            continue
        stamp = record.get("timestamp") if isinstance(record.get("timestamp"), str) else None
        if record.get("type") == "system" and record.get("subtype") == "compact_boundary":
            meta = record.get("compactMetadata")
            post = meta.get("postTokens") if isinstance(meta, dict) else None
            if boundary is None:
                if not isinstance(post, int):
                    return None
                # Newer than any response: the fill is its estimate; keep looking for the model.
                boundary = LastUsage(post, 0, None, stamp, compacted=True)
            continue
        message = record.get("message")
        if record.get("type") != "assistant" or not isinstance(message, dict):
            continue
        if record.get("isApiErrorMessage") is True:
            continue
        name = message.get("model")
        usage = message.get("usage")
        if name == SYNTHETIC_MODEL or not isinstance(usage, dict):
            continue
        fill = (
            _int(usage.get("input_tokens"))
            + _int(usage.get("cache_creation_input_tokens"))
            + _int(usage.get("cache_read_input_tokens"))
        )
        model = name if isinstance(name, str) else None
        if boundary is not None:
            boundary.model = model
            return boundary
        return LastUsage(fill, _int(usage.get("output_tokens")), model, stamp, text=_text(message))
    return boundary


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if not isinstance(content, list):
        return content if isinstance(content, str) else ""
    return "\n".join(
        b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)
    )


def holds(usage: LastUsage | None, answer: str) -> bool:
    """Whether ``usage`` is the response whose text is ``answer`` (a hook's
    ``last_assistant_message``): Claude Code may not have written it yet when the hook runs."""
    if usage is None:
        return False
    said, found = answer.strip(), usage.text.strip()
    if not said:
        return True
    # A compaction newer than every response means the answer is not written yet.
    return not usage.compacted and bool(found) and (found in said or said in found)
