"""Build the handoff: a session's working state, from the session model and the records.

The handoff is plain data (:class:`Handoff`); ``render.py`` turns it into Markdown,
JSON and the short injectable form. Building is deterministic: the same transcript,
checkpoint and hook signals give the same handoff, byte for byte once rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cc_guard.base.claude import FILE_TOOLS
from cc_guard.base.redact import redact
from cc_guard.handoff import extract
from cc_guard.handoff.extract import Facts, ToolUse
from cc_guard.handoff.health import Health

if TYPE_CHECKING:
    from cc_guard.transcripts.model import SessionModel

SCHEMA = 1
_CONSTRAINT = re.compile(
    r"\b(?:don'?t|do not|never|must(?:n'?t)?|always|only|without|avoid|make sure|ensure|"
    r"shouldn'?t|should not|no need to|not allowed|keep (?:it|the|them|all)|stick to|instead of)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass
class Message:
    time: str | None
    text: str


@dataclass
class Action:
    time: str | None
    tool: str
    summary: str
    outcome: str  # ok | failed | interrupted | no result


@dataclass
class FileChange:
    path: str
    added: int
    removed: int
    tools: list[str]
    last_time: str | None
    subagent: bool = False


@dataclass
class Todo:
    id: str
    content: str
    status: str


@dataclass
class ErrorFix:
    time: str | None
    tool: str
    action: str
    error: str
    fix: str | None  # what later succeeded on the same target, if anything


@dataclass
class Command:
    time: str | None
    command: str
    kind: str  # test | build | lint | other
    outcome: str
    exit_code: int | None
    output_tail: str


@dataclass
class Checkpoint:
    sha: str
    time: str | None
    event: str | None


@dataclass
class Handoff:
    session_id: str
    transcript_path: str
    project: str | None
    git_branch: str | None
    model: str | None
    claude_code_version: str | None
    first_activity: str | None
    last_activity: str | None
    health: Health
    goal_first: str | None
    goal_latest: str | None
    user_messages: list[Message]
    last_assistant_text: str | None
    recent_actions: list[Action]
    partial_text: str | None
    pending_tool_calls: list[Action]
    files: list[FileChange]
    checkpoint: Checkpoint | None
    todos: list[Todo]
    todos_source: str | None
    errors: list[ErrorFix]
    commands: list[Command]
    constraints: list[str]
    next_step: str
    compactions: int
    subagents: int
    #: Said when a response was cut mid-stream and none of its text was kept.
    in_flight_note: str | None = None
    schema: int = SCHEMA
    extra: dict[str, Any] = field(default_factory=dict)


def trim(text: str, limit: int) -> str:
    """Redact, collapse runs of blank lines and cut at ``limit`` characters with a marker.

    Redacting first matters: a secret cut in half no longer matches its pattern
    (``sk-ant-ap…``, a key block without its END line, folded onto one line).
    """
    text = re.sub(r"\n{3,}", "\n\n", redact(text).strip())
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 14)].rstrip() + " …[truncated]"


def one_line(text: str, limit: int = 160) -> str:
    return trim(" ".join(redact(text).split()), limit)


def describe_call(use: ToolUse) -> str:
    """A one-line summary of a tool call: ``Edit app.py``, ``Bash: pytest -q``."""
    inp = use.input
    path = extract.file_path_of(use)
    if use.name == "Bash" and isinstance(inp.get("command"), str):
        return f"Bash: {one_line(inp['command'], 200)}"
    if path is not None:
        return f"{use.name} {path}"
    if use.name == "TaskUpdate":
        status = inp.get("status")
        return f"TaskUpdate #{inp.get('taskId', '?')}" + (
            f" -> {status}" if isinstance(status, str) else ""
        )
    for key in ("subject", "pattern", "url", "query", "description", "prompt"):
        if isinstance(inp.get(key), str):
            return f"{use.name}: {one_line(inp[key], 120)}"
    return use.name


def _target(use: ToolUse) -> str:
    if use.name == "Bash":
        words = str(use.input.get("command") or "").split()
        return "Bash:" + " ".join(words[:2])
    return f"{use.name}:{extract.file_path_of(use) or ''}"


def _errors(facts: Facts) -> list[ErrorFix]:
    """Failed tool calls, each with the first later success on the same target."""
    out: list[ErrorFix] = []
    tools = facts.tools
    for i, use in enumerate(tools):
        if not (use.has_result and use.is_error):
            continue
        text = use.result_text.strip()
        if text.startswith("The user doesn't want to proceed"):
            continue  # a refusal, not an error to fix
        target = _target(use)
        fix = None
        for later in tools[i + 1 :]:
            same = _target(later) == target or (
                use.name in FILE_TOOLS
                and later.name in FILE_TOOLS
                and extract.file_path_of(later) == extract.file_path_of(use)
            )
            if same and later.has_result and not later.is_error:
                fix = f"{describe_call(later)} succeeded" + (
                    f" ({later.result_time})" if later.result_time else ""
                )
                break
        out.append(
            ErrorFix(
                use.result_time or use.time, use.name, describe_call(use), one_line(text, 300), fix
            )
        )
    return out


def _commands(facts: Facts) -> list[Command]:
    out = []
    for use in facts.tools:
        if use.name != "Bash" or not isinstance(use.input.get("command"), str):
            continue
        command = use.input["command"]
        meta = use.result_meta or {}
        output = use.result_text
        if isinstance(meta.get("stdout"), str) or isinstance(meta.get("stderr"), str):
            output = "\n".join(
                s for s in (meta.get("stdout"), meta.get("stderr")) if isinstance(s, str) and s
            )
        # Redacted whole before the tail is taken: the last lines of a key block
        # without its BEGIN line would match no pattern.
        tail = "\n".join(redact(output).strip().splitlines()[-3:])
        out.append(
            Command(
                use.time,
                trim(command, 500),
                extract.command_kind(command),
                extract.outcome(use),
                extract.exit_code(use),
                trim(tail, 300),
            )
        )
    return out


def _constraints(prompts: list[Message]) -> list[str]:
    seen: set[str] = set()
    out = []
    for msg in prompts:
        for sentence in _SENTENCE.split(msg.text):
            sentence = sentence.strip(" -*\t")
            if 8 <= len(sentence) <= 400 and _CONSTRAINT.search(sentence):
                key = sentence.lower()
                if key not in seen:
                    seen.add(key)
                    out.append(one_line(sentence, 300))
    return out[-20:]


def _substantive(prompts: list[Message]) -> Message | None:
    for msg in prompts:
        if len(msg.text.split()) >= 3 and not msg.text.strip().startswith("/"):
            return msg
    return prompts[0] if prompts else None


def _next_step(
    health: Health,
    partial: str | None,
    pending: list[Action],
    todos: list[Todo],
    commands: list[Command],
    latest: str | None,
) -> str:
    if health.interrupted:
        if pending:
            return f"Check whether `{pending[-1].summary}` ran (it was cut off before its result), then redo it if not."
        if partial:
            return "The last response was cut off mid-stream: check the files it was about to change, then redo that step."
        in_progress = [t for t in todos if t.status == "in_progress"]
        if in_progress:
            return f"The session was interrupted ({health.kind}): resume the in-progress todo: {in_progress[0].content}"
        return f"The session was interrupted ({health.kind}): check the last request is done: {one_line(latest or '', 200)}"
    in_progress = [t for t in todos if t.status == "in_progress"]
    if in_progress:
        return f"Continue the in-progress todo: {in_progress[0].content}"
    failing = [c for c in commands if c.kind == "test"]
    if failing and failing[-1].outcome == "failed":
        return f"Make the failing tests pass: `{one_line(failing[-1].command, 120)}`"
    pending_todos = [t for t in todos if t.status == "pending"]
    if pending_todos:
        return f"Start the next pending todo: {pending_todos[0].content}"
    if latest:
        return f"Confirm the latest request is complete: {one_line(latest, 200)}"
    return "No request recorded yet."


def build(
    transcript_path: Path,
    facts: Facts,
    health: Health,
    model: SessionModel | None = None,
    checkpoint: Checkpoint | None = None,
    failure: dict[str, Any] | None = None,
) -> Handoff:
    """Assemble the handoff. ``failure`` is the StopFailure payload the hook kept, if any."""
    prompts = [Message(t, trim(text, 2000)) for t, text in facts.prompts]
    first = _substantive(prompts)
    latest = prompts[-1] if prompts else None
    main_tools = [u for u in facts.tools if not u.sidechain]
    recent = [Action(u.time, u.name, describe_call(u), extract.outcome(u)) for u in main_tools[-8:]]
    pending = [
        Action(u.time, u.name, describe_call(u), "no result")
        for u in main_tools
        if not u.has_result
    ]
    partial = facts.partial_text
    if failure is not None and health.interrupted:
        last = failure.get("last_assistant_message")
        if isinstance(last, str) and last.strip() and not last.strip().startswith("API Error"):
            partial = partial or last
    if partial is not None and not health.interrupted:
        partial = None
    files = [
        FileChange(s.path, s.added, s.removed, s.tools, s.last_time, s.subagent)
        for s in extract.file_stats(facts)
    ]
    todos = [Todo(t.id, t.content, t.status) for t in facts.todos]
    commands = _commands(facts)
    session_id = facts.session_id or (
        model.session_id if model is not None else transcript_path.stem
    )
    handoff = Handoff(
        session_id=session_id,
        transcript_path=str(transcript_path),
        project=facts.cwd or (model.project_dir if model else None),
        git_branch=facts.git_branch or (model.git_branch if model else None),
        model=facts.model or (model.model if model else None),
        claude_code_version=facts.version or (model.version if model else None),
        first_activity=facts.first_time,
        last_activity=facts.last_time,
        health=health,
        goal_first=first.text if first else None,
        goal_latest=latest.text if latest else None,
        user_messages=[Message(m.time, trim(m.text, 600)) for m in prompts],
        last_assistant_text=trim(facts.last_assistant_text, 1500)
        if facts.last_assistant_text
        else None,
        recent_actions=recent,
        partial_text=trim(partial, 1500) if partial else None,
        pending_tool_calls=pending,
        files=files,
        checkpoint=checkpoint,
        todos=todos,
        todos_source=facts.todos_source,
        errors=_errors(facts)[-15:],
        commands=commands[-25:],
        constraints=_constraints(prompts),
        next_step="",
        compactions=facts.compactions,
        subagents=len(model.subagents) if model is not None else 0,
    )
    if health.interrupted and facts.cut_in_turn and not handoff.partial_text:
        handoff.in_flight_note = (
            "The last response was cut off mid-stream before any of it was complete; "
            "Claude Code kept none of its text."
        )
    handoff.next_step = _next_step(
        health, handoff.partial_text, pending, todos, commands, handoff.goal_latest
    )
    return handoff
