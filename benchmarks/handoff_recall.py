"""Recall of the offline handoff: ground-truth facts straight from the records vs the handoff.

For every transcript under tests/fixtures/transcripts/ (recorded 2.1.328 sessions and the
hand-made ones), facts are derived here from the raw JSON lines, independently of
cc_guard.handoff.extract:

- files: every Write/Edit/MultiEdit/NotebookEdit path whose result is not an error;
- todos: the open items (not completed) of the newest TodoWrite list, or of the task
  tools (TaskCreate minus tasks updated to completed/deleted);
- last request: the newest user prompt (string content, not meta, not a tool result,
  not a slash-command echo or notification);
- last error: the newest failed tool call's first output line, or the final synthetic
  API error (checked as: the handoff says interrupted, with the status's kind).

A fact counts as present when its text (redacted, as everything written is) appears in
the offline Markdown handoff (the API error: in the JSON health). Targets: 100% files and todos, >= 98% overall.

    /work/venv/bin/python benchmarks/handoff_recall.py [--json] [PATH ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "transcripts"
FILE_TOOLS = {"Write", "Edit", "MultiEdit", "NotebookEdit"}
NOISE = (
    "<command-",
    "<local-command-",
    "<system-reminder>",
    "<task-notification>",
    "Caveat:",
    "[Request interrupted",
)
STATUS_KIND = {
    529: "overloaded",
    429: "rate_limit",
    401: "auth",
    403: "auth",
    400: "invalid_request",
    413: "invalid_request",
}


def records(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def blocks(rec: dict[str, Any]) -> list[dict[str, Any]]:
    content = (rec.get("message") or {}).get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def ground_truth(path: Path) -> dict[str, Any]:
    recs = records(path)
    subdir = path.with_suffix("") / "subagents"
    side = (
        [r for p in sorted(subdir.glob("*.jsonl")) for r in records(p)] if subdir.is_dir() else []
    )
    uses: dict[str, dict[str, Any]] = {}
    errors: dict[str, bool] = {}
    for rec in recs + side:
        for b in blocks(rec):
            if b.get("type") == "tool_use":
                uses[b["id"]] = b
            elif b.get("type") == "tool_result":
                errors[b.get("tool_use_id")] = bool(b.get("is_error"))
    files = sorted(
        {
            u["input"].get("file_path") or u["input"].get("notebook_path")
            for i, u in uses.items()
            if u.get("name") in FILE_TOOLS and errors.get(i) is False
        }
    )
    todos: list[str] = []
    tasks: dict[str, tuple[str, str]] = {}
    mode = None
    for rec in recs:
        for b in blocks(rec):
            if b.get("type") != "tool_use":
                continue
            inp = b.get("input") or {}
            if b.get("name") == "TodoWrite":
                mode, todos = (
                    "todo",
                    [t["content"] for t in inp.get("todos", []) if t.get("status") != "completed"],
                )
            elif b.get("name") == "TaskCreate":
                mode = "tasks"
                tasks[str(len(tasks) + 1)] = (inp.get("subject", ""), "pending")
            elif b.get("name") == "TaskUpdate" and str(inp.get("taskId")) in tasks:
                subject, status = tasks[str(inp["taskId"])]
                tasks[str(inp["taskId"])] = (inp.get("subject", subject), inp.get("status", status))
    if mode == "tasks":
        todos = [s for s, st in tasks.values() if st not in ("completed", "deleted")]
    last_request = None
    last_error: dict[str, Any] | None = None
    for rec in recs:
        if rec.get("type") == "user" and not rec.get("isMeta") and not rec.get("isCompactSummary"):
            content = (rec.get("message") or {}).get("content")
            text = (
                content
                if isinstance(content, str)
                else "\n".join(b.get("text", "") for b in blocks(rec) if b.get("type") == "text")
            )
            if (
                text.strip()
                and not text.strip().startswith(NOISE)
                and not any(b.get("type") == "tool_result" for b in blocks(rec))
            ):
                last_request = text
            for b in blocks(rec):
                if b.get("type") == "tool_result" and b.get("is_error"):
                    content = b.get("content")
                    raw = (
                        content
                        if isinstance(content, str)
                        else " ".join(
                            c.get("text", "") for c in content or [] if isinstance(c, dict)
                        )
                    )
                    last_error = {
                        "kind": "tool",
                        "text": raw.strip().splitlines()[0] if raw.strip() else "",
                    }
        elif rec.get("type") == "assistant" and rec.get("isApiErrorMessage"):
            last_error = {"kind": "api", "status": rec.get("apiErrorStatus")}
    return {"files": files, "todos": todos, "last_request": last_request, "last_error": last_error}


def squash(text: str) -> str:
    # Facts are compared in their redacted form: a handoff must never hold the secret itself.
    from cc_guard.base.redact import redact

    return " ".join(redact(text).split())


def score(path: Path, state: Path) -> list[tuple[str, str, bool]]:
    from cc_guard.handoff import render, store

    truth = ground_truth(path)
    handoff = store.make_handoff(path, state, with_checkpoint=False)
    md = squash(render.to_markdown(handoff))
    data = json.loads(render.to_json(handoff))
    out = [("files", f, f"`{f}`" in md) for f in truth["files"]]
    out += [("todos", t, squash(t) in md) for t in truth["todos"]]
    if truth["last_request"]:
        out.append(
            ("last_request", truth["last_request"][:60], squash(truth["last_request"])[:200] in md)
        )
    err = truth["last_error"]
    if err and err["kind"] == "tool":
        out.append(("last_error", err["text"][:60], squash(err["text"])[:80] in md))
    elif err:
        want = STATUS_KIND.get(err["status"]) if isinstance(err["status"], int) else None
        ok = data["health"]["interrupted"] and (want is None or data["health"]["kind"] == want)
        out.append(("last_error", f"API error {err['status']}", bool(ok)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    paths = args.paths or sorted(FIXTURES.glob("*.jsonl"))
    os.environ.setdefault("CC_GUARD_HOME", tempfile.mkdtemp(prefix="cc-guard-recall-"))
    state = Path(os.environ["CC_GUARD_HOME"])
    rows = []
    for path in paths:
        for category, fact, present in score(path, state):
            rows.append(
                {"transcript": path.name, "category": category, "fact": fact, "present": present}
            )
    summary: dict[str, Any] = {}
    for category in ("files", "todos", "last_request", "last_error"):
        hits = [r["present"] for r in rows if r["category"] == category]
        summary[category] = {"found": sum(hits), "total": len(hits)}
    total = [r["present"] for r in rows]
    summary["overall"] = {"found": sum(total), "total": len(total)}
    if args.json:
        print(
            json.dumps(
                {
                    "transcripts": len(paths),
                    "summary": summary,
                    "missing": [r for r in rows if not r["present"]],
                },
                indent=2,
            )
        )
    else:
        print(f"{len(paths)} transcripts")
        for name, s in summary.items():
            share = 100.0 * s["found"] / s["total"] if s["total"] else 100.0
            print(f"{name:13} {s['found']:3}/{s['total']:<3} {share:6.1f}%")
        for r in rows:
            if not r["present"]:
                print(f"missing: {r['transcript']} {r['category']}: {r['fact']!r}")
    files_ok = summary["files"]["found"] == summary["files"]["total"]
    todos_ok = summary["todos"]["found"] == summary["todos"]["total"]
    overall = summary["overall"]
    return 0 if files_ok and todos_ok and overall["found"] >= 0.98 * overall["total"] else 1


if __name__ == "__main__":
    sys.exit(main())
