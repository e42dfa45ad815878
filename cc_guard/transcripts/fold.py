"""Fold transcript records, one at a time, into what a session model needs.

A :class:`Fold` holds everything learnt from one transcript file so far and can
be serialised (:meth:`Fold.to_json`) into the persistent index, so the next run
continues from the saved byte offset instead of re-reading the file. Main
transcripts and subagent transcripts each get their own Fold; the engine merges
them into one :class:`~cc_guard.transcripts.model.SessionModel`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cc_guard.transcripts.classify import (
    CUT_MARKER,
    STREAM_CUT_NOTICE,
    USER_INTERRUPT,
    classify_failure,
    is_own_prompt,
    prompt_text,
    touched_paths,
)
from cc_guard.transcripts.model import (
    Compaction,
    FileTouch,
    FillPoint,
    Incident,
    IncidentKind,
    ParseStats,
    Prompt,
    TodoItem,
    TokenTotals,
    ToolCall,
)
from cc_guard.transcripts.shapes import KNOWN_FIELDS

SYNTHETIC_MODEL = "<synthetic>"
#: How the API (and Claude Code's message) says a request is over the window.
TOO_LONG = "prompt is too long"
#: Bounds that keep the index small for long-lived sessions (texts are for
#: display and handoff; nobody needs a 50 KB pasted prompt twice).
MAX_TEXT = 4000
MAX_PROMPTS = 500
MAX_TITLE = 200
MAX_INCIDENTS = 500
MAX_TOOL_INPUT = 2000
#: Fill points kept per transcript (one per API response; the oldest are dropped).
MAX_FILL_POINTS = 2000
#: Dedup keys remembered per file. A response split over several records has
#: them next to each other, so a window this size catches every repeat seen in
#: practice while keeping the index from growing with every API call.
DEDUP_WINDOW = 256


class Phase:
    """Where the main chain's last turn stands (drives the session state)."""

    NONE = ""
    PROMPT = "prompt"  # a prompt awaits an answer
    ASSISTANT = "assistant"  # a response is being written (no stop reason yet)
    TOOL_USE = "tool_use"  # tool calls are out
    TOOL_RESULT = "tool_result"  # results went back, the next response is due
    END = "end"  # the turn ended normally
    USER_INTERRUPT = "user_interrupt"  # the user pressed Esc: ended, not failed
    FAILED = "failed"  # final API error or max_tokens stop
    COMPACTED = "compacted"  # a compaction is the newest event


#: Phases in which Claude Code still owes the user something. ASSISTANT is not
#: here: older versions leave ``stop_reason`` null even on a finished answer.
MID_TURN = frozenset({Phase.PROMPT, Phase.TOOL_USE, Phase.TOOL_RESULT})

#: Kinds a final error gets when its own text says little: a cut seen earlier in the
#: turn names it better.
_VAGUE_KINDS = frozenset({IncidentKind.UNKNOWN, IncidentKind.CONNECTION})

_TASK_ID = re.compile(r"Task #(\w+) created")
_TOOL_USE_ID = re.compile(rb'"tool_use_id"\s*:\s*"([^"\\]+)"')


def _text_starts(content: Any, prefix: str) -> bool:
    """Whether a user record's content (a string or text blocks) starts with ``prefix``."""
    if isinstance(content, str):
        return content.startswith(prefix)
    if isinstance(content, list):
        for block in content:
            if isinstance(block, dict) and block.get("type") == "text":
                text = block.get("text")
                return isinstance(text, str) and text.startswith(prefix)
    return False


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit] + " [...]"


