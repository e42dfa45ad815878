"""``cc-guard checkpoints | diff | restore | prune``: reading and using checkpoints."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from cc_guard.commands.errors import UserError
from cc_guard.views.fmt import plural, short_sha, when


def _toplevel_relative(paths: tuple[str, ...]) -> list[str]:
    from cc_guard.checkpoints.history import user_git

    repo, _ = user_git(Path.cwd())
    out = []
    for p in paths:
        absolute = Path(os.path.abspath(p))
        try:
            out.append(
                str(absolute.relative_to(repo.toplevel)) if absolute != repo.toplevel else ""
            )
        except ValueError:
            raise UserError(f"{p} is outside the repository {repo.toplevel}") from None
    return [p for p in out if p] or []


@click.command("checkpoints")
@click.argument("session", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def checkpoints(session: str | None, as_json: bool) -> int:
    """List a session's checkpoints, newest first (default: the newest session)."""
    from cc_guard.checkpoints.history import SAFETY_EVENTS, list_checkpoints, resolve_session

    try:
        ref = resolve_session(Path.cwd(), session)
    except LookupError as exc:
        raise UserError(str(exc)) from None
    chain = list_checkpoints(Path.cwd(), ref.session_id)
    if as_json:
        doc = {
            "session_id": ref.session_id,
            "ref": f"refs/cc-guard/{ref.session_id}",
            "checkpoints": [
                {
                    "id": cp.short,
                    "sha": cp.sha,
                    "time": cp.time.isoformat(),
                    "event": cp.event,
                    "tool": cp.tool,
                    "files": cp.files,
                    "parent": cp.parent,
                    "partial": cp.partial,
                }
                for cp in chain
            ],
        }
        click.echo(json.dumps(doc, indent=2))
        return 0
    click.echo(
        f"session {ref.session_id}  "
        f"(refs/cc-guard/{ref.session_id}, {plural(len(chain), 'checkpoint')})"
    )
    for cp in chain:
        files = ", ".join(cp.files[:3]) + (f" (+{len(cp.files) - 3})" if len(cp.files) > 3 else "")
        event = cp.event + (" (safety)" if cp.event in SAFETY_EVENTS else "")
        event += " (partial)" if cp.partial else ""
        click.echo(
            f"{short_sha(cp.sha)}  {when(cp.time)}  {event:<21} {cp.tool or '-':<12} {files}"
        )
    return 0


@click.command("diff")
@click.argument("checkpoint")
@click.argument("paths", nargs=-1)
@click.option("--stat", is_flag=True, help="Summary of changed files only.")
def diff(checkpoint: str, paths: tuple[str, ...], stat: bool) -> int:
    """Diff CHECKPOINT against the work tree, or CHECKPOINT..CHECKPOINT."""
    from cc_guard.checkpoints.diff import diff_text
    from cc_guard.git import GitError

    try:
        out = diff_text(Path.cwd(), checkpoint, paths, stat=stat, color=sys.stdout.isatty())
    except (LookupError, GitError) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:  # the state dir holds the scratch index
        raise UserError(f"cannot use cc-guard's state dir: {exc}") from None
    sys.stdout.buffer.write(out)
    return 0


