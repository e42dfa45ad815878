"""The session model: what cc-guard knows about one Claude Code session.

Every policy (checkpoints, handoff, compaction) and every view (CLI, TUI,
statusline) reads these objects; only the transcript engine builds them.
Field names are the ``--json`` output's names (documented in docs/sessions.md,
generated from these classes by docs/generate.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from cc_guard.incidents import IncidentKind as IncidentKind  # the incidents' kind


class SessionState(StrEnum):
    """A session's state, judged from its transcript (and hook/process signals).

    Checked in this order (the first that applies wins):

    - ``stuck``: the last turn failed because the prompt is too long for the window
      and Claude Code's own compaction could not shrink it ("Prompt is too long ·
      automatic compaction failed"): every new prompt fails the same way until a
      summary request succeeds. The way out is a fresh session seeded with the
      handoff (``cc-guard resume --mode fresh``); a turn that succeeds ends it.
    - ``interrupted``: the last turn ended in a failure: a final API error
      (synthetic ``API Error`` message after the retries, including a cut
      stream), a StopFailure hook event, or a ``max_tokens`` stop, even when a
      SessionEnd followed it (print mode ends right after a failure); or the
      session ended with a prompt or tool call unanswered; or the transcript
      stopped mid-turn (a prompt without an answer, a tool call without a
      result) and has not changed for 10 minutes while no Claude Code process
      is known to be alive.
    - ``ended``: Claude Code reported the session ended (a SessionEnd hook
      event) after a finished turn, and nothing was written to the transcript after it.
    - ``compacted``: the newest event is a compaction and no turn followed it yet.
    - ``running``: mid-turn (a prompt or tool result awaits the next response,
      or tool calls are out) within those 10 minutes, or the transcript changed
      in the last minute.
    - ``idle``: the last turn ended normally (or the user interrupted it) and
      nothing is in flight.
    """

    RUNNING = "running"
    IDLE = "idle"
    INTERRUPTED = "interrupted"
    COMPACTED = "compacted"
    ENDED = "ended"
    STUCK = "stuck"


@dataclass
class Incident:
    """An API failure the transcript (or a subagent's, or the hook log) shows."""

    kind: IncidentKind
    time: str | None  # ISO 8601 from the record
    status: int | None = None
    retry_attempt: int | None = None
    max_retries: int | None = None
    #: True when the turn failed (a synthetic API-error message followed), False when a
    #: retry succeeded, None while undecided (still retrying).
    final: bool | None = None
    message: str = ""
    source: str = "transcript"  # transcript | subagent | hook | checkpoint
    uuid: str | None = None


@dataclass
class Compaction:
    """One compaction of the conversation (``compact_boundary`` record)."""

    time: str | None
    trigger: str | None  # manual | auto
    pre_tokens: int | None
    #: Claude Code's estimate of the context right after it (the fill until the next response).
    post_tokens: int | None = None


@dataclass
class FillPoint:
    """The context fill one main-chain API response reported (input + cache tokens).

    ``output`` is that response's output tokens: they join the context of the next
    request, and Claude Code's compaction threshold counts them.
    """

    time: str | None
    tokens: int
    output: int = 0


@dataclass
class TokenTotals:
    """Token counts summed over de-duplicated API responses."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0


@dataclass
class TodoItem:
    """One entry of the latest todo (or task) list."""

    content: str
    status: str  # pending | in_progress | completed
    active_form: str | None = None


@dataclass
class ToolCall:
    """A tool call (kept while it has no result)."""

    id: str
    name: str
    input: dict[str, Any]
    time: str | None
    is_sidechain: bool = False


@dataclass
class Prompt:
    """One prompt the user typed (not tool results or meta records)."""

    text: str
    time: str | None
    uuid: str | None = None


@dataclass
class FileTouch:
    """A file a tool wrote or edited (best effort for Bash)."""

    path: str
    tools: list[str] = field(default_factory=list)  # tool names that touched it, in order
    count: int = 0
    last_time: str | None = None


@dataclass
class ParseStats:
    """What reading cost and what it had to skip."""

    lines: int = 0
    bytes_read: int = 0
    malformed_lines: int = 0
    non_utf8_lines: int = 0
    oversized_lines: int = 0
    unknown_record_types: dict[str, int] = field(default_factory=dict)
    #: "<record type>.<field>" -> count of top-level fields not seen in the
    #: versions cc-guard knows (format drift shows up here first; never an error).
    unknown_fields: dict[str, int] = field(default_factory=dict)


@dataclass
class SessionModel:
    """One Claude Code session as cc-guard sees it."""

    session_id: str
    transcript_path: str
    project_dir: str | None = None  # the session's cwd
    git_branch: str | None = None
    model: str | None = None
    version: str | None = None  # Claude Code version
    first_activity: str | None = None
    last_activity: str | None = None
    state: SessionState = SessionState.IDLE
    state_reason: str | None = None
    context_tokens: int | None = None
    context_window: int | None = None
    context_percent: float | None = None
    context_source: str | None = None  # transcript | statusline | config
    #: Output tokens of the response ``context_tokens`` comes from (0 after a compaction).
    context_output_tokens: int | None = None
    tokens: TokenTotals = field(default_factory=TokenTotals)
    turns: int = 0  # the user's prompts (see ``prompts``)
    title: str | None = None  # the first prompt, on one line (at most 200 characters)
    api_calls: int = 0  # de-duplicated API responses, main transcript plus subagents
    incident_count: int = 0  # len(incidents), also set when incidents are not loaded (brief models)
    compactions: list[Compaction] = field(default_factory=list)
    #: One point per main-chain API response, oldest first (the newest MAX_FILL_POINTS).
    fill_history: list[FillPoint] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    files_touched: list[FileTouch] = field(default_factory=list)
    todos: list[TodoItem] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)
    last_assistant_text: str | None = None
    pending_tool_calls: list[ToolCall] = field(default_factory=list)
    subagents: list[str] = field(default_factory=list)  # subagent transcript paths
    claude_pid: int | None = None  # Claude Code's pid, from the hook event log
    #: The tmux pane (``%N``) and server socket Claude Code runs in, from the hook event log.
    tmux_pane: str | None = None
    tmux_socket: str | None = None
    #: The session's auto-compaction settings (environment and ``--autocompact``), as
    #: its hooks saw them.
    compact_env: dict[str, str] = field(default_factory=dict)
    stats: ParseStats = field(default_factory=ParseStats)
    #: The incident kind of the failure that interrupted the session (None unless
    #: ``state`` is interrupted): the one name every view gives it.
    failure_kind: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stable ``--json`` shape (enums as their string values)."""
        data = asdict(self)
        data["state"] = self.state.value
        for incident in data["incidents"]:
            incident["kind"] = str(incident["kind"])
        return data