def _small_input(value: dict[str, Any]) -> dict[str, Any]:
    """Tool inputs can hold whole files; keep string values short for the index."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, str) and len(item) > MAX_TOOL_INPUT:
            out[key] = item[:MAX_TOOL_INPUT] + " [...]"
        elif isinstance(item, str | int | float | bool) or item is None:
            out[key] = item
        else:
            out[key] = "[...]"
    return out


_SCALAR_FIELDS = (
    "session_id",
    "cwd",
    "git_branch",
    "model",
    "version",
    "first_ts",
    "last_ts",
    "api_calls",
    "turns",
    "context_tokens",
    "context_output",
    "context_model",
    "too_long",
    "last_assistant_text",
    "title",
    "phase",
    "phase_ts",
    "stop_reason",
    "requested_model",
    "max_tokens_key",
    "cut_in_turn",
)



@dataclass
class Brief:
    """A Fold's summary, stored beside it in the index so that listing sessions
    never has to decode whole folds."""

    cwd: str | None = None
    git_branch: str | None = None
    model: str | None = None
    version: str | None = None
    first_ts: str | None = None
    last_ts: str | None = None
    turns: int = 0
    api_calls: int = 0
    session_id: str | None = None  # as the records say (older subagent files name their parent)
    tokens: list[int] = field(
        default_factory=lambda: [0, 0, 0, 0]
    )  # in, out, cache write, cache read
    context_tokens: int | None = None
    context_output: int | None = None
    context_model: str | None = None
    phase: str = ""
    phase_ts: str | None = None
    #: The last turn failed with "prompt is too long" and nothing succeeded since.
    too_long: bool = False
    incident_count: int = 0
    last_final_kind: str | None = None
    last_pending_tool: str | None = None
    title: str | None = None
    #: Claude Code reported a cut stream in the current turn.
    cut_in_turn: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Brief:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class Fold:
    """Everything read from one transcript so far (resumable: stored in the index)."""

    session_id: str | None = None
    cwd: str | None = None
    git_branch: str | None = None
    model: str | None = None
    version: str | None = None
    first_ts: str | None = None
    last_ts: str | None = None
    tokens: TokenTotals = field(default_factory=TokenTotals)
    api_calls: int = 0
    turns: int = 0
    context_tokens: int | None = None
    #: Output tokens of the response context_tokens comes from.
    context_output: int | None = None
    context_model: str | None = None
    #: The last final API error said the prompt is too long (cleared by any success).
    too_long: bool = False
    compactions: list[Compaction] = field(default_factory=list)
    fill: list[FillPoint] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    files: dict[str, FileTouch] = field(default_factory=dict)
    todos: list[TodoItem] = field(default_factory=list)
    #: TaskCreate-style task list (newer Claude Code): task id -> item.
    tasks: dict[str, TodoItem] = field(default_factory=dict)
    prompts: list[Prompt] = field(default_factory=list)
    last_assistant_text: str | None = None
    #: The session's first prompt on one line (kept when ``prompts`` drops old ones).
    title: str | None = None
    pending: dict[str, ToolCall] = field(default_factory=dict)
    #: message.id + request id -> output tokens already counted (bounded window).
    seen: dict[str, int] = field(default_factory=dict)
    phase: str = Phase.NONE
    phase_ts: str | None = None
    stop_reason: str | None = None
    #: The model Claude Code asked for (``api-request`` records): names the model
    #: of a session whose every request failed, so it has no real response.
    requested_model: str | None = None
    #: message.id + request id of the response the last max_tokens incident came
    #: from: each record of a split response repeats its stop_reason.
    max_tokens_key: str | None = None
    #: Claude Code reported a cut stream in the current turn (a StreamTruncated retry,
    #: its "cut off mid-stream" meta prompt or its "ended before any complete data"
    #: notice): a final error it names vaguely was that cut.
    cut_in_turn: bool = False
    stats: ParseStats = field(default_factory=ParseStats)

    # --- serialisation (the persistent index) ---------------------------------

    def to_json(self) -> dict[str, Any]:
        # Hand-written rather than dataclasses.asdict: asdict deep-copies every
        # value and was a third of a cold refresh's time.
        data: dict[str, Any] = {k: getattr(self, k) for k in _SCALAR_FIELDS}
        data["tokens"] = dict(self.tokens.__dict__)
        data["compactions"] = [dict(c.__dict__) for c in self.compactions]
        data["fill"] = [[p.time, p.tokens, p.output] for p in self.fill]
        data["incidents"] = [{**i.__dict__, "kind": i.kind.value} for i in self.incidents]
        data["files"] = [{**f.__dict__, "tools": list(f.tools)} for f in self.files.values()]
        data["todos"] = [dict(t.__dict__) for t in self.todos]
        data["tasks"] = [{"id": k, **v.__dict__} for k, v in self.tasks.items()]
        data["prompts"] = [dict(p.__dict__) for p in self.prompts]
        data["pending"] = [{**c.__dict__, "input": dict(c.input)} for c in self.pending.values()]
        data["seen"] = dict(self.seen)
        data["stats"] = {
            **self.stats.__dict__,
            "unknown_record_types": dict(self.stats.unknown_record_types),
            "unknown_fields": dict(self.stats.unknown_fields),
        }
        return data

    def brief(self) -> Brief:
        """The few facts a session list and the state judgement need."""
        final = [i for i in self.incidents if i.final]
        pending = [c.name for c in self.pending.values() if not c.is_sidechain]
        return Brief(
            session_id=self.session_id,
            cwd=self.cwd,
            git_branch=self.git_branch,
            model=self.model or self.requested_model,
            version=self.version,
            first_ts=self.first_ts,
            last_ts=self.last_ts,
            turns=self.turns,
            api_calls=self.api_calls,
            tokens=[
                self.tokens.input_tokens,
                self.tokens.output_tokens,
                self.tokens.cache_creation_input_tokens,
                self.tokens.cache_read_input_tokens,
            ],
            context_tokens=self.context_tokens,
            context_output=self.context_output,
            context_model=self.context_model or self.model or self.requested_model,
            phase=self.phase,
            phase_ts=self.phase_ts,
            too_long=self.too_long,
            incident_count=len(self.incidents),
            last_final_kind=final[-1].kind.value if final else None,
            last_pending_tool=pending[-1] if pending else None,
            title=self.title,
            cut_in_turn=self.cut_in_turn,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fold:
        fold = cls(**{k: data[k] for k in _SCALAR_FIELDS if k in data})
        fold.tokens = TokenTotals(**data.get("tokens", {}))
        fold.compactions = [Compaction(**c) for c in data.get("compactions", [])]
        fold.fill = [FillPoint(*point[:3]) for point in data.get("fill", [])]
        fold.incidents = [
            Incident(**{**i, "kind": IncidentKind(i["kind"])}) for i in data.get("incidents", [])
        ]
        fold.files = {f["path"]: FileTouch(**f) for f in data.get("files", [])}
        fold.todos = [TodoItem(**t) for t in data.get("todos", [])]
        fold.tasks = {t.pop("id"): TodoItem(**t) for t in (dict(t) for t in data.get("tasks", []))}
        fold.prompts = [Prompt(**p) for p in data.get("prompts", [])]
        fold.pending = {p["id"]: ToolCall(**p) for p in data.get("pending", [])}
        fold.seen = dict(data.get("seen", {}))
        stats = dict(data.get("stats", {}))
        fold.stats = ParseStats(**stats)
        return fold

    # --- folding -------------------------------------------------------------

    def add(self, record: dict[str, Any]) -> None:
        """Fold one parsed record in. Unknown shapes are ignored, never fatal."""
        rtype = record.get("type")
        ts = _str(record.get("timestamp"))
        if ts is not None:
            if self.first_ts is None or ts < self.first_ts:
                self.first_ts = ts
            if self.last_ts is None or ts > self.last_ts:
                self.last_ts = ts
        # Spelled out rather than looped with setattr: this runs for every record.
        value = record.get("sessionId")
        if value and isinstance(value, str):
            self.session_id = value
        value = record.get("cwd")
        if value and isinstance(value, str):
            self.cwd = value
        value = record.get("gitBranch")
        if value and isinstance(value, str):
            self.git_branch = value
        value = record.get("version")
        if value and isinstance(value, str):
            self.version = value
        known = KNOWN_FIELDS.get(rtype) if isinstance(rtype, str) else None
        if known is not None and not known.issuperset(record):
            drift = self.stats.unknown_fields
            for name in record.keys() - known:
                key = f"{rtype}.{name}"
                drift[key] = drift.get(key, 0) + 1
        side = record.get("isSidechain") is True
        if rtype == "assistant":
            self._assistant(record, ts, side)
        elif rtype == "user":
            self._user(record, ts, side)
        elif rtype == "system":
            self._system(record, ts, side)
        elif rtype == "api-request":
            params = record.get("params")
            model = params.get("model") if isinstance(params, dict) else None
            if isinstance(model, str) and model:
                self.requested_model = model

    def add_oversized(self, head: bytes) -> None:
        """A record too big to parse: still close the tool calls its head answers."""
        if b'"tool_result"' in head:
            for match in _TOOL_USE_ID.finditer(head):
                self.pending.pop(match.group(1).decode("utf-8", "replace"), None)

    def _set_phase(self, phase: str, ts: str | None, side: bool) -> None:
        if not side:
            self.phase, self.phase_ts = phase, ts

    def _assistant(self, record: dict[str, Any], ts: str | None, side: bool) -> None:
        message = record.get("message")
        if not isinstance(message, dict):
            return
        if record.get("isApiErrorMessage") is True:
            self._final_api_error(record, message, ts, side)
            return
        model = _str(message.get("model"))
        real = model is not None and model != SYNTHETIC_MODEL
        usage = message.get("usage")
        if real and isinstance(usage, dict):
            new_response = self._count_usage(record, message, usage)
            if not side:
                self.context_tokens = (
                    _int(usage.get("input_tokens"))
                    + _int(usage.get("cache_creation_input_tokens"))
                    + _int(usage.get("cache_read_input_tokens"))
                )
                output = _int(usage.get("output_tokens"))
                self.context_model = model
                self.model = model
                self.too_long = False
                if new_response:
                    self.context_output = output
                    self.fill.append(FillPoint(ts, self.context_tokens, output))
                    if len(self.fill) > MAX_FILL_POINTS:
                        del self.fill[0]
                elif self.fill and output > self.fill[-1].output:
                    # A later record of the same response carries the grown output count.
                    self.context_output = output
                    self.fill[-1].output = output
            for incident in self._open_incidents():
                incident.final = False  # a real response came back: the retries worked
        elif real and not side:
            self.model = model
        content = message.get("content")
        if isinstance(content, list):
            for block in content:
                if not isinstance(block, dict):
                    continue
                btype = block.get("type")
                if (
                    btype == "text"
                    and not side
                    and isinstance(block.get("text"), str)
                    and block["text"].strip()
                ):
                    self.last_assistant_text = _clip(block["text"])
                elif btype == "tool_use":
                    self._tool_use(record, block, ts, side)
        stop = _str(message.get("stop_reason"))
        if not side:
            self.stop_reason = stop
        if stop == "max_tokens":
            msg_id = message.get("id")
            request = record.get("requestId") or record.get("requestRef") or ""
            key = f"{msg_id}:{request}" if msg_id else None
            if key is None or key != self.max_tokens_key:
                self.max_tokens_key = key
                self._add_incident(
                    Incident(
                        kind=IncidentKind.MAX_OUTPUT_TOKENS,
                        time=ts,
                        final=True,
                        message="response hit max_tokens",
                        uuid=_str(record.get("uuid")),
                    )
                )
            self._set_phase(Phase.FAILED, ts, side)
        elif stop == "tool_use":
            self._set_phase(Phase.TOOL_USE, ts, side)
        elif stop is None:
            # Older versions leave stop_reason null on streamed records: judge by open calls.
            self._set_phase(Phase.TOOL_USE if self._main_pending() else Phase.ASSISTANT, ts, side)
        else:
            self._set_phase(Phase.TOOL_USE if self._main_pending() else Phase.END, ts, side)

    def _main_pending(self) -> bool:
        return any(not call.is_sidechain for call in self.pending.values())

    def _count_usage(
        self, record: dict[str, Any], message: dict[str, Any], usage: dict[str, Any]
    ) -> bool:
        """Count a response's tokens once; True when this record starts a new response."""
        request = record.get("requestId") or record.get("requestRef") or ""
        msg_id = message.get("id")
        output = _int(usage.get("output_tokens"))
        key = f"{msg_id}:{request}" if msg_id else None
        if key is not None and key in self.seen:
            # The same response written again (split content blocks): count it once,
            # but take a later, larger output count (streaming records grow).
            counted = self.seen[key]
            if output > counted:
                self.tokens.output_tokens += output - counted
                self.seen[key] = output
            return False
        self.tokens.input_tokens += _int(usage.get("input_tokens"))
        self.tokens.cache_creation_input_tokens += _int(usage.get("cache_creation_input_tokens"))
        self.tokens.cache_read_input_tokens += _int(usage.get("cache_read_input_tokens"))
        self.tokens.output_tokens += output
        self.api_calls += 1
        if key is not None:
            self.seen[key] = output
            if len(self.seen) > DEDUP_WINDOW:
                del self.seen[next(iter(self.seen))]
        return True

    def _tool_use(
        self, record: dict[str, Any], block: dict[str, Any], ts: str | None, side: bool
    ) -> None:
        tool_id, name = _str(block.get("id")), _str(block.get("name"))
        tool_input = block.get("input")
        if tool_id is None or name is None:
            return
        if not isinstance(tool_input, dict):
            tool_input = {}
        self.pending[tool_id] = ToolCall(
            id=tool_id, name=name, input=_small_input(tool_input), time=ts, is_sidechain=side
        )
        cwd = _str(record.get("cwd")) or self.cwd
        for path in touched_paths(name, tool_input, cwd):
            touch = self.files.get(path)
            if touch is None:
                touch = self.files[path] = FileTouch(path=path)
            touch.count += 1
            if not touch.tools or touch.tools[-1] != name:
                touch.tools.append(name)
            touch.last_time = ts
        if side:
            return
        if name == "TodoWrite" and isinstance(tool_input.get("todos"), list):
            self.todos = [
                TodoItem(
                    content=str(t.get("content", "")),
                    status=str(t.get("status", "pending")),
                    active_form=_str(t.get("activeForm")),
                )
                for t in tool_input["todos"]
                if isinstance(t, dict)
            ]
            self.tasks = {}
        elif name == "TaskUpdate":
            task_id = tool_input.get("taskId")
            task = self.tasks.get(str(task_id)) if task_id is not None else None
            if task is not None:
                status = _str(tool_input.get("status"))
                if status == "deleted":
                    self.tasks.pop(str(task_id), None)
                elif status:
                    task.status = status
                subject = _str(tool_input.get("subject"))
                if subject:
                    task.content = subject
                self.todos = list(self.tasks.values())

    def _task_created(self, call: ToolCall, result: Any, text: str) -> None:
        """TaskCreate's id arrives with its result (``toolUseResult.task.id``)."""
        task_id: str | None = None
        if isinstance(result, dict) and isinstance(result.get("task"), dict):
            raw = result["task"].get("id")
            task_id = str(raw) if raw is not None else None
        if task_id is None:
            match = _TASK_ID.search(text)
            task_id = match.group(1) if match else str(len(self.tasks) + 1)
        subject = call.input.get("subject") or call.input.get("description") or ""
        self.tasks[task_id] = TodoItem(
            content=str(subject), status="pending", active_form=_str(call.input.get("activeForm"))
        )
        self.todos = list(self.tasks.values())

    def _user(self, record: dict[str, Any], ts: str | None, side: bool) -> None:
        message = record.get("message")
        if not isinstance(message, dict):
            return
        content = message.get("content")
        results = False
        if isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    results = True
                    tool_id = _str(block.get("tool_use_id"))
                    call = self.pending.pop(tool_id, None) if tool_id else None
                    if call is not None and call.name == "TaskCreate" and not block.get("is_error"):
                        text = block.get("content")
                        self._task_created(
                            call, record.get("toolUseResult"), text if isinstance(text, str) else ""
                        )
        if results:
            self._set_phase(
                Phase.TOOL_RESULT if not self._user_interrupted(content) else Phase.USER_INTERRUPT,
                ts,
                side,
            )
            return
        if side:
            return
        if record.get("isMeta") is True:
            if _text_starts(content, CUT_MARKER):
                self.cut_in_turn = True
            return
        if record.get("isCompactSummary") is True:
            return  # the summary belongs to the compaction, which stays the newest event
        text = prompt_text(content)
        if text is None:
            return
        # The user gave up on a turn still retrying (Esc, or a new prompt after
        # a restart): those retries failed. Left undecided, the next turn's
        # response would count them as retried successfully.
        for incident in self._open_incidents():
            incident.final = True
        if text.lstrip().startswith(USER_INTERRUPT):
            self._set_phase(Phase.USER_INTERRUPT, ts, side)
            return
        self.cut_in_turn = False
        if is_own_prompt(text):
            # cc-guard's resume prompt: a turn starts, but the user asked nothing new.
            self._set_phase(Phase.PROMPT, ts, side)
            return
        self.turns += 1
        if self.title is None:
            self.title = " ".join(text.split())[:MAX_TITLE]
        self.prompts.append(Prompt(text=_clip(text), time=ts, uuid=_str(record.get("uuid"))))
        if len(self.prompts) > MAX_PROMPTS:
            del self.prompts[0]
        self._set_phase(Phase.PROMPT, ts, side)

    @staticmethod
    def _user_interrupted(content: Any) -> bool:
        for block in content if isinstance(content, list) else ():
            if isinstance(block, dict) and block.get("type") == "text":
                text = block.get("text")
                if isinstance(text, str) and text.startswith(USER_INTERRUPT):
                    return True
        return False

    def _system(self, record: dict[str, Any], ts: str | None, side: bool) -> None:
        subtype = record.get("subtype")
        if subtype == "api_error":
            error = record.get("error")
            error = error if isinstance(error, dict) else {}
            status = error.get("status")
            status = status if isinstance(status, int) else None
            connection = error.get("connection")
            code = _str(connection.get("code")) if isinstance(connection, dict) else None
            text = _str(error.get("formatted")) or _str(error.get("message")) or ""
            if code == "StreamTruncated" and not side:
                self.cut_in_turn = True
            self._add_incident(
                Incident(
                    kind=classify_failure(status, code, text),
                    time=ts,
                    status=status,
                    retry_attempt=_int(record.get("retryAttempt")) or None,
                    max_retries=_int(record.get("maxRetries")) or None,
                    final=None,
                    message=_clip(text, 300),
                    uuid=_str(record.get("uuid")),
                )
            )
        elif subtype == "compact_boundary":
            meta = record.get("compactMetadata")
            meta = meta if isinstance(meta, dict) else {}
            pre = meta.get("preTokens")
            post = meta.get("postTokens")
            self.compactions.append(
                Compaction(
                    time=ts,
                    trigger=_str(meta.get("trigger")),
                    pre_tokens=pre if isinstance(pre, int) else None,
                    post_tokens=post if isinstance(post, int) else None,
                )
            )
            for incident in self._open_incidents():
                incident.final = False  # the compaction's own request got through
            if not side:
                # The fill before the compaction no longer applies; until the next
                # response it is Claude Code's estimate of the summary's size.
                self.context_tokens = post if isinstance(post, int) else None
                self.context_output = 0 if isinstance(post, int) else None
                self.too_long = False
            self._set_phase(Phase.COMPACTED, ts, side)
        elif subtype == "informational" and not side:
            content = record.get("content")
            if isinstance(content, str) and content.startswith(STREAM_CUT_NOTICE):
                self.cut_in_turn = True  # cut before any block completed
        elif subtype in ("turn_duration", "stop_hook_summary") and self.phase == Phase.ASSISTANT:
            # (After END they change nothing: the turn ended with its last answer, and
            # the Stop hook that runs before these records is compared to that time.)
            self._set_phase(Phase.END, ts, side)

    def _final_api_error(
        self, record: dict[str, Any], message: dict[str, Any], ts: str | None, side: bool
    ) -> None:
        """A synthetic ``API Error: ...`` message: the turn failed after any retries."""
        text = ""
        content = message.get("content")
        if isinstance(content, list):
            text = " ".join(
                b.get("text", "")
                for b in content
                if isinstance(b, dict) and isinstance(b.get("text"), str)
            )
        elif isinstance(content, str):
            text = content
        if not side:
            details = record.get("errorDetails")
            said = (text + " " + (details if isinstance(details, str) else "")).lower()
            self.too_long = TOO_LONG in said
        open_retries = self._open_incidents()
        if open_retries:
            for incident in open_retries:
                incident.final = True
        else:
            status = record.get("apiErrorStatus")
            status = status if isinstance(status, int) else None
            kind = classify_failure(
                status, None, text, (_str(record.get("apiErrorType")), _str(record.get("error")))
            )
            if self.cut_in_turn and not side and kind in _VAGUE_KINDS:
                kind = IncidentKind.STREAM_TRUNCATED  # Claude Code said so earlier in the turn
            self._add_incident(
                Incident(
                    kind=kind,
                    time=ts,
                    status=status,
                    final=True,
                    message=_clip(text, 300),
                    uuid=_str(record.get("uuid")),
                )
            )
        self._set_phase(Phase.FAILED, ts, side)

    def _open_incidents(self) -> list[Incident]:
        """Retries not yet decided. They are always the newest incidents (a
        response or a final error decides them all), so look from the end only:
        this runs for every response."""
        found: list[Incident] = []
        for incident in reversed(self.incidents):
            if incident.final is not None:
                break
            found.append(incident)
        return found

    def _add_incident(self, incident: Incident) -> None:
        self.incidents.append(incident)
        if len(self.incidents) > MAX_INCIDENTS:
            del self.incidents[0]
