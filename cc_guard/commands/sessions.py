"""``cc-guard sessions`` and ``cc-guard status``: views over the transcript engine."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import click

from cc_guard.transcripts.engine import Engine
from cc_guard.transcripts.model import SessionModel
from cc_guard.views.sessions import (
    SUMMARY_FIELDS,
    ago,
    context_text,
    home_relative,
    list_json,
    render_table,
    summary,
    tokens_text,
)

__all__ = ["SUMMARY_FIELDS", "sessions", "status", "summary"]


def _engine() -> Engine:
    from cc_guard.cli import UserError

    engine = Engine()
    if not engine.claude_dir.is_dir():
        raise UserError(
            f"Claude Code directory not found: {engine.claude_dir} "
            "(run Claude Code once, or set CLAUDE_CONFIG_DIR)"
        )
    try:
        engine.state_dir  # noqa: B018 - creates it: fail here in one line, not mid-listing
    except OSError as exc:
        raise UserError(
            f"cannot use cc-guard's state directory {exc.filename or ''}: "
            f"{exc.strerror or exc} (check CC_GUARD_HOME)"
        ) from None
    return engine


def _same_dir(a: str | None, b: Path) -> bool:
    if not a:
        return False
    return os.path.realpath(a) == os.path.realpath(b)


def _context(session: SessionModel) -> str:
    return context_text(session.context_tokens, session.context_percent, session.context_window)


@click.command("sessions")
@click.option(
    "--json", "as_json", is_flag=True, help="Machine-readable output (documented in README)."
)
@click.option(
    "--project", type=click.Path(path_type=Path), help="Only sessions whose project is PATH."
)
@click.option(
    "--watch",
    is_flag=True,
    help="Stay running and print the list again whenever a session changes "
    "(with --json: one JSON document per line). Ctrl-C stops.",
)
def sessions(as_json: bool, project: Path | None, watch: bool = False) -> int:
    """List Claude Code sessions, newest first."""
    if watch:
        return _watch(as_json, project)
    found, everything = list_json(_engine())
    if project is not None:
        found = [s for s in found if _same_dir(s.project_dir, project)]
    if as_json:
        if project is None:
            click.echo(everything)
        else:
            click.echo(json.dumps({"sessions": [summary(s) for s in found]}))
        return 0
    click.echo(render_table([summary(s) for s in found], time.time()))
    return 0


def _watch(as_json: bool, project: Path | None) -> int:
    """Re-print the list on every change the watcher reports (live, via watchdog)."""
    import sys
    import threading

    from cc_guard.transcripts.watch import SessionWatcher

    clear = not as_json and sys.stdout.isatty()

    def show(models: list[SessionModel]) -> None:
        if project is not None:
            models = [s for s in models if _same_dir(s.project_dir, project)]
        rows = [summary(s) for s in models]
        if as_json:
            click.echo(json.dumps({"sessions": rows}))
        else:
            if clear:
                click.clear()
            click.echo(render_table(rows, time.time()))
            click.echo("")
        sys.stdout.flush()

    import contextlib

    with SessionWatcher(_engine(), show), contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    return 0


@click.command("status")
@click.argument("session", required=False)
@click.option(
    "--json", "as_json", is_flag=True, help="Machine-readable output (documented in README)."
)
def status(session: str | None, as_json: bool) -> int:
    """Show one session in full (SESSION: id or unique prefix; default: newest in this directory)."""
    from cc_guard.cli import UserError

    engine = _engine()
    if session:
        try:
            found = engine.find(session)
        except LookupError as exc:
            raise UserError(str(exc)) from None
    else:
        cwd = Path.cwd()
        here = [s for s in engine.refresh(brief=True) if _same_dir(s.project_dir, cwd)]
        if not here:
            raise UserError(f"no session for {cwd}; pass a session id (see cc-guard sessions)")
        found = engine.find(here[0].session_id)
    checkpoints = _checkpoints(found)
    if as_json:
        data = found.to_json()
        data["checkpoints"] = checkpoints
        click.echo(json.dumps(data, indent=2))
        return 0
    # Lone surrogates (JavaScript cut a string mid-emoji; JSON escapes keep them)
    # cannot be written as UTF-8: print U+FFFD in their place (pairs are joined).
    text = _render(found, checkpoints)
    click.echo(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))
    return 0


def _checkpoints(s: SessionModel) -> dict[str, object]:
    """The session's checkpoint chain in its project (a note when there can be none)."""
    project = Path(s.project_dir) if s.project_dir else None
    if project is None or not project.is_dir():
        return {
            "repo": False,
            "ref": None,
            "count": 0,
            "latest": None,
            "latest_time": None,
            "note": "project directory not found: no checkpoints",
        }
    from cc_guard.checkpoints.history import checkpoint_summary

    return checkpoint_summary(project, s.session_id)


