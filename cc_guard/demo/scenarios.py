"""The demo's four sessions, as steps cut from transcripts recorded from the real CLI.

Each recorded transcript (``transcripts/*.jsonl``, Claude Code 2.1.328 against
``cc-guard chaos serve``) becomes a list of :class:`Step`: records to append, the
hook Claude Code fires at that point, and the file change a tool made. The
records are the recorded ones with the project path, the times and (for the
session that fills up) the usage figures adjusted; nothing else is invented.

- ``webapp``: writes ``notes.md``, edits ``app.py``, runs a command: checkpoints.
- ``api-server``: climbs towards a full 1M context, then is compacted.
- ``cli-tool``: hits a storm of 529 overloaded errors and is interrupted.
- ``docs-site``: its answer's stream is cut mid-response.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

RECORDED_CWD = "/work/demo"
_NAMESPACE = uuid.UUID("6f1c2a52-5d0e-4c55-9b43-2f4c1f0d8e11")


@dataclass(frozen=True)
class Step:
    """One moment of a replay: ``delay`` seconds after the previous one (at speed 1)."""

    delay: float
    records: tuple[dict[str, Any], ...] = ()
    hook: str | None = None  # the hook event Claude Code fires after these records
    payload: dict[str, Any] = field(default_factory=dict)
    before_hook: str | None = None  # fired before the records (UserPromptSubmit, PreCompact)
    before_payload: dict[str, Any] = field(default_factory=dict)
    edit: dict[str, Any] | None = None  # a Write/Edit tool input applied before the records


@dataclass(frozen=True)
class Scenario:
    name: str  # the project directory's name
    fixture: str  # the recorded transcript under transcripts/
    session_id: str
    start: float  # seconds after the demo starts
    age: float  # in a still world: seconds between the last record and "now"
    expected_state: str  # the state the session ends in
    story: str
    steps: tuple[Step, ...] = ()


def load_records(fixture: str) -> list[dict[str, Any]]:
    text = resources.files("cc_guard.demo").joinpath("transcripts", fixture).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _prompt_text(record: dict[str, Any]) -> str | None:
    """The typed prompt of a user record, None for tool results, meta and command records."""
    if record.get("type") != "user" or record.get("isMeta") or record.get("isCompactSummary"):
        return None
    content = (record.get("message") or {}).get("content")
    if isinstance(content, list):
        if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
            return None
        texts = [
            b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"
        ]
        content = "\n".join(t for t in texts if isinstance(t, str))
    if not isinstance(content, str) or not content.strip() or content.lstrip().startswith("<"):
        return None
    if content.startswith("This session is being continued"):
        return None
    return content


def _blocks(record: dict[str, Any]) -> list[dict[str, Any]]:
    content = (record.get("message") or {}).get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _assistant_text(record: dict[str, Any]) -> str:
    return "\n".join(str(b.get("text", "")) for b in _blocks(record) if b.get("type") == "text")


def steps_from(records: list[dict[str, Any]]) -> list[Step]:
    """Records cut into steps at prompts, tool calls, results, answers and failures."""
    steps: list[Step] = [Step(0.0, hook="SessionStart", payload={"source": "startup"})]
    tools: dict[str, tuple[str, dict[str, Any]]] = {}
    extra: list[dict[str, Any]] = []  # records that ride along with the next step

    def add(step: Step) -> None:
        nonlocal extra
        if extra:
            step = Step(
                step.delay,
                (*extra, *step.records),
                step.hook,
                step.payload,
                step.before_hook,
                step.before_payload,
                step.edit,
            )
            extra = []
        steps.append(step)

    for record in records:
        rtype = record.get("type")
        prompt = _prompt_text(record)
        uses = [b for b in _blocks(record) if b.get("type") == "tool_use"]
        results = [b for b in _blocks(record) if b.get("type") == "tool_result"]
        if prompt is not None:
            add(
                Step(
                    1.0,
                    (record,),
                    before_hook="UserPromptSubmit",
                    before_payload={"prompt": prompt},
                )
            )
        elif rtype == "assistant" and record.get("isApiErrorMessage"):
            text = _assistant_text(record)
            error = record.get("error") if isinstance(record.get("error"), str) else "unknown"
            add(
                Step(
                    1.2, (record,), "StopFailure", {"error": error, "last_assistant_message": text}
                )
            )
        elif rtype == "assistant" and uses:
            for use in uses:
                tools[str(use.get("id"))] = (str(use.get("name")), dict(use.get("input") or {}))
            add(Step(1.0, (record,)))
        elif (
            rtype == "assistant" and (record.get("message") or {}).get("stop_reason") == "end_turn"
        ):
            text = _assistant_text(record)
            add(
                Step(
                    1.2,
                    (record,),
                    "Stop",
                    {"stop_hook_active": False, "last_assistant_message": text},
                )
            )
        elif rtype == "assistant":
            add(Step(0.8, (record,)))
        elif results:
            use_id = str(results[0].get("tool_use_id"))
            name, tool_input = tools.get(use_id, ("", {}))
            edit = tool_input if name in ("Write", "Edit") else None
            payload = {"tool_name": name, "tool_input": tool_input, "tool_use_id": use_id}
            add(Step(0.6, (record,), "PostToolUse", payload, edit=edit))
        elif rtype == "system" and record.get("subtype") == "api_error":
            add(Step(1.5, (record,)))
        elif rtype == "system" and record.get("subtype") == "compact_boundary":
            trigger = (record.get("compactMetadata") or {}).get("trigger") or "manual"
            add(
                Step(
                    1.5,
                    (record,),
                    "PostCompact",
                    {"trigger": trigger},
                    "PreCompact",
                    {"trigger": trigger},
                )
            )
        elif steps and len(steps) > 1 and not extra and rtype != "queue-operation":
            # Bookkeeping records (attachments, api-request, ...) follow what they belong to.
            last = steps[-1]
            steps[-1] = Step(
                last.delay,
                (*last.records, record),
                last.hook,
                last.payload,
                last.before_hook,
                last.before_payload,
                last.edit,
            )
        else:
            extra.append(record)
    if extra:
        add(Step(0.2))
    return steps


def _clone(record: dict[str, Any], tag: str) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(record))
    copy["uuid"] = str(uuid.uuid5(_NAMESPACE, tag))
    message = copy.get("message")
    if isinstance(message, dict) and "id" in message:
        message["id"] = f"msg_demo_{tag}"
    if "requestId" in copy:
        copy["requestId"] = f"req_demo_{tag}"
    return copy


#: The api-server session's fill after each turn (1M window; Claude Code compacts at ~967k).
CLIMB = (150_000, 310_000, 480_000, 640_000, 780_000, 880_000, 945_000)
CLIMB_PROMPTS = (
    "Read app.py and tell me what it does",
    "Add request validation to every endpoint",
    "Write integration tests for the orders API",
    "Profile the slow /reports endpoint and fix it",
    "Migrate the database layer to async",
    "Add OpenAPI docs for all routes",
    "Run the whole test suite and fix what fails",
)


def _climb(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The compaction recording with more turns before its compaction, each fuller.

    The recorded first turn (prompt, answer) is repeated with the prompts above and
    the cache-read tokens set so each answer reports the next fill of :data:`CLIMB`;
    the compaction then reports the fill it started from. The turn after the
    compaction is left out, so the session ends compacted.
    """
    boundary = next(i for i, r in enumerate(records) if r.get("subtype") == "compact_boundary")
    head, rest = records[:boundary], records[boundary:]
    prompt = next(r for r in head if _prompt_text(r) is not None)
    answer = next(r for r in head if r.get("type") == "assistant")
    turns: list[dict[str, Any]] = []
    for n, (fill, text) in enumerate(zip(CLIMB, CLIMB_PROMPTS, strict=True)):
        if n == 0:
            turns += head
            _set_fill(answer, fill)
            continue
        ask = _clone(prompt, f"climb-prompt-{n}")
        ask["message"]["content"] = text
        reply = _clone(answer, f"climb-answer-{n}")
        reply["parentUuid"] = ask["uuid"]
        for block in reply["message"].get("content", []):
            if isinstance(block, dict) and block.get("type") == "text":
                block["text"] = f"Done: {text[0].lower()}{text[1:]}."
        _set_fill(reply, fill)
        turns += [ask, reply]
    meta = rest[0].setdefault("compactMetadata", {})
    meta["preTokens"] = CLIMB[-1] + 7_000
    meta["trigger"] = "auto"
    # Keep the boundary and the summary; drop the /compact command records and the next turn.
    tail = [rest[0]] + [r for r in rest[1:3] if r.get("isCompactSummary")]
    return turns + tail


