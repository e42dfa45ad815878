"""Write the parts of docs/ that the code defines, or check that they are current.

    python docs/generate.py           rewrite every generated block
    python docs/generate.py --check   exit 1 with a diff when a block is stale

A generated block sits between two marker lines in a Markdown file::

    <!-- BEGIN GENERATED: NAME (python docs/generate.py) -->
    ...
    <!-- END GENERATED: NAME -->

Everything outside the markers is written by hand and left alone. The blocks:

- ``sessions-json``, ``status-json`` (docs/sessions.md): the ``sessions --json`` row
  (``cc_guard.views.sessions.SUMMARY_FIELDS``) and the ``status --json`` document (the
  ``SessionModel`` dataclass, nested dataclasses, enum values, plus ``checkpoints``);
- ``config-keys`` (docs/config.md): every key of ``cc_guard.config.sections.SECTIONS``
  with its default and what the loader accepts (``cc_guard.config.load.CHECKERS``);
- ``help`` (docs/commands.md): the ``--help`` text of every command in
  ``cc_guard.cli.COMMANDS``, subcommands included.

The meaning of each JSON field and config key is written below (FIELD_NOTES,
CONFIG_NOTES). A field or key without a note, or a note for one that no longer
exists, stops the generator with a message naming it: add the note, then run
``make docs``.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import enum
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's cc_guard, not an installed copy

import click  # noqa: E402

from cc_guard.cli import COMMANDS  # noqa: E402
from cc_guard.cli import main as cli_group  # noqa: E402
from cc_guard.commands.config import _toml  # noqa: E402
from cc_guard.config.load import CHECKERS  # noqa: E402
from cc_guard.config.sections import SECTIONS  # noqa: E402
from cc_guard.context.report import ContextReport, context_summary  # noqa: E402
from cc_guard.context.threshold import auto_compact  # noqa: E402
from cc_guard.transcripts.model import SessionModel  # noqa: E402
from cc_guard.views.sessions import SUMMARY_FIELDS  # noqa: E402
from cc_guard.views.status import checkpoint_summary  # noqa: E402

#: Columns of the help text: what an 80-column terminal shows.
HELP_WIDTH = 78

# ----------------------------------------------------------------------------- notes

#: ``sessions --json`` / ``status --json`` field -> what it means. Nested fields are
#: ``parent.child`` (list items too).
FIELD_NOTES: dict[str, str] = {
    "session_id": "Claude Code's session id (the transcript's file name). `status` accepts any unique prefix.",
    "transcript_path": "The main transcript file.",
    "project_dir": "The session's working directory (`cwd` of its records).",
    "git_branch": "The git branch Claude Code recorded.",
    "model": "The model of the newest answer (or the model a failed session asked for).",
    "version": "Claude Code's version, as it recorded it.",
    "first_activity": "Time of the first record (ISO 8601, UTC).",
    "last_activity": "Time of the newest record, subagents included (ISO 8601, UTC).",
    "state": "The session's state (see [States](#states)).",
    "state_reason": "Why it has that state, in one line for people.",
    "context_tokens": "Input + cache creation + cache read tokens of the newest main-chain response with real usage: the context fill.",
    "context_window": "The window those tokens fill (see [Context](#context)).",
    "context_percent": "`context_tokens / context_window`, in percent, one decimal.",
    "context_source": "Where the window came from: `statusline`, `config` or `transcript`.",
    "tokens": "Token totals over de-duplicated API responses (by message id + request id), subagents included.",
    "tokens.input_tokens": "Uncached input tokens.",
    "tokens.output_tokens": "Output tokens.",
    "tokens.cache_creation_input_tokens": "Tokens written to the prompt cache.",
    "tokens.cache_read_input_tokens": "Tokens read from the prompt cache.",
    "turns": "The prompts the user typed (not tool results or meta records).",
    "title": "The session's first prompt on one line, at most 200 characters (kept when old prompts are dropped).",
    "api_calls": "De-duplicated API responses, main transcript plus subagents.",
    "incident_count": "How many incidents (see `incidents`).",
    "compactions": "Every compaction of the conversation, oldest first.",
    "compactions.time": "When it happened.",
    "compactions.trigger": "`manual` (`/compact`) or `auto`.",
    "compactions.pre_tokens": "The context fill before it, as Claude Code recorded it.",
    "compactions.post_tokens": "Claude Code's estimate of the fill right after it (the fill until the next response).",
    "fill_history": "The context fill each main-chain API response reported, oldest first (at most the newest 2,000).",
    "fill_history.time": "When the response was recorded.",
    "fill_history.tokens": "Its fill (input + cache creation + cache read).",
    "fill_history.output": "Its output tokens (they join the next request; Claude Code's compaction threshold counts them).",
    "context_output_tokens": "Output tokens of the response `context_tokens` comes from (0 right after a compaction).",
    "tmux_pane": "The tmux pane (`%N`) Claude Code runs in, from its hooks' `TMUX_PANE`.",
    "tmux_socket": "That tmux server's socket (the first field of its hooks' `TMUX`).",
    "compact_env": "The session's auto-compaction settings as its hooks saw them: `CLAUDE_AUTOCOMPACT_PCT_OVERRIDE`, `CLAUDE_CODE_AUTO_COMPACT_WINDOW`, `DISABLE_AUTO_COMPACT`, `DISABLE_COMPACT`, `--autocompact`, and the `autoCompactEnabled` setting as `\"true\"`/`\"false\"` ([context.md](context.md)).",
    "auto_compact_tokens": "The auto-compact point cc-guard measures against: where Claude Code compacts by itself (`window - min(max output, 20k) - 13k` and its overrides), or `[compact] auto_compact_tokens` ([context.md](context.md)).",
    "auto_compact_percent": "Input + cache + output tokens of the newest response as a percentage of that point.",
    "until_auto_compact": "Claude Code's own \"N% until auto-compact\" figure for that fill; `null` when it will not compact the session by itself (a 200k model, or auto-compaction off).",
    "context_level": "`ok`, `warn` or `compact`: the fill against `[compact] warn_percent` and `auto_percent` (user config).",
    "context": "The context report ([context.md](context.md)): both denominators, the estimate and the forecast.",
    "context.session_id": "The session.",
    "context.model": "Its model.",
    "context.window": "The model window (the statusline's denominator).",
    "context.tokens": "The fill: input + cache of the newest response (a compaction's post tokens after one).",
    "context.output_tokens": "That response's output tokens.",
    "context.total": "`tokens + output_tokens`: what Claude Code compares with its threshold.",
    "context.percent_of_window": "`tokens / window` in percent.",
    "context.auto_compact": "Where the session compacts (see the `auto_compact.*` rows).",
    "context.auto_compact.window": "The model window.",
    "context.auto_compact.compact_window": "The window after a `CLAUDE_CODE_AUTO_COMPACT_WINDOW` / `--autocompact` setting.",
    "context.auto_compact.effective_window": "`compact_window - min(max output, 20,000)`.",
    "context.auto_compact.threshold": "Claude Code's own point: `effective_window - 13,000`, lowered by `CLAUDE_AUTOCOMPACT_PCT_OVERRIDE`.",
    "context.auto_compact.enabled": "Auto-compaction is on (no `DISABLE_AUTO_COMPACT` / `DISABLE_COMPACT`, no `autoCompactEnabled: false`).",
    "context.auto_compact.proactive": "Claude Code compacts before the API refuses the prompt (`false` for a 200k model without a window setting).",
    "context.auto_compact.point": "The point cc-guard measures against (`threshold`, or `[compact] auto_compact_tokens`).",
    "context.auto_compact.source": "What decided it: `default`, `env`, `flag`, `config`, `reactive` or `disabled`.",
    "context.percent_of_point": "The fill now (the estimate when there is one) as a percentage of the point.",
    "context.until_auto_compact": "Claude Code's \"N% until auto-compact\" N for that fill; `null` when it will not compact by itself.",
    "context.until_text": "That figure as text, or why there is none (`no auto-compact`, `auto-compact off`).",
    "context.footer": "Exactly what Claude Code's footer shows at that fill, `null` when it shows nothing.",
    "context.level": "`ok`, `warn` or `compact` against `[compact]`.",
    "context.after_compaction": "The fill is a compaction's estimate; no response came since.",
    "context.estimate": "The fill now, between exact usages; `null` before any response.",
    "context.estimate.exact": "Fill + output of the newest response (or a compaction's post tokens).",
    "context.estimate.exact_time": "Its time.",
    "context.estimate.appended": "cl100k tokens of what was appended since (tool results, prompts, attachments).",
    "context.estimate.records": "How many records were appended.",
    "context.estimate.factor": "The session's calibration: tokens per counted token ...",
    "context.estimate.overhead": "... plus this many per appended record.",
    "context.estimate.samples": "Gaps between exact usages the calibration was learned from (0: the defaults).",
    "context.estimate.tokens": "The estimate: `exact + factor x appended + overhead x records`.",
    "context.forecast": "Turns and minutes until the point and the window, from the median growth per turn.",
    "context.forecast.tokens_per_turn": "The median growth over the newest 12 turns (`null`: fewer than 2 yet).",
    "context.forecast.minutes_per_turn": "The median time between the user's prompts.",
    "context.forecast.turns_to_point": "Turns until the auto-compact point (0: past it).",
    "context.forecast.minutes_to_point": "The same in minutes.",
    "context.forecast.turns_to_window": "Turns until the window is full.",
    "context.forecast.minutes_to_window": "The same in minutes.",
    "context.forecast.samples": "Turns the growth rests on.",
    "context.advice": "What to do, for people (`compact now: cc-guard compact <id>`), or `null`.",
    "context.warnings": "Notes, e.g. that Claude Code will not compact this model by itself.",
    "compaction_reports": "The newest five compaction reports, oldest first: what each summary kept and dropped ([context.md](context.md)).",
    "compaction_reports.time": "When it ended.",
    "compaction_reports.started": "When it started (PreCompact).",
    "compaction_reports.session_id": "The session.",
    "compaction_reports.trigger": "`auto` or `manual`.",
    "compaction_reports.by": "Who started it: `cc-guard`, `user` or `claude-code`.",
    "compaction_reports.via": "`tmux` or `headless` when cc-guard started it.",
    "compaction_reports.outcome": "`ok` or `failed`.",
    "compaction_reports.error": "Why it failed.",
    "compaction_reports.summary_chars": "Length of the summary it was compared with.",
    "compaction_reports.kept": "Key facts the summary kept (`kind`: request, next_step, todo, file, constraint; `text`).",
    "compaction_reports.dropped": "Key facts it dropped.",
    "compaction_reports.reinjected": "Dropped facts put back into the new context (SessionStart `additionalContext`).",
    "compaction_notice": "What the statusline says about compaction now, or `null`.",
    "compaction_notice.at": "Since when.",
    "compaction_notice.action": "`warn`, `notify` (compact now) or `compacting`.",
    "compaction_notice.text": "The words.",
    "incidents": "Every API failure the transcripts show (see [Incidents](#incidents)), oldest first.",
    "incidents.kind": "The failure kind.",
    "incidents.time": "Time of the record.",
    "incidents.status": "HTTP status, when there was one.",
    "incidents.retry_attempt": "Which retry this was, from Claude Code's retry record.",
    "incidents.max_retries": "How many retries Claude Code allows.",
    "incidents.final": "`true`: the turn failed (or the user gave up on it); `false`: a retry succeeded; `null`: still retrying.",
    "incidents.message": "The error message (at most 300 characters).",
    "incidents.source": "`transcript` or `subagent`.",
    "incidents.uuid": "The record's uuid.",
    "files_touched": "Files the session wrote or edited, oldest change first.",
    "files_touched.path": "The file, as the tool named it.",
    "files_touched.tools": "The tools that touched it, in order: Write, Edit, MultiEdit, NotebookEdit, and Bash for a best-effort reading of shell commands.",
    "files_touched.count": "How many tool calls touched it.",
    "files_touched.last_time": "Time of the newest of them.",
    "todos": "The newest todo list (`TodoWrite`, or the `TaskCreate`/`TaskUpdate` tools of newer Claude Code).",
    "todos.content": "The item.",
    "todos.status": "`pending`, `in_progress` or `completed`.",
    "todos.active_form": "The present-tense form Claude Code shows while it works on the item.",
    "prompts": "The user's prompts, oldest first (at most 500, each at most 4,000 characters).",
    "prompts.text": "What the user typed.",
    "prompts.time": "When.",
    "prompts.uuid": "The record's uuid.",
    "last_assistant_text": "The newest text the model wrote (at most 4,000 characters).",
    "pending_tool_calls": "Tool calls of the main chain that never got a result.",
    "pending_tool_calls.id": "The tool use id.",
    "pending_tool_calls.name": "The tool.",
    "pending_tool_calls.input": "Its input (long strings clipped to 2,000 characters, nested values elided).",
    "pending_tool_calls.time": "When the call was recorded.",
    "pending_tool_calls.is_sidechain": "Whether a subagent made the call.",
    "subagents": "Paths of the session's subagent transcripts.",
    "claude_pid": "The Claude Code process, from the hook event log (needs `cc-guard install`).",
    "failure_kind": "When `state` is `interrupted`: the incident kind of the failure (as in `incidents`), the one name every view gives it; `null` otherwise.",
    "stats": "What reading the transcripts cost and what it skipped.",
    "stats.lines": "Lines read.",
    "stats.bytes_read": "Bytes read.",
    "stats.malformed_lines": "Lines that are not a JSON object.",
    "stats.non_utf8_lines": "Lines that are not UTF-8.",
    "stats.oversized_lines": "Lines over 16 MiB (not parsed).",
    "stats.unknown_record_types": "Record type -> count, for types cc-guard does not know.",
    "stats.unknown_fields": '`"<record type>.<field>"` -> count of top-level fields newer than what cc-guard knows: the first sign of a format change.',
    "checkpoints": "The session's checkpoint chain in its project (see [checkpoints.md](checkpoints.md)).",
    "checkpoints.repo": "Whether the project is a git work tree (`false`: there can be no checkpoints).",
    "checkpoints.ref": "`refs/cc-guard/<session id>`, or `null` before the first checkpoint.",
    "checkpoints.count": "Checkpoints on the ref.",
    "checkpoints.latest": "The newest checkpoint's sha.",
    "checkpoints.latest_time": "Its time.",
    "checkpoints.note": 'One line for people, e.g. "not a git repository: no checkpoints".',
}

#: Types of the ``checkpoints`` object, which ``status`` builds as a plain dict.
CHECKPOINT_TYPES = {
    "repo": "boolean",
    "ref": "string or null",
    "count": "integer",
    "latest": "string or null",
    "latest_time": "string or null",
    "note": "string",
}

#: ``sessions --json`` fields the views compute (``cc_guard.context.report.context_summary``)
#: rather than the session model, with their JSON types.
VIEW_FIELD_TYPES = {
    "auto_compact_tokens": "integer or null",
    "auto_compact_percent": "number or null",
    "until_auto_compact": "integer or null",
    "context_level": "string or null: `ok`, `warn`, `compact`",
}
#: Keys of ``context.auto_compact`` (``cc_guard.context.threshold.AutoCompact``).
AUTO_COMPACT_TYPES = {
    "window": "integer",
    "compact_window": "integer",
    "effective_window": "integer",
    "threshold": "integer",
    "enabled": "boolean",
    "proactive": "boolean",
    "point": "integer",
    "source": "string",
}
#: Keys of a compaction report and of the compaction notice (plain dicts on disk).
REPORT_TYPES = {
    "time": "string",
    "started": "string or null",
    "session_id": "string",
    "trigger": "string or null",
    "by": "string or null",
    "via": "string or null",
    "outcome": "string",
    "error": "string or null",
    "summary_chars": "integer or null",
    "kept": "list of objects",
    "dropped": "list of objects",
    "reinjected": "list of objects",
}
NOTICE_TYPES = {"at": "string", "action": "string", "text": "string"}

#: ``section.key`` -> what it does.
CONFIG_NOTES: dict[str, str] = {
    "compact.warn_percent": "Fill (% of the auto-compact point) that warns: the statusline's `(!)` and a Stop message, once per crossing ([context.md](context.md)).",
    "compact.auto_percent": "Fill (% of the auto-compact point) at which a turn's end compacts (or notifies).",
    "compact.mode": "`tmux`: type `/compact <focus>` into the session's pane once it is idle; `headless`: `claude -p /compact --resume` for a stopped session; `notify`: only say so; `off`; `auto`: `tmux` for a session in tmux, else `notify`.",
    "compact.min_interval_minutes": "No second compaction by cc-guard within this time (counted from when it typed `/compact`).",
    "compact.auto_compact_tokens": "The point cc-guard measures against, in tokens (0: Claude Code's own, from the window and the session's settings).",
    "compact.focus": "PreCompact prints the focus (key facts from the handoff) into the summary instructions.",
    "compact.reinject": "After a compaction, SessionStart puts back the key facts the summary dropped.",
    "compact.idle_wait_seconds": "How long a tmux compaction waits for an idle, empty input box before it gives up and notifies.",
    "compact.settle_seconds": "Pause after a turn ends before the first look at the pane.",
    "compact.confirm_seconds": "How long a typed `/compact` is watched for its outcome.",
    "recover.auto": "After a transient failure (529, 5xx, cut stream) in a tmux session, type `recover.prompt` once the upstream answers again; never after auth, billing, rate-limit or invalid-request failures.",
    "recover.probe_interval_seconds": "The first wait between free probes of the upstream (`GET /v1/models`); it doubles up to 10 minutes.",
    "recover.max_wait_minutes": "Give up after this long.",
    "recover.prompt": "What is typed into the pane.",
    'handoff.summary_input_tokens': 'Input budget (cl100k tokens, with a safety factor) of each API summary request; bigger transcripts are summarized in chunks (docs/api.md).',
    'handoff.summary_max_tokens': 'Output cap of each API summary request.',
    'api.models': "The model chain for cc-guard's own API calls, tried in order, then the offline handoff: model ids, or tables for Bedrock/Vertex (docs/api.md).",
    'api.base_url': 'The Anthropic API endpoint (`""`: `$ANTHROPIC_BASE_URL`, else the API\'s own). User config file only.',
    'api.connect_timeout_seconds': 'Opening the TCP/TLS connection.',
    'api.first_byte_timeout_seconds': "From sending a request to the response's status line.",
    'api.idle_timeout_seconds': 'The longest silence between two stream events.',
    'api.attempt_timeout_seconds': 'One attempt in all (a stream that keeps dripping).',
    'api.server_error_retries': 'Retries of a 500/502/503 on the same model before the next.',
    'api.backoff_base_seconds': 'Full-jitter backoff between those retries: uniform in [0, min(cap, base x 2^n)].',
    'api.backoff_cap_seconds': 'The longest backoff.',
    'api.max_retry_after_seconds': 'The longest `retry-after` a 429 is waited for; longer goes to the next model.',
    'api.circuit_cooldown_seconds': 'How long a model is left alone after a 529 (doubling on each further 529).',
    'api.circuit_max_cooldown_seconds': 'The longest cooldown; then one half-open probe.',
    'doctor.status_url': 'The Statuspage `summary.json` doctor reads; `""` skips it. User config file only.',
    'doctor.timeout_seconds': '`cc-guard doctor` answers within this, whatever its probes do (at most 60).',
    'doctor.incident_window_minutes': 'How far back local incidents count as evidence.',
    "checkpoints.enabled": "Take checkpoints at all.",
    "checkpoints.exclude": "Never checkpointed, even when git tracks them (secrets). A pattern without `/` matches the file name at any depth, one with `/` the path from the top of the work tree. Setting it replaces the default list.",
    "checkpoints.extra_tools": "More tool names (e.g. MCP tools) whose PostToolUse takes a checkpoint. They join the installed matcher: run `cc-guard install` again after changing it.",
    "checkpoints.max_file_mb": "Files bigger than this (MiB) are left out of checkpoints.",
    "checkpoints.time_budget_seconds": "Wall time one checkpoint may take inside a hook; past it the checkpoint is abandoned and recorded as an incident.",
    "backup.remote": 'A git remote (a name from `git remote`, not a URL) that the pre-push hook also pushes `refs/cc-guard/*` to; `""` never. User file only.',
    "git.commit_trailer": "Install (with `--git-hooks`) the prepare-commit-msg hook that adds the session trailers to your commits.",
    "context.warn_percent": "Context fill at which the statusline shows `(!)`.",
    "context.windows": 'Model id -> context window in tokens, e.g. `{ "claude-opus-5-5" = 1000000 }`; overrides the built-in table.',
    "handoff.summarizer": "How handoffs are summarised: `offline` (deterministic, no network); `api` and `auto` are accepted and fall back to offline for now. Same as `cc-guard handoff --summarizer`.",
}


class NotesError(Exception):
    """A field or key has no note, or a note names something that does not exist."""


def _check_notes(found: list[str], notes: dict[str, str], where: str, prefixes: tuple[str, ...] = ()) -> None:
    missing = [name for name in found if name not in notes]
    stale = [
        name
        for name in notes
        if name not in found and (not prefixes or name.split(".")[0] in prefixes)
    ]
    if missing or stale:
        lines = [f"docs/generate.py {where}:"]
        lines += [f"  no note for {name!r}: add one" for name in missing]
        lines += [f"  note for {name!r}, which no longer exists: remove it" for name in stale]
        raise NotesError("\n".join(lines))


# ----------------------------------------------------------------------------- JSON fields


def _type_text(hint: Any) -> str:
    """A JSON reader's name for a Python type hint."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        parts = [a for a in typing.get_args(hint) if a is not type(None)]
        text = " or ".join(_type_text(a) for a in parts)
        return text + " or null" if len(parts) < len(typing.get_args(hint)) else text
    if origin is list:
        (item,) = typing.get_args(hint)
        return f"list of {_type_text(item)}s"
    if origin is dict:
        key, value = typing.get_args(hint)
        return f"object ({_type_text(key)} -> {_type_text(value)})"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "string: " + ", ".join(f"`{m.value}`" for m in hint)
    if dataclasses.is_dataclass(hint):
        return "object"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", Any: "any JSON"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _dataclass_of(hint: Any) -> type | None:
    """The dataclass a field holds (itself, or as list items, possibly optional)."""
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and dataclasses.is_dataclass(candidate):
            return candidate
    return None


