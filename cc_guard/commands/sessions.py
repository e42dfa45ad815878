"""``cc-guard sessions`` and ``cc-guard status``: views over the transcript engine."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import click

from cc_guard.commands.errors import UserError
from cc_guard.state import errors
from cc_guard.transcripts.engine import Engine
from cc_guard.transcripts.model import SessionModel
from cc_guard.views import cache
from cc_guard.views.sessions import render_table, summary
from cc_guard.views.status import (
    checkpoint_summary,
    compaction_notice,
    compaction_reports,
    context_report,
    render_status,
)


def _engine() -> Engine:
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


def _note(engine: Engine) -> None:
    note = cache.index_note(engine)
    if note is not None:
        click.echo(note, err=True)


def _same_dir(a: str | None, b: Path) -> bool:
    if not a:
        return False
    return os.path.realpath(a) == os.path.realpath(b)


@click.command("sessions")
@click.option(
    "--json", "as_json", is_flag=True, help="Machine-readable output (fields: docs/sessions.md)."
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
    engine = _engine()
    found, everything = cache.refresh(engine)
    _note(engine)
    if project is not None:
        found = [s for s in found if _same_dir(s.project_dir, project)]
    if as_json:
        if project is None:
            click.echo(everything)
        else:
            click.echo(json.dumps({"sessions": [summary(s) for s in found]}))
        return 0
    click.echo(render_table([summary(s) for s in found], time.time(), _projects(engine)))
    return 0


def _projects(engine: Engine) -> str:
    return str(engine.claude_dir / "projects")


def _watch(as_json: bool, project: Path | None) -> int:
    """Print the list again whenever it changes (live, via watchdog): one JSON document a
    line, or on a terminal the table redrawn in place. Nothing changed, nothing printed."""
    import contextlib
    import sys
    import threading

    from cc_guard.transcripts.watch import SessionWatcher

    in_place = not as_json and sys.stdout.isatty()
    engine = _engine()
    shown = {"text": "", "lines": 0}

    def show(models: list[SessionModel]) -> None:
        if project is not None:
            models = [s for s in models if _same_dir(s.project_dir, project)]
        rows = [summary(s) for s in models]
        if as_json:
            text = json.dumps({"sessions": rows})
        else:
            text = render_table(rows, time.time(), _projects(engine))
        if text == shown["text"]:
            return  # a refresh that changed nothing: stay silent
        if in_place and shown["lines"]:
            # Up to the previous table's first line, clear below it, draw the new one.
            sys.stdout.write(f"\x1b[{shown['lines']}F\x1b[J")
        click.echo(text if as_json or in_place else text + "\n")
        sys.stdout.flush()
        shown["text"], shown["lines"] = text, text.count("\n") + 1

    with SessionWatcher(engine, show), contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    return 0


@click.command("status")
@click.argument("session", required=False)
@click.option(
    "--json", "as_json", is_flag=True, help="Machine-readable output (fields: docs/sessions.md)."
)
@click.option(
    "--verbose",
    is_flag=True,
    help="Also show what the transcript holds that cc-guard does not know yet "
    "(record types and fields of newer Claude Code versions).",
)
def status(session: str | None, as_json: bool, verbose: bool = False) -> int:
    """Show one session in full (SESSION: id or unique prefix; default: newest in this directory)."""
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
            raise UserError(
                f"no Claude Code session for {cwd} in {_projects(engine)}: run `claude` here, "
                "or name a session (cc-guard sessions lists them)"
            )
        found = engine.find(here[0].session_id)
    _note(engine)
    checkpoints = checkpoint_summary(found)
    context = context_report(found)
    reports = compaction_reports(found)
    if as_json:
        data = found.to_json()
        data.update(summary(found))
        data["checkpoints"] = checkpoints
        data["context"] = context.to_json()
        data["compaction_reports"] = reports
        data["compaction_notice"] = compaction_notice(found)
        click.echo(json.dumps(data, indent=2))
        return 0
    # Lone surrogates (JavaScript cut a string mid-emoji; JSON escapes keep them)
    # cannot be written as UTF-8: print U+FFFD in their place (pairs are joined).
    problems = errors.failing(str(engine.state_dir))
    text = render_status(
        found, checkpoints, time.time(), problems, verbose=verbose, context=context, reports=reports
    )
    click.echo(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))
    return 0