def _set_fill(record: dict[str, Any], fill: int) -> None:
    usage = record["message"]["usage"]
    usage["cache_read_input_tokens"] = (
        fill - usage.get("input_tokens", 0) - usage.get("cache_creation_input_tokens", 0)
    )


def scenarios() -> list[Scenario]:
    """The demo's sessions, each with its steps."""
    specs = [
        (
            "webapp",
            "normal-tools-2.1.328.jsonl",
            0.0,
            90.0,
            "idle",
            "writes files; every change is checkpointed",
        ),
        (
            "api-server",
            "compaction-2.1.328.jsonl",
            3.0,
            300.0,
            "compacted",
            "climbs towards a full context, then compacts",
        ),
        (
            "cli-tool",
            "api-529-2.1.328.jsonl",
            6.0,
            120.0,
            "interrupted",
            "a 529 overloaded storm interrupts it",
        ),
        (
            "docs-site",
            "stream-cut-2.1.328.jsonl",
            9.0,
            900.0,
            "interrupted",
            "its answer's stream is cut mid-response",
        ),
    ]
    out = []
    for name, fixture, start, age, state, story in specs:
        records = load_records(fixture)
        if name == "api-server":
            records = _climb(records)
        session_id = next(str(r["sessionId"]) for r in records if r.get("sessionId"))
        out.append(
            Scenario(
                name, fixture, session_id, start, age, state, story, tuple(steps_from(records))
            )
        )
    return out
