"""Sessions and answers for the API summarizer's tests and benchmark (no tests here)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cc_guard.handoff.summarize import Requirements


def valid_summary(needs: Requirements, marker: str = "") -> str:
    """An answer that meets every requirement (what a good model writes)."""
    files = ", ".join(f"`{spellings[-1]}`" for spellings in needs.files)
    todos = "; ".join(needs.todos)
    return (
        f'## Goal\nThe user asked: "{needs.latest}"\n\n'
        "## Decisions made and why\nKept the public API by re-exporting.\n\n"
        f"## Current state\nTouched {files}. In progress: {todos}. {marker}\n\n"
        "## Open problems\nNone known.\n\n## Next step\nFinish the ledger module."
    )


def big_transcript(claude_dir: Path, turns: int = 40) -> Path:
    """A long session: many assistant turns, each with text and an edit of one of five files."""
    sid = f"55555555-aaaa-4bbb-8ccc-{turns:012d}"  # one session per length
    cwd = "/home/dev/big"
    folder = claude_dir / "projects" / "-home-dev-big"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sid}.jsonl"
    base = {"sessionId": sid, "cwd": cwd, "version": "2.1.328", "isSidechain": False}
    records: list[dict[str, Any]] = [
        {
            **base,
            "type": "user",
            "timestamp": "2026-03-01T10:00:00.000Z",
            "message": {
                "role": "user",
                "content": "Refactor the parser into five modules and keep every test green.",
            },
        },
    ]
    prose = " ".join(
        f"step{n} adjusts the tokenizer state machine and its error recovery" for n in range(25)
    )
    for i in range(turns):
        stamp = f"2026-03-01T10:{i // 60:02d}:{i % 60:02d}.500Z"
        records.append(
            {
                **base,
                "type": "assistant",
                "timestamp": stamp,
                "message": {
                    "id": f"msg_{i}",
                    "role": "assistant",
                    "model": "claude-sonnet-4-5",
                    "stop_reason": "tool_use",
                    "content": [
                        {"type": "text", "text": f"Turn {i}: {prose}"},
                        {
                            "type": "tool_use",
                            "id": f"toolu_{i}",
                            "name": "Edit",
                            "input": {
                                "file_path": f"{cwd}/src/mod{i % 5}.py",
                                "old_string": "a",
                                "new_string": "b",
                            },
                        },
                    ],
                },
            }
        )
        records.append(
            {
                **base,
                "type": "user",
                "timestamp": stamp,
                "message": {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": f"toolu_{i}",
                            "content": "The file was updated.",
                        }
                    ],
                },
            }
        )
    records.append(
        {
            **base,
            "type": "user",
            "timestamp": "2026-03-01T11:00:00.000Z",
            "message": {"role": "user", "content": "Now run the whole suite and fix what fails."},
        }
    )
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    os.utime(path, (1_600_000_000, 1_600_000_000))
    return path
