"""The dashboard's first index build, newest sessions first, in a child process.

``python -m cc_guard.tui.coldload CLAUDE_DIR STATE_DIR`` reads every transcript
into the index in batches (the newest few first, so the dashboard can show them
at once) and prints one JSON line per batch: ``{"read": N, "total": M,
"sessions": [...]}`` (the batch's brief models, :func:`brief_from_json` turns them
back into models), so the dashboard never touches the index while the child writes it. A child process rather than a thread: it can fork the engine's
parallel readers (a threaded process must not fork) and it keeps the parsing off
the dashboard's interpreter lock. No Textual here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from cc_guard.transcripts.engine import Engine, discover
from cc_guard.transcripts.index import INDEX_NAME
from cc_guard.transcripts.model import SessionModel, SessionState, TokenTotals

#: Batch sizes: the first screenful quickly, then the rest in big parallel reads.
BATCHES = (20, 100)
#: Other batch sizes, comma-separated (tests use tiny ones on tiny worlds).
BATCHES_ENV = "CC_GUARD_COLD_BATCHES"


def _sizes() -> tuple[int, ...]:
    raw = os.environ.get(BATCHES_ENV, "")
    try:
        sizes = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        return BATCHES
    return sizes if sizes and all(size > 0 for size in sizes) else BATCHES


def batches(paths: list[str]) -> list[list[str]]:
    """``paths`` (newest first) cut into the batches the child reads in turn."""
    out: list[list[str]] = []
    start = 0
    for size in _sizes():
        if start >= len(paths):
            break
        out.append(paths[start : start + size])
        start += size
    if start < len(paths):
        out.append(paths[start:])
    return out


def newest_first(claude_dir: str) -> list[str]:
    """Every main transcript under ``claude_dir``, most recently changed first."""
    found = discover(os.path.normpath(os.path.join(claude_dir, "projects")))
    found.sort(key=lambda item: item.stat.st_mtime, reverse=True)
    return [item.path for item in found]


#: The brief model's fields that travel from the child (lists stay empty in a brief model).
_SCALARS = (
    "session_id",
    "transcript_path",
    "project_dir",
    "git_branch",
    "model",
    "version",
    "first_activity",
    "last_activity",
    "state_reason",
    "context_tokens",
    "context_window",
    "context_percent",
    "context_source",
    "turns",
    "title",
    "api_calls",
    "incident_count",
    "claude_pid",
)


def brief_to_json(session: SessionModel) -> dict[str, object]:
    data: dict[str, object] = {name: getattr(session, name) for name in _SCALARS}
    data["state"] = session.state.value
    data["tokens"] = dict(session.tokens.__dict__)
    data["subagents"] = list(session.subagents)
    return data


def brief_from_json(data: dict[str, Any]) -> SessionModel:
    """A brief model back from :func:`brief_to_json`."""
    model = SessionModel(
        session_id=str(data["session_id"]), transcript_path=str(data["transcript_path"])
    )
    for name in _SCALARS[2:]:
        setattr(model, name, data.get(name))
    model.turns = int(data.get("turns") or 0)
    model.api_calls = int(data.get("api_calls") or 0)
    model.incident_count = int(data.get("incident_count") or 0)
    model.state = SessionState(data["state"])
    model.tokens = TokenTotals(**data.get("tokens", {}))
    model.subagents = [str(p) for p in data.get("subagents", [])]
    return model


def needed(state_dir: str | os.PathLike[str]) -> bool:
    """Whether the index is missing (a first run: the dashboard builds it this way)."""
    return not os.path.exists(os.path.join(state_dir, "index", INDEX_NAME))


def start(
    claude_dir: str | os.PathLike[str], state_dir: str | os.PathLike[str]
) -> subprocess.Popen[str]:
    """The child, started now; its stdout carries one JSON line per batch."""
    argv = [
        sys.executable,
        "-m",
        "cc_guard.tui.coldload",
        os.fspath(claude_dir),
        os.fspath(state_dir),
    ]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m cc_guard.tui.coldload CLAUDE_DIR STATE_DIR", file=sys.stderr)
        return 2
    claude_dir, state_dir = argv
    paths = newest_first(claude_dir)
    read = 0
    for batch in batches(paths):
        # A fresh engine per batch: ``only`` refreshes exactly these sessions.
        found = Engine(claude_dir, state_dir).refresh(brief=True, only=batch)
        read += len(batch)
        rows = [brief_to_json(s) for s in found]
        line = json.dumps({"read": read, "total": len(paths), "sessions": rows})
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
