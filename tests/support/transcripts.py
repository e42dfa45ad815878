"""Hand-made transcript records for the transcript engine's tests.

These are NOT recordings: they follow the record shapes Claude Code 2.1.328
writes (see /work/shared/REFERENCE.md and the recorded fixtures in
tests/fixtures/transcripts/*-2.1.328.jsonl), reduced to the fields that matter,
so each test can build exactly the situation it checks.
"""

from __future__ import annotations

import json
import os
from itertools import count
from pathlib import Path
from typing import Any

SID = "11111111-2222-4333-8444-555555555555"
CWD = "/home/dev/proj"
_ids = count(1)


def _base(kind: str, ts: str, side: bool = False, **extra: Any) -> dict[str, Any]:
    n = next(_ids)
    return {
        "parentUuid": None,
        "isSidechain": side,
        "type": kind,
        "uuid": f"uuid-{n:05d}",
        "timestamp": ts,
        "cwd": CWD,
        "sessionId": SID,
        "version": "2.1.328",
        "gitBranch": "main",
        **extra,
    }


def prompt(text: str, ts: str = "2026-01-01T10:00:00.000Z", **extra: Any) -> dict[str, Any]:
    return _base("user", ts, message={"role": "user", "content": text}, **extra)


def tool_result(
    tool_id: str, ts: str = "2026-01-01T10:00:02.000Z", text: str = "ok", **extra: Any
) -> dict[str, Any]:
    content = [{"tool_use_id": tool_id, "type": "tool_result", "content": text}]
    return _base("user", ts, message={"role": "user", "content": content}, **extra)


def usage(inp: int = 10, cc: int = 500, cr: int = 1000, out: int = 20) -> dict[str, int]:
    return {
        "input_tokens": inp,
        "cache_creation_input_tokens": cc,
        "cache_read_input_tokens": cr,
        "output_tokens": out,
    }


def assistant(
    blocks: list[dict[str, Any]] | str,
    ts: str = "2026-01-01T10:00:01.000Z",
    *,
    msg_id: str = "msg_1",
    request: str = "req_1",
    stop: str | None = "end_turn",
    use: dict[str, int] | None = None,
    model: str = "claude-opus-5-5",
    side: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    if isinstance(blocks, str):
        blocks = [{"type": "text", "text": blocks}]
    message = {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop,
        "usage": use if use is not None else usage(),
    }
    return _base("assistant", ts, side, message=message, requestId=request, **extra)


def tool_use(tool_id: str, name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}


def api_error(
    ts: str = "2026-01-01T10:00:01.000Z",
    status: int | None = 529,
    attempt: int = 1,
    code: str | None = None,
    text: str = "529 Overloaded",
) -> dict[str, Any]:
    error = {
        "message": text,
        "status": status,
        "formatted": text,
        "connection": {"code": code, "message": "x"} if code else None,
    }
    return _base(
        "system",
        ts,
        subtype="api_error",
        level="error",
        error=error,
        retryInMs=500,
        retryAttempt=attempt,
        maxRetries=10,
        source="request_retry",
    )


def synthetic_error(
    ts: str = "2026-01-01T10:00:05.000Z",
    status: int | None = 529,
    api_type: str | None = "overloaded_error",
    error: str = "server_error",
    text: str = "API Error: 529 Overloaded.",
) -> dict[str, Any]:
    record = assistant(
        text,
        ts,
        msg_id=f"synth-{next(_ids)}",
        request="",
        stop="stop_sequence",
        use=usage(0, 0, 0, 0),
        model="<synthetic>",
    )
    record.pop("requestId")
    record.update(isApiErrorMessage=True, error=error)
    if status is not None:
        record["apiErrorStatus"] = status
    if api_type is not None:
        record["apiErrorType"] = api_type
    return record


def compact_boundary(
    ts: str = "2026-01-01T11:00:00.000Z",
    pre: int = 150_000,
    trigger: str = "manual",
    post: int | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"trigger": trigger, "preTokens": pre}
    if post is not None:
        meta["postTokens"] = post
    return _base(
        "system",
        ts,
        subtype="compact_boundary",
        content="Conversation compacted",
        compactMetadata=meta,
    )


def compact_summary(ts: str = "2026-01-01T11:00:01.000Z") -> dict[str, Any]:
    text = "This session is being continued from a previous conversation that ran out of context. Summary: ..."
    return _base("user", ts, message={"role": "user", "content": text}, isCompactSummary=True)


def blob(size: int = 1000) -> dict[str, Any]:
    return {
        "type": "api-request-blob",
        "sessionId": SID,
        "hash": "h",
        "message": {"role": "user", "content": "x" * size},
    }


def attachment(size: int = 100) -> dict[str, Any]:
    return {
        "parentUuid": None,
        "isSidechain": False,
        "attachment": {"type": "prompt_snapshot", "systemPrompt": ["y" * size]},
        "type": "attachment",
        "uuid": "att",
        "timestamp": "2026-01-01T10:00:00.000Z",
    }


def line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, separators=(",", ":")) + "\n").encode()


def write(path: Path, *records: dict[str, Any] | bytes, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(r if isinstance(r, bytes) else line(r) for r in records))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def append(path: Path, *records: dict[str, Any] | bytes) -> None:
    with open(path, "ab") as fh:
        for r in records:
            fh.write(r if isinstance(r, bytes) else line(r))


def session_path(claude: Path, sid: str = SID, project: str = "-home-dev-proj") -> Path:
    return claude / "projects" / project / f"{sid}.jsonl"


#: Transcripts recorded from the real CLI (tests/fixtures/record_transcripts.py).
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "transcripts"
RECORDED = sorted(FIXTURES.glob("*-2.1.3*.jsonl"))
