"""Messages API payloads: one scripted entry as SSE events or as a JSON message.

The event sequence is the one the real API streams and Claude Code parses:
message_start, then per content block content_block_start / content_block_delta
(text_delta or input_json_delta) / content_block_stop, then message_delta
(stop_reason, usage) and message_stop.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from cc_guard.chaos.script import ERROR_TYPES, Entry

DEFAULT_TEXT = "OK (answered by cc-guard chaos)."
DEFAULT_MODEL = "claude-chaos"

ERROR_MESSAGES: dict[int, str] = {
    400: "Invalid request (injected by cc-guard chaos).",
    401: "invalid x-api-key (injected by cc-guard chaos)",
    403: "Permission denied (injected by cc-guard chaos).",
    404: "Not found (injected by cc-guard chaos).",
    413: "Request exceeds the maximum allowed number of bytes (injected by cc-guard chaos).",
    429: "Rate limited (injected by cc-guard chaos).",
    500: "Internal server error (injected by cc-guard chaos).",
    502: "Bad gateway (injected by cc-guard chaos).",
    503: "Service unavailable (injected by cc-guard chaos).",
    529: "Overloaded",
}

Event = tuple[str, dict[str, Any]]


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def estimate_tokens(text: str) -> int:
    """A rough count (4 characters a token): good enough for a fake upstream."""
    return max(1, len(text) // 4)


def prompt_tokens(request: dict[str, Any]) -> int:
    parts = [request.get(key) for key in ("system", "messages", "tools")]
    return estimate_tokens(json.dumps([p for p in parts if p is not None], ensure_ascii=False))


@dataclass(frozen=True)
class Answer:
    message_id: str
    model: str
    content: list[dict[str, Any]]
    stop_reason: str
    usage: dict[str, int]


def build_answer(
    entry: Entry | None, request: dict[str, Any], default_text: str = DEFAULT_TEXT
) -> Answer:
    """The complete message an entry stands for (also what a cut stream is cut from)."""
    content: list[dict[str, Any]] = []
    if entry is not None and entry.thinking is not None:
        # The signature is opaque to Claude Code, which only sends it back.
        content.append(
            {"type": "thinking", "thinking": entry.thinking, "signature": new_id("sig_chaos_")}
        )
    text = entry.text if entry is not None else default_text
    if entry is not None and text is None and not entry.tool_use:
        text = default_text  # a fault entry without text still has something to cut
    if text is not None:
        content.append({"type": "text", "text": text})
    tools = entry.tool_use if entry is not None else ()
    for call in tools:
        content.append(
            {
                "type": "tool_use",
                "id": call.id or new_id("toolu_"),
                "name": call.name,
                "input": call.input,
            }
        )
    stop_reason = (entry.stop_reason if entry is not None else None) or (
        "tool_use" if tools else "end_turn"
    )
    out_text = "".join(
        b.get("text") or b.get("thinking") or json.dumps(b.get("input", "")) for b in content
    )
    usage = {
        "input_tokens": prompt_tokens(request),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": estimate_tokens(out_text),
    }
    if entry is not None:
        usage.update(entry.usage)
    model = (entry.model if entry is not None else None) or str(
        request.get("model") or DEFAULT_MODEL
    )
    return Answer(new_id("msg_chaos_"), model, content, stop_reason, usage)


def message_json(answer: Answer) -> dict[str, Any]:
    return {
        "id": answer.message_id,
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": answer.content,
        "stop_reason": answer.stop_reason,
        "stop_sequence": None,
        "usage": answer.usage,
    }


def stream_events(answer: Answer) -> list[Event]:
    start_usage = dict(answer.usage, output_tokens=1)
    events: list[Event] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": dict(
                    message_json(answer), content=[], stop_reason=None, usage=start_usage
                ),
            },
        )
    ]
    for index, block in enumerate(answer.content):
        if block["type"] == "text":
            events.append(_block_start(index, {"type": "text", "text": ""}))
            for piece in split_text(block["text"]):
                events.append(_delta(index, {"type": "text_delta", "text": piece}))
        elif block["type"] == "thinking":
            events.append(
                _block_start(index, {"type": "thinking", "thinking": "", "signature": ""})
            )
            for piece in split_text(block["thinking"]):
                events.append(_delta(index, {"type": "thinking_delta", "thinking": piece}))
            events.append(
                _delta(index, {"type": "signature_delta", "signature": block["signature"]})
            )
        else:
            events.append(_block_start(index, dict(block, input={})))
            raw = json.dumps(block["input"], ensure_ascii=False)
            for piece in _chunks(raw, 40):
                events.append(_delta(index, {"type": "input_json_delta", "partial_json": piece}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": answer.stop_reason, "stop_sequence": None},
                "usage": answer.usage,
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def encode_event(event: Event) -> bytes:
    name, data = event
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def split_text(text: str) -> list[str]:
    """Text in small token-like pieces, so drips and cuts land between words."""
    words = re.findall(r"\s*\S+\s*|\s+", text)
    pieces = ["".join(words[i : i + 3]) for i in range(0, len(words), 3)]
    return pieces or [""]


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _block_start(index: int, block: dict[str, Any]) -> Event:
    return (
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": block},
    )


def _delta(index: int, delta: dict[str, Any]) -> Event:
    return ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})


def error_body(status: int, message: str | None, request_id: str) -> dict[str, Any]:
    """An error in the API's own shape, which the SDK and Claude Code classify by type."""
    return {
        "type": "error",
        "error": {
            "type": ERROR_TYPES.get(status, "api_error"),
            "message": message or ERROR_MESSAGES.get(status, "Error"),
        },
        "request_id": request_id,
    }


def count_tokens_body(request: dict[str, Any]) -> dict[str, Any]:
    return {"input_tokens": prompt_tokens(request)}


KNOWN_MODELS = ("claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5")


def models_body(seen: list[str]) -> dict[str, Any]:
    ids = list(dict.fromkeys([*seen, *KNOWN_MODELS]))
    data = [
        {"type": "model", "id": model, "display_name": model, "created_at": "2025-01-01T00:00:00Z"}
        for model in ids
    ]
    return {"data": data, "has_more": False, "first_id": ids[0], "last_id": ids[-1]}


def model_body(model: str) -> dict[str, Any]:
    return {
        "type": "model",
        "id": model,
        "display_name": model,
        "created_at": "2025-01-01T00:00:00Z",
    }
