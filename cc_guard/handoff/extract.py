"""Facts the handoff needs that the session model does not keep, read from the records.

One pass over a transcript's records (and its subagents'): failed tool calls and what
fixed them, Bash commands and their outcome, +/- lines per file, the todo list in
both the old (``TodoWrite``) and new (``TaskCreate``/``TaskUpdate``) shape, the partial
text of a cut response, and what the last turn was doing when it stopped.

Parsing is defensive: any field may be missing or of another type; unknown record
types are skipped.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cc_guard.base.claude import FILE_TOOLS
from cc_guard.transcripts.classify import CUT_MARKER, STREAM_CUT_NOTICE, is_own_prompt

TASK_TOOLS = ("TaskCreate", "TaskUpdate")

_TEST_CMD = re.compile(
    r"(?:^|[\s;&|(])(?:pytest|py\.test|tox|nox|unittest|jest|vitest|mocha|rspec|phpunit|ctest"
    r"|go test|cargo test|npm (?:run )?test|yarn test|pnpm test|make (?:test|check)|bun test"
    r"|mvn test|gradle test|python[0-9.]* -m (?:pytest|unittest))\b"
)
_BUILD_CMD = re.compile(
    r"(?:^|[\s;&|(])(?:make|cmake|ninja|cargo build|go build|tsc|npm run build|yarn build"
    r"|pnpm build|mvn (?:package|compile|install)|gradle build|pip install|uv sync|poetry install"
    r"|python[0-9.]* -m build|docker build|webpack|vite build)\b"
)
_LINT_CMD = re.compile(
    r"(?:^|[\s;&|(])(?:ruff|mypy|flake8|pylint|eslint|black|prettier|tsc --noEmit|cargo clippy|golangci-lint)\b"
)
_EXIT_CODE = re.compile(r"^Exit code (\d+)", re.MULTILINE)
_TASK_ID = re.compile(r"Task #?(\w+)")


@dataclass
class ToolUse:
    id: str
    name: str
    input: dict[str, Any]
    time: str | None
    sidechain: bool
    index: int  # order of appearance
    result_time: str | None = None
    has_result: bool = False
    is_error: bool = False
    result_text: str = ""
    result_meta: dict[str, Any] | None = None  # the record's toolUseResult when a dict


@dataclass
class FileStat:
    path: str
    added: int = 0
    removed: int = 0
    tools: list[str] = field(default_factory=list)
    last_time: str | None = None
    subagent: bool = False


@dataclass
class Task:
    id: str
    content: str
    status: str
    active_form: str | None = None


@dataclass
class Facts:
    session_id: str | None = None
    cwd: str | None = None
    git_branch: str | None = None
    version: str | None = None
    model: str | None = None
    first_time: str | None = None
    last_time: str | None = None
    prompts: list[tuple[str | None, str]] = field(default_factory=list)  # (time, text)
    last_assistant_text: str | None = None
    last_assistant_time: str | None = None
    tools: list[ToolUse] = field(default_factory=list)
    todos: list[Task] = field(default_factory=list)
    todos_source: str | None = None  # TodoWrite | tasks
    todos_time: str | None = None
    api_errors: list[dict[str, Any]] = field(default_factory=list)  # system/api_error records
    final_error: dict[str, Any] | None = None  # last synthetic API-error assistant record
    partial_text: str | None = None  # text of an assistant message cut before its stop
    last_stop_reason: str | None = None
    last_main_kind: str | None = None  # what the last main-chain record was (see _kind)
    compactions: int = 0
    user_interrupted: bool = False
    cut_in_turn: bool = False  # Claude Code reported a cut stream in the current turn


def _clip_at_space(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``, never ending inside a word.

    Tool results are redacted where the handoff writes them (``assemble.trim``); a
    token cut in half here would no longer match its pattern there, so the cut goes
    back to the last whitespace (a key block keeps its BEGIN line, which is enough).
    """
    if len(text) <= limit:
        return text
    if not text[limit].isspace():
        limit = max(text.rfind(" ", 0, limit), text.rfind("\n", 0, limit), 0)
    return text[:limit]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text_of(content: Any) -> str:
    """The text of a message content (a string or a list of blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if (
                isinstance(block, dict)
                and block.get("type") == "text"
                and isinstance(block.get("text"), str)
            ):
                parts.append(block["text"])
            elif isinstance(block, str):
                parts.append(block)
        return "\n".join(parts)
    return ""


#: Of a long tool result, this much of its head and of its tail is kept (errors show the
#: head, commands the tail).
RESULT_KEEP = 4000


def _result_text(tool: str, is_error: bool, content: Any) -> str:
    """What the handoff keeps of a tool result: redacted *before* anything is cut.

    Only failed calls and shell commands are shown; the others keep a short head for
    the ids their results carry (TaskCreate) and are never shown.
    """
    text = _text_of(content)
    if not (is_error or tool == "Bash"):
        return _clip_at_space(text, RESULT_KEEP)
    from cc_guard.base.redact import redact

    text = redact(text)
    if len(text) <= 2 * RESULT_KEEP:
        return text
    return f"{text[:RESULT_KEEP]}\n…\n{text[-RESULT_KEEP:]}"


def _is_noise_prompt(text: str) -> bool:
    stripped = text.strip()
    if not stripped:
        return True
    # Slash-command echoes, local command output and injected reminders are not requests.
    return stripped.startswith(
        (
            "<command-name>",
            "<command-message>",
            "<local-command-",
            "<system-reminder>",
            "Caveat:",
            "<task-notification>",
            "<bash-input>",
            "<bash-stdout>",
            "<bash-stderr>",
            "<user-memory-input>",
        )
    )


def scan(
    records: Iterable[dict[str, Any]], facts: Facts | None = None, sidechain_file: bool = False
) -> Facts:
    """Fold ``records`` into ``facts`` (a new one unless given)."""
    facts = facts or Facts()
    by_id: dict[str, ToolUse] = {t.id: t for t in facts.tools}
    stop_by_msg: dict[str, str | None] = {}
    text_by_msg: dict[str, list[str]] = {}
    last_msg_id: str | None = None
    cut_text: str | None = None
    tasks: dict[str, Task] = {t.id: t for t in facts.todos} if facts.todos_source == "tasks" else {}
    for rec in records:
        rtype = rec.get("type")
        t = rec.get("timestamp") if isinstance(rec.get("timestamp"), str) else None
        side = sidechain_file or bool(rec.get("isSidechain"))
        if not sidechain_file:
            if isinstance(rec.get("sessionId"), str) and facts.session_id is None:
                facts.session_id = rec["sessionId"]
            for key, attr in (("cwd", "cwd"), ("gitBranch", "git_branch"), ("version", "version")):
                value = rec.get(key)
                if isinstance(value, str) and value:
                    setattr(facts, attr, value)
            if t is not None and rtype in ("user", "assistant", "system"):
                if facts.first_time is None:
                    facts.first_time = t
                facts.last_time = t
        msg = _dict(rec.get("message"))
        content = msg.get("content")
        if rtype == "assistant":
            if rec.get("isApiErrorMessage") or msg.get("model") == "<synthetic>":
                if not side:
                    facts.final_error = {
                        "time": t,
                        "status": rec.get("apiErrorStatus"),
                        "type": rec.get("apiErrorType"),
                        "error": rec.get("error"),
                        "text": _text_of(content),
                    }
                    facts.last_main_kind = "api_error"
                continue
            mid = msg.get("id") if isinstance(msg.get("id"), str) else None
            if not side and isinstance(msg.get("model"), str):
                facts.model = msg["model"]
            stop = msg.get("stop_reason") if isinstance(msg.get("stop_reason"), str) else None
            if mid is not None and (stop or mid not in stop_by_msg):
                stop_by_msg[mid] = stop or stop_by_msg.get(mid)
            has_tool = False
            if isinstance(content, list):
                for block in content:
                    if not isinstance(block, dict):
                        continue
                    if (
                        block.get("type") == "text"
                        and isinstance(block.get("text"), str)
                        and not side
                    ):
                        if block["text"].strip():
                            facts.last_assistant_text = block["text"]
                            facts.last_assistant_time = t
                            if mid is not None:
                                text_by_msg.setdefault(mid, []).append(block["text"])
                    elif block.get("type") == "tool_use" and isinstance(block.get("id"), str):
                        has_tool = True
                        inp = _dict(block.get("input"))
                        use = ToolUse(
                            block["id"],
                            str(block.get("name") or "?"),
                            inp,
                            t,
                            side,
                            len(facts.tools),
                        )
                        if use.id not in by_id:
                            facts.tools.append(use)
                            by_id[use.id] = use
                        _fold_todos(facts, tasks, use)
            if not side:
                last_msg_id = mid
                facts.last_stop_reason = stop_by_msg.get(mid) if mid else stop
                facts.last_main_kind = "assistant_tool" if has_tool else "assistant"
        elif rtype == "user":
            tool_results = (
                [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
                if isinstance(content, list)
                else []
            )
            meta = rec.get("toolUseResult")
            for block in tool_results:
                found = by_id.get(str(block.get("tool_use_id")))
                if found is None:
                    continue
                use = found
                use.has_result = True
                use.result_time = t
                use.is_error = bool(block.get("is_error"))
                use.result_text = _result_text(use.name, use.is_error, block.get("content"))
                if isinstance(meta, dict):
                    use.result_meta = meta
                if use.name == "TaskCreate" and not use.is_error:
                    _task_created(facts, tasks, use)
            if tool_results:
                if not side:
                    facts.last_main_kind = "tool_result"
                continue
            text = _text_of(content)
            if not side and rec.get("isMeta") and text.startswith(CUT_MARKER):
                # Claude Code 2.1.3x keeps the blocks that completed before a stream was
                # cut, then asks the model to resume from them: that text is in flight.
                if last_msg_id is not None and last_msg_id in text_by_msg:
                    cut_text = "\n".join(text_by_msg[last_msg_id])
                facts.cut_in_turn = True
                continue
            if (
                side
                or rec.get("isMeta")
                or rec.get("isCompactSummary")
                or rec.get("isVisibleInTranscriptOnly")
            ):
                continue
            if text.strip().startswith("[Request interrupted by user"):
                facts.user_interrupted = True
                facts.last_main_kind = "user_interrupt"
                continue
            if _is_noise_prompt(text):
                continue
            if not is_own_prompt(text):  # cc-guard's own prompt starts a turn, asks nothing
                facts.prompts.append((t, text))
            facts.user_interrupted = False
            facts.cut_in_turn = False
            cut_text = None
            facts.last_main_kind = "prompt"
        elif rtype == "system":
            sub = rec.get("subtype")
            if sub == "api_error" and not side:
                facts.api_errors.append(rec)
                if "StreamTruncated" in json.dumps(rec.get("error")):
                    facts.cut_in_turn = True
            elif (
                sub == "informational"
                and not side
                and str(rec.get("content") or "").startswith(STREAM_CUT_NOTICE)
            ):
                facts.cut_in_turn = True  # cut before any block completed: nothing of it kept
            elif sub == "compact_boundary" and not side:
                facts.compactions += 1
                facts.last_main_kind = "compaction"
    # A message that never got its stop reason and was followed by an error was cut.
    if (
        last_msg_id is not None
        and stop_by_msg.get(last_msg_id) is None
        and last_msg_id in text_by_msg
    ):
        facts.partial_text = "\n".join(text_by_msg[last_msg_id])
    elif cut_text is not None and facts.last_main_kind in ("api_error", "assistant"):
        facts.partial_text = cut_text
    elif (
        last_msg_id is not None
        and stop_by_msg.get(last_msg_id) == "max_tokens"
        and last_msg_id in text_by_msg
    ):
        facts.partial_text = "\n".join(text_by_msg[last_msg_id])  # cut by the output limit
    if tasks and facts.todos_source == "tasks":
        facts.todos = sorted(tasks.values(), key=_task_order)
    return facts


def _task_order(task: Task) -> tuple[int, str]:
    return (int(task.id), "") if task.id.isdigit() else (1 << 30, task.id)


def _fold_todos(facts: Facts, tasks: dict[str, Task], use: ToolUse) -> None:
    inp = use.input
    if use.name == "TodoWrite" and isinstance(inp.get("todos"), list):
        facts.todos = [
            Task(
                str(i + 1),
                str(item.get("content") or ""),
                str(item.get("status") or "pending"),
                item.get("activeForm") if isinstance(item.get("activeForm"), str) else None,
            )
            for i, item in enumerate(inp["todos"])
            if isinstance(item, dict)
        ]
        facts.todos_source = "TodoWrite"
        facts.todos_time = use.time
        tasks.clear()
    elif use.name == "TaskUpdate":
        task_id = str(inp.get("taskId") or inp.get("id") or "")
        if not task_id:
            return
        task = tasks.get(task_id)
        if task is None:
            task = tasks[task_id] = Task(
                task_id, str(inp.get("subject") or f"task {task_id}"), "pending"
            )
        status = inp.get("status")
        if status == "deleted":
            tasks.pop(task_id, None)
        elif isinstance(status, str):
            task.status = status
        if isinstance(inp.get("subject"), str):
            task.content = inp["subject"]
        if isinstance(inp.get("activeForm"), str):
            task.active_form = inp["activeForm"]
        _tasks_touched(facts, use)


def _task_created(facts: Facts, tasks: dict[str, Task], use: ToolUse) -> None:
    meta = use.result_meta or {}
    task_meta = _dict(meta.get("task"))
    task_id = task_meta.get("id")
    if task_id is None:
        found = _TASK_ID.search(use.result_text)
        task_id = found.group(1) if found else str(len(tasks) + 1)
    subject = (
        use.input.get("subject") or task_meta.get("subject") or use.input.get("description") or ""
    )
    active = use.input.get("activeForm")
    tasks[str(task_id)] = Task(
        str(task_id), str(subject), "pending", active if isinstance(active, str) else None
    )
    _tasks_touched(facts, use)


def _tasks_touched(facts: Facts, use: ToolUse) -> None:
    if facts.todos_source != "tasks":
        facts.todos = []
    facts.todos_source = "tasks"
    facts.todos_time = use.time


def file_path_of(use: ToolUse) -> str | None:
    for key in ("file_path", "notebook_path", "path"):
        value = use.input.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _count_lines(text: str) -> int:
    return 0 if not text else text.count("\n") + (0 if text.endswith("\n") else 1)


def line_delta(use: ToolUse) -> tuple[int, int]:
    """(+, -) lines of one successful file tool call: the recorded patch when present."""
    meta = use.result_meta or {}
    patch = meta.get("structuredPatch")
    if isinstance(patch, list) and patch:
        added = removed = 0
        for hunk in patch:
            lines = hunk.get("lines") if isinstance(hunk, dict) else None
            for line in lines if isinstance(lines, list) else ():
                if isinstance(line, str) and line.startswith("+"):
                    added += 1
                elif isinstance(line, str) and line.startswith("-"):
                    removed += 1
        return added, removed
    inp = use.input
    if use.name == "Write":
        original = meta.get("originalFile")
        new = str(inp.get("content") or "")
        if isinstance(original, str) and original:
            return _diff_count(original, new)
        return _count_lines(new), 0
    if use.name == "Edit":
        return _diff_count(str(inp.get("old_string") or ""), str(inp.get("new_string") or ""))
    if use.name == "MultiEdit" and isinstance(inp.get("edits"), list):
        added = removed = 0
        for edit in inp["edits"]:
            if isinstance(edit, dict):
                a, r = _diff_count(
                    str(edit.get("old_string") or ""), str(edit.get("new_string") or "")
                )
                added += a
                removed += r
        return added, removed
    if use.name == "NotebookEdit":
        return _count_lines(str(inp.get("new_source") or "")), 0
    return 0, 0


def _diff_count(old: str, new: str) -> tuple[int, int]:
    added = removed = 0
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith("+ "):
            added += 1
        elif line.startswith("- "):
            removed += 1
    return added, removed


def file_stats(facts: Facts) -> list[FileStat]:
    """Files the session wrote or edited, in order of first touch, with +/- lines."""
    stats: dict[str, FileStat] = {}
    for use in facts.tools:
        if use.name == "Bash":
            _bash_stats(use, facts, stats)
            continue
        if use.name not in FILE_TOOLS:
            continue
        path = file_path_of(use)
        if path is None:
            continue
        stat = stats.setdefault(path, FileStat(path, subagent=use.sidechain))
        stat.subagent = stat.subagent and use.sidechain
        if use.has_result and use.is_error:
            continue  # the change did not happen
        added, removed = line_delta(use)
        stat.added += added
        stat.removed += removed
        if use.name not in stat.tools:
            stat.tools.append(use.name)
        stat.last_time = use.time
    return [s for s in stats.values() if s.tools]


def _bash_stats(use: ToolUse, facts: Facts, stats: dict[str, FileStat]) -> None:
    """Files a Bash command names as written, moved or removed (best effort; no +/-)."""
    from cc_guard.transcripts.classify import bash_touched

    command = use.input.get("command")
    if not isinstance(command, str) or (use.has_result and use.is_error):
        return
    for path in bash_touched(command, facts.cwd):
        stat = stats.setdefault(path, FileStat(path, subagent=use.sidechain))
        stat.subagent = stat.subagent and use.sidechain
        if "Bash" not in stat.tools:
            stat.tools.append("Bash")
        stat.last_time = use.time


def command_kind(command: str) -> str:
    if _TEST_CMD.search(command):
        return "test"
    if _LINT_CMD.search(command):
        return "lint"
    if _BUILD_CMD.search(command):
        return "build"
    return "other"


def exit_code(use: ToolUse) -> int | None:
    found = _EXIT_CODE.search(use.result_text)
    if found:
        return int(found.group(1))
    if use.has_result and not use.is_error:
        return 0
    return None


def outcome(use: ToolUse) -> str:
    """ok | failed | interrupted | no result."""
    if not use.has_result:
        return "no result"
    meta = use.result_meta or {}
    if meta.get("interrupted") is True:
        return "interrupted"
    return "failed" if use.is_error else "ok"
