"""A redacted digest of a transcript: what the API summarizer reads besides the facts.

One line-ish entry per thing that happened on the main chain, in order: the
user's prompts, the assistant's text, each tool call (one line) and its result
(head and tail), and summaries of earlier compactions. Thinking blocks, system
records, synthetic API-error messages and subagent transcripts are left out.
Every text is redacted before it is cut, so a cut never leaves half a secret.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cc_guard.base.redact import redact
from cc_guard.handoff.assemble import describe_call
from cc_guard.handoff.extract import ToolUse, _is_noise_prompt

#: Characters kept per entry kind (head and tail for long tool results).
LIMITS = {
    "user": 3000,
    "assistant": 3000,
    "tool": 300,
    "result": 800,
    "error": 1200,
    "summary": 6000,
}


@dataclass(frozen=True)
class Entry:
    role: str  # user | assistant | tool | result | error | summary
    text: str

    def render(self) -> str:
        return f"[{self.role}] {self.text}"


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            block["text"] if isinstance(block, dict) else block
            for block in content
            if (isinstance(block, dict) and isinstance(block.get("text"), str))
            or isinstance(block, str)
        )
    return ""


def clip(text: str, limit: int) -> str:
    """Redact, then keep the head and tail of ``text`` within ``limit`` characters."""
    text = redact(text).strip()
    if len(text) <= limit:
        return text
    head = max(0, limit * 2 // 3 - 10)
    tail = max(0, limit - head - 20)
    return f"{text[:head].rstrip()} …[{len(text) - head - tail} chars]… {text[-tail:].lstrip()}"


def build(records: Iterable[dict[str, Any]]) -> list[Entry]:
    """The digest of one transcript's records (main chain only)."""
    entries: list[Entry] = []
    for rec in records:
        if rec.get("isSidechain"):
            continue
        raw_message = rec.get("message")
        message: dict[str, Any] = raw_message if isinstance(raw_message, dict) else {}
        content = message.get("content")
        rtype = rec.get("type")
        if rtype == "assistant":
            if rec.get("isApiErrorMessage") or message.get("model") == "<synthetic>":
                continue
            for block in content if isinstance(content, list) else []:
                if not isinstance(block, dict):
                    continue
                if block.get("type") == "text" and str(block.get("text") or "").strip():
                    entries.append(Entry("assistant", clip(block["text"], LIMITS["assistant"])))
                elif block.get("type") == "tool_use":
                    raw_input = block.get("input")
                    use = ToolUse(
                        str(block.get("id") or ""),
                        str(block.get("name") or "?"),
                        raw_input if isinstance(raw_input, dict) else {},
                        None,
                        False,
                        0,
                    )
                    entries.append(Entry("tool", clip(describe_call(use), LIMITS["tool"])))
        elif rtype == "user":
            if rec.get("isCompactSummary"):
                entries.append(Entry("summary", clip(_text_of(content), LIMITS["summary"])))
                continue
            results = (
                [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
                if isinstance(content, list)
                else []
            )
            for block in results:
                role = "error" if block.get("is_error") else "result"
                text = _text_of(block.get("content"))
                if text.strip():
                    entries.append(Entry(role, clip(text, LIMITS[role])))
            if results or rec.get("isMeta") or rec.get("isVisibleInTranscriptOnly"):
                continue
            text = _text_of(content)
            if not _is_noise_prompt(text):
                entries.append(Entry("user", clip(text, LIMITS["user"])))
    return entries


def read(transcript: Path) -> list[Entry]:
    from cc_guard.transcripts.reader import iter_records

    return build(iter_records(transcript))