@click.command("restore")
@click.argument("checkpoint", required=False)
@click.argument("paths", nargs=-1)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--undo", is_flag=True, help="Undo the last restore in this repository.")
def restore(checkpoint: str | None, paths: tuple[str, ...], yes: bool, undo: bool) -> int:
    """Write a checkpoint's files into the work tree (HEAD, index and branches untouched).

    CHECKPOINT is a sha, a session id or prefix (its newest checkpoint), or
    SESSION~N (N checkpoints of the session's work back). Shows the plan and asks
    first; going ahead checkpoints the current state, so `cc-guard restore --undo`
    puts it back. Files the checkpoint lacks are removed only if the session created
    them.
    """
    from cc_guard.checkpoints import restore as r
    from cc_guard.git import GitError

    cwd = Path.cwd()
    try:
        if undo:
            if checkpoint:
                raise UserError("--undo takes no CHECKPOINT")
            plan, record = r.plan_undo(cwd)
        else:
            if not checkpoint:
                raise UserError(
                    "give a CHECKPOINT to restore (see `cc-guard checkpoints`), or --undo"
                )
            plan = r.plan_restore(cwd, checkpoint, _toplevel_relative(paths) or None)
            record = {}
    except (LookupError, GitError) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:  # the plan's scratch index lives in the state dir
        raise UserError(f"cannot use cc-guard's state dir, nothing was restored: {exc}") from None
    what = "undo the restore" if undo else f"restore {short_sha(plan.target)}"
    if not plan.changes:
        click.echo(f"Nothing to {what}: the work tree already matches.")
        _show_kept(plan)
        return 0
    click.echo(f"To {what} (session {plan.session_id}):")
    for path in plan.written:
        click.echo(f"  {'create' if path in plan.created else 'write '}  {path}")
    for path in plan.deleted:
        click.echo(f"  delete  {path}")
    _show_kept(plan)
    if not yes and not click.confirm("Go ahead?", default=False):
        click.echo("Nothing changed.")
        return 1
    try:
        if undo:
            r.apply_undo(cwd, plan, record)
        else:
            r.apply_restore(cwd, plan)
    except r.NotRestored as exc:
        raise UserError(f"nothing was restored: {exc}") from None
    except (OSError, GitError) as exc:
        hint = "" if undo else "; `cc-guard restore --undo` puts back what it changed"
        raise UserError(f"restore stopped: {exc}{hint}") from None
    click.echo(
        f"Done: {len(plan.written)} written, {len(plan.deleted)} deleted. "
        f"The state before is checkpoint {short_sha(plan.safety)}"
        + ("." if undo else "; `cc-guard restore --undo` goes back to it.")
    )
    return 0


def _show_kept(plan: object) -> None:
    kept = getattr(plan, "kept", [])
    if kept:
        click.echo(
            f"Kept (not created by this session, or changed since): {plural(len(kept), 'file')}"
        )
        for path in kept[:20]:
            click.echo(f"  keep    {path}")
    skipped = getattr(plan, "skipped", [])
    if skipped:
        click.echo(
            f"Not overwritten (ignored, excluded or behind a symlink, so no undo): "
            f"{plural(len(skipped), 'file')}"
        )
        for path in skipped[:20]:
            click.echo(f"  skip    {path}")


@click.command("prune")
@click.option(
    "--older-than",
    "older_than",
    type=float,
    default=None,
    metavar="DAYS",
    help="Drop sessions whose newest checkpoint is older than DAYS days.",
)
@click.option(
    "--keep-last", type=int, default=None, metavar="N", help="Keep the N newest sessions."
)
@click.option(
    "--session", default=None, metavar="ID", help="Drop exactly this session (id or prefix)."
)
@click.option("--dry-run", is_flag=True, help="Report what would go, change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def prune(
    older_than: float | None,
    keep_last: int | None,
    session: str | None,
    dry_run: bool,
    as_json: bool,
) -> int:
    """Drop old checkpoint refs and private indexes (default: older than 30 days)."""
    from cc_guard.checkpoints.prune import prune as do_prune

    if older_than is None and keep_last is None and session is None:
        older_than = 30.0
    try:
        result = do_prune(Path.cwd(), older_than, keep_last, session, dry_run)
    except LookupError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot use cc-guard's state dir: {exc}") from None
    if as_json:
        click.echo(json.dumps(result.__dict__ | {"dry_run": dry_run}, indent=2))
        return 0
    verb = "Would drop" if dry_run else "Dropped"
    click.echo(
        f"{verb} {plural(len(result.sessions), 'session ref')} with "
        f"{plural(result.checkpoints, 'checkpoint')} and "
        f"{plural(result.index_files, 'private index file')} ({result.index_bytes / 1024:.0f} KiB); "
        f"{plural(result.kept_sessions, 'session')} kept."
    )
    for sid in result.sessions:
        click.echo(f"  refs/cc-guard/{sid}")
    if result.sessions and not dry_run:
        click.echo("Their objects become unreachable; git's next gc reclaims the space.")
    if result.temp_files:
        click.echo(
            f"{'Would remove' if dry_run else 'Removed'} {len(result.temp_files)} temp file(s) "
            "killed processes left behind (git temp objects, cc-guard temp files)."
        )
    return 0
