"""``cc-guard compact``: compact a session now, and say what was done or why not.

The same action the Stop hook takes past ``[compact] auto_percent`` and the dashboard
offers (:func:`cc_guard.compaction.compact_session`): a checkpoint and the handoff
first, then ``/compact <focus>`` typed into the session's tmux pane once it is idle,
or, for a session no Claude Code process holds, ``claude -p "/compact <focus>"
--resume <id>``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cc_guard.commands.errors import UserError
from cc_guard.transcripts.model import SessionModel


def _session(session: str | None) -> SessionModel:
    from cc_guard.commands.sessions import _engine, _same_dir

    engine = _engine()
    if session:
        try:
            return engine.find(session)
        except LookupError as exc:
            raise UserError(str(exc)) from None
    cwd = Path.cwd()
    here = [s for s in engine.refresh(brief=True) if _same_dir(s.project_dir, cwd)]
    if not here:
        raise UserError(f"no session for {cwd}; pass a session id (see cc-guard sessions)")
    return engine.find(here[0].session_id)


@click.command("compact")
@click.argument("session", required=False)
@click.option(
    "--via",
    type=click.Choice(["auto", "tmux", "headless"]),
    default="auto",
    show_default=True,
    help="tmux: type /compact into the session's tmux pane (once it is idle); headless: "
    "claude -p /compact --resume (only when no Claude Code process holds the session); "
    "auto: tmux for a live session, headless for a stopped one.",
)
@click.option(
    "--focus",
    default=None,
    help="What the summary must keep (one line). Default: built from the handoff: the "
    "latest request, the files being changed, the todo in progress, the next step.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be done; type and run nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result (docs/context.md).")
def compact(session: str | None, via: str, focus: str | None, dry_run: bool, as_json: bool) -> int:
    """Compact SESSION's context now (an id or unique prefix; default: the newest session
    of the current directory)."""
    from cc_guard.compaction.action import compact_session

    if focus is not None and ("\n" in focus or "\r" in focus or not focus.strip()):
        raise UserError("--focus must be one non-empty line")
    found = _session(session)

    def progress(line: str) -> None:
        if not as_json:
            click.echo(f"cc-guard: {line}", err=True)

    result = compact_session(found, via=via, focus=focus, dry_run=dry_run, progress=progress)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        plan = result.plan
        click.echo(f"session   {found.session_id}")
        click.echo(f"how       {plan.via or '-'}: {plan.why}")
        click.echo(f"focus     {plan.focus or '(none: no key facts yet)'}")
        if plan.via is not None or dry_run:
            click.echo(f"command   {plan.command}")
        click.echo(("dry run   " if dry_run else "result    ") + result.message)
    if dry_run:
        return 0
    return 0 if result.ok else 1