def _render(s: SessionModel, checkpoints: dict[str, object]) -> str:
    now = time.time()
    t = s.tokens
    lines = [
        f"session   {s.session_id}",
        f"project   {home_relative(s.project_dir)}"
        + (f"  (branch {s.git_branch})" if s.git_branch else ""),
        f"model     {s.model or '-'}   Claude Code {s.version or '?'}",
        f"state     {s.state.value} - {s.state_reason or ''}",
        f"context   {_context(s)} (window from {s.context_source})",
        f"activity  {s.first_activity or '-'} .. {s.last_activity or '-'} ({ago(s.last_activity, now)})",
        f"turns     {s.turns} prompts, {s.api_calls} API responses",
        f"tokens    in {t.input_tokens}, out {t.output_tokens}, "
        f"cache write {t.cache_creation_input_tokens}, cache read {t.cache_read_input_tokens}",
        f"file      {s.transcript_path}",
        f"git       {checkpoints['note']}"
        + (f" (newest {str(checkpoints['latest'])[:10]})" if checkpoints.get("latest") else ""),
    ]
    if s.compactions:
        lines.append(f"\ncompactions ({len(s.compactions)})")
        lines += [
            f"  {c.time or '-'}  {c.trigger or '?'}  before: {tokens_text(c.pre_tokens)}"
            for c in s.compactions
        ]
    if s.incidents:
        lines.append(f"\nincidents ({len(s.incidents)}, newest last)")
        for i in s.incidents[-10:]:
            outcome = {True: "final", False: "retried ok", None: "retrying"}[i.final]
            attempt = (
                f" attempt {i.retry_attempt}/{i.max_retries or '?'}" if i.retry_attempt else ""
            )
            lines.append(
                f"  {i.time or '-'}  {i.kind.value} {i.status or ''}{attempt}  {outcome}  {i.source}"
            )
    if s.todos:
        lines.append("\ntodos")
        lines += [f"  [{todo.status}] {todo.content}" for todo in s.todos]
    if s.files_touched:
        lines.append(f"\nfiles touched ({len(s.files_touched)})")
        lines += [f"  {f.path}  ({', '.join(f.tools)})" for f in s.files_touched[-20:]]
    if s.pending_tool_calls:
        lines.append("\ntool calls without a result")
        lines += [f"  {c.time or '-'}  {c.name}  {c.id}" for c in s.pending_tool_calls]
    if s.prompts:
        lines.append(f"\nprompts ({len(s.prompts)}, last 5)")
        lines += [f"  {p.time or '-'}  {_one_line(p.text)}" for p in s.prompts[-5:]]
    if s.last_assistant_text:
        lines.append("\nlast assistant text")
        lines.append(f"  {_one_line(s.last_assistant_text, 300)}")
    if s.subagents:
        lines.append(f"\nsubagents ({len(s.subagents)})")
        lines += [f"  {p}" for p in s.subagents]
    st = s.stats
    skipped = st.malformed_lines + st.non_utf8_lines + st.oversized_lines
    if skipped or st.unknown_record_types or st.unknown_fields:
        unknown = ", ".join(f"{k} x{v}" for k, v in sorted(st.unknown_record_types.items()))
        fields = ", ".join(sorted(st.unknown_fields))
        lines.append(
            f"\nskipped lines: {st.malformed_lines} malformed, {st.non_utf8_lines} non-UTF-8, "
            f"{st.oversized_lines} oversized"
            + (f"; unknown record types: {unknown}" if unknown else "")
            + (f"; unknown fields: {fields}" if fields else "")
        )
    return "\n".join(lines)


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