def _field_rows(cls: type, names: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(note key, shown name, type) for ``cls``'s fields (only ``names`` when given),
    nested ones after their parent: ``tokens.input_tokens``, ``compactions[].time``."""
    hints = typing.get_type_hints(cls)
    rows: list[tuple[str, str, str]] = []
    for f in dataclasses.fields(cls):
        if names is not None and f.name not in names:
            continue
        hint = hints[f.name]
        rows.append((f.name, f.name, _type_text(hint)))
        inner = _dataclass_of(hint)
        if inner is not None:
            shown = f"{f.name}[]" if typing.get_origin(hint) is list else f.name
            rows += [
                (f"{f.name}.{key}", f"{shown}.{name}", text) for key, name, text in _field_rows(inner)
            ]
    return rows


def _checkpoint_keys() -> list[str]:
    """The keys ``status`` puts in ``checkpoints`` (asked of the code, not spelled here)."""
    keys = list(checkpoint_summary(SessionModel(session_id="x", transcript_path="x")))
    if set(keys) != set(CHECKPOINT_TYPES):
        raise NotesError(
            "docs/generate.py CHECKPOINT_TYPES: the checkpoints object has the keys "
            f"{keys}; give each a type there"
        )
    return keys


def _table(rows: list[tuple[str, str, str]], notes: dict[str, str]) -> str:
    out = ["| field | type | meaning |", "|---|---|---|"]
    out += [f"| `{shown}` | {text} | {notes[key]} |" for key, shown, text in rows]
    return "\n".join(out)


def _view_fields() -> list[str]:
    """The row fields the views add (asked of the code, not spelled here)."""
    keys = list(context_summary(SessionModel(session_id="x", transcript_path="x")))
    if set(keys) != set(VIEW_FIELD_TYPES):
        raise NotesError(
            f"docs/generate.py VIEW_FIELD_TYPES: the views add the fields {keys}; give each a type there"
        )
    return keys


def sessions_json() -> str:
    fields = {f.name for f in dataclasses.fields(SessionModel)}
    unknown = [name for name in SUMMARY_FIELDS if name not in fields and name not in _view_fields()]
    if unknown:
        raise NotesError(f"SUMMARY_FIELDS names {unknown}, which SessionModel does not have")
    by_name = {row[0]: row for row in _field_rows(SessionModel)}
    by_name.update({name: (name, name, VIEW_FIELD_TYPES[name]) for name in _view_fields()})
    rows = [by_name[name] for name in SUMMARY_FIELDS]
    _check_notes([key for key, _, _ in rows], FIELD_NOTES, "FIELD_NOTES", tuple(SUMMARY_FIELDS))
    return _table(rows, FIELD_NOTES)


def status_json() -> str:
    model_rows = _field_rows(SessionModel)
    rows = [r for r in model_rows if r[0].split(".")[0] not in SUMMARY_FIELDS]
    rows.append(("checkpoints", "checkpoints", "object"))
    rows += [(f"checkpoints.{k}", f"checkpoints.{k}", CHECKPOINT_TYPES[k]) for k in _checkpoint_keys()]
    rows.append(("context", "context", "object"))
    for key, shown, text in _field_rows(ContextReport):
        rows.append((f"context.{key}", f"context.{shown}", text))
        if key == "auto_compact":
            keys = list(auto_compact(1_000_000).to_json())
            if set(keys) != set(AUTO_COMPACT_TYPES):
                raise NotesError(f"docs/generate.py AUTO_COMPACT_TYPES: the keys are {keys}")
            rows += [
                (f"context.auto_compact.{k}", f"context.auto_compact.{k}", AUTO_COMPACT_TYPES[k])
                for k in keys
            ]
    rows.append(("compaction_reports", "compaction_reports", "list of objects"))
    rows += [
        (f"compaction_reports.{k}", f"compaction_reports[].{k}", t) for k, t in REPORT_TYPES.items()
    ]
    rows.append(("compaction_notice", "compaction_notice", "object or null"))
    rows += [(f"compaction_notice.{k}", f"compaction_notice.{k}", t) for k, t in NOTICE_TYPES.items()]
    every = {key for key, _, _ in model_rows} | {key for key, _, _ in rows} | set(_view_fields())
    _check_notes(sorted(every), FIELD_NOTES, "FIELD_NOTES")
    return _table(rows, FIELD_NOTES)


# ----------------------------------------------------------------------------- config


def _accepts(checker: Callable[[Any], Any]) -> str:
    """What the loader accepts for a key: its checker's own words for a wrong value."""
    try:
        checker(object())
    except ValueError as exc:
        return str(exc)
    raise NotesError(f"{checker.__name__} accepted any value; it must say what it expects")


def config_keys() -> str:
    rows: list[tuple[str, str, str]] = []
    for name, section in SECTIONS.items():
        defaults = section().values()
        checkers = CHECKERS.get(name, {})
        for key, value in defaults.items():
            if key not in checkers:
                raise NotesError(f"[{name}] {key} has a default but no checker in config/load.py")
            if isinstance(value, tuple):
                value = list(value)
            rows.append((f"{name}.{key}", _toml(value), _accepts(checkers[key])))
    _check_notes([r[0] for r in rows], CONFIG_NOTES, "CONFIG_NOTES")
    out = ["| key | default | accepts | meaning |", "|---|---|---|---|"]
    for key, default, accepts in rows:
        out.append(f"| `{key}` | `{default}` | {accepts} | {CONFIG_NOTES[key]} |")
    return "\n".join(out)


# ----------------------------------------------------------------------------- help


def _help_of(command: click.Command, name: str, parent: click.Context | None) -> list[str]:
    ctx = click.Context(
        command,
        info_name=name,
        parent=parent,
        terminal_width=HELP_WIDTH,
        max_content_width=HELP_WIDTH,
    )
    title = ctx.command_path
    out = [f"### `{title}`", "", "```text", command.get_help(ctx).rstrip(), "```", ""]
    if isinstance(command, click.Group):
        for sub in command.list_commands(ctx):
            found = command.get_command(ctx, sub)
            if found is not None:
                out += _help_of(found, sub, ctx)
    return out


def help_text() -> str:
    root = click.Context(
        cli_group, info_name="cc-guard", terminal_width=HELP_WIDTH, max_content_width=HELP_WIDTH
    )
    out = ["### `cc-guard`", "", "```text", cli_group.get_help(root).rstrip(), "```", ""]
    for name in COMMANDS:
        command = cli_group.get_command(root, name)
        if command is None:
            raise NotesError(f"cc_guard.cli.COMMANDS names {name!r}, which does not load")
        out += _help_of(command, name, root)
    return "\n".join(out).rstrip()


# ----------------------------------------------------------------------------- blocks

#: file under docs/ -> the blocks it holds.
BLOCKS: dict[str, dict[str, Callable[[], str]]] = {
    "sessions.md": {"sessions-json": sessions_json, "status-json": status_json},
    "config.md": {"config-keys": config_keys},
    "commands.md": {"help": help_text},
}


def begin(name: str) -> str:
    return f"<!-- BEGIN GENERATED: {name} (python docs/generate.py) -->"


def end(name: str) -> str:
    return f"<!-- END GENERATED: {name} -->"


def render(text: str, blocks: dict[str, Callable[[], str]], where: str) -> str:
    """``text`` with each named block replaced by what the code says now."""
    for name, make in blocks.items():
        start, stop = begin(name), end(name)
        head, found, rest = text.partition(start + "\n")
        _old, found_end, tail = rest.partition(stop)
        if not found or not found_end:
            raise NotesError(f"{where}: no block {name!r} (add the lines {start} and {stop})")
        text = f"{head}{start}\n{make()}\n{stop}{tail}"
    return text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 with a diff when a doc is stale")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="the docs directory")
    args = parser.parse_args(argv)
    stale = 0
    for filename, blocks in BLOCKS.items():
        path = args.docs / filename
        try:
            old = path.read_text(encoding="utf-8")
            new = render(old, blocks, str(path))
        except (OSError, NotesError) as exc:
            print(f"docs/generate.py: {exc}", file=sys.stderr)
            return 2
        if new == old:
            continue
        if args.check:
            stale += 1
            diff = difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                f"{path} (on disk)",
                f"{path} (as the code says)",
            )
            sys.stdout.writelines(diff)
        else:
            path.write_text(new, encoding="utf-8")
            print(f"rewrote {path}")
    if stale:
        print(
            f"\ndocs/generate.py: {stale} file(s) out of date with the code; "
            "run `python docs/generate.py` (make docs) and commit the result.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
