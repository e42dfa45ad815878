"""``cc-guard handoff`` and ``cc-guard resume``: snapshot a session, then continue or rebuild it.

``resume`` runs the real ``claude`` executable: ``$CC_GUARD_CLAUDE`` when set, else
``claude`` on PATH.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import click

from cc_guard.base.claude import CLAUDE_BIN_ENV, claude_executable
from cc_guard.commands.errors import UserError
from cc_guard.handoff import render, store
from cc_guard.handoff import resume as resume_plan
from cc_guard.handoff.assemble import Handoff
from cc_guard.transcripts.locate import SessionNotFound, find_transcript
from cc_guard.views.fmt import plural, short_sha

# ----------------------------------------------------------------------------- sessions


def _find(session: str | None) -> Path:
    try:
        return find_transcript(session)
    except SessionNotFound as exc:
        raise UserError(str(exc)) from None


def _write(transcript: Path) -> tuple[Handoff, store.Written]:
    """Rebuild the handoff now (never trust one a hook may still be writing)."""
    from cc_guard.handoff.worker import build_lock

    try:
        with build_lock(transcript.stem):  # a worker's older build cannot land after ours
            written = store.write_handoff(transcript, force=True, require_records=True)
    except store.NoRecords as exc:
        raise UserError(f"{exc} Is it damaged?") from exc
    assert written.handoff is not None
    return written.handoff, written


# ----------------------------------------------------------------------------- handoff


@click.command("handoff")
@click.argument("session", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json", "short"]),
    default="md",
    show_default=True,
    help="md: the full Markdown; json: structured; short: the <= 8,000-character injectable form.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "--summarizer",
    type=click.Choice(["offline", "api", "auto"]),
    default=None,
    help="offline: deterministic, no network. api: a model of [api] models writes the "
    "narrative (offline when none can). auto: the API when it is usable and its circuit "
    "is closed, else offline. Default: [handoff] summarizer in the config (offline).",
)
def handoff(session: str | None, fmt: str, as_json: bool, summarizer: str | None) -> int:
    """Write SESSION's working-state snapshot to the state dir and print it.

    SESSION is an id or unique prefix; without it, the newest session of the current
    directory. Files: <state dir>/handoff/<session-id>.md and .json (secrets redacted).
    """
    from cc_guard.config.load import load_config_safe

    config = load_config_safe(Path.cwd())
    summarizer = summarizer or config.handoff.summarizer
    transcript = _find(session)
    h, written = _write(transcript)
    if _checkpoint_if_interrupted(h):
        h, written = _write(transcript)  # name the checkpoint just taken
    fmt = "json" if as_json else fmt
    if summarizer == "offline":
        click.echo(render.render(h, fmt), nl=False)
    else:
        from cc_guard.handoff.summary_render import for_command

        text, note = for_command(h, transcript, summarizer, fmt, config)
        click.echo(text, nl=False)
        click.echo(f"cc-guard: {note}.", err=True)
    click.echo(f"cc-guard: wrote {written.md_path} and {written.json_path}", err=True)
    return 0


def _checkpoint_if_interrupted(h: Handoff) -> bool:
    """An interruption no hook saw (the process died): keep the working tree now.

    True when a new checkpoint was taken.
    """
    if not h.health.interrupted or not h.project:
        return False
    try:
        from cc_guard.checkpoints import take_checkpoint

        return take_checkpoint(Path(h.project), h.session_id, "Interrupted") is not None
    except Exception as exc:  # a project that is not a repo, or git trouble: the handoff stands
        click.echo(f"cc-guard: no checkpoint taken ({type(exc).__name__}: {exc}).", err=True)
        return False


# ----------------------------------------------------------------------------- resume


@click.command("resume", context_settings={"ignore_unknown_options": True})
@click.argument("session", required=False)
@click.option(
    "--mode", type=click.Choice(["auto", "continue", "fresh"]), default="auto", show_default=True
)
@click.option(
    "--print",
    "print_only",
    is_flag=True,
    help="Print the exact command (and the seed, as shell comments) instead of running them.",
)
@click.option(
    "--restore-files",
    is_flag=True,
    help="Also restore the working tree from the newest checkpoint (undoable).",
)
@click.argument("claude_args", nargs=-1, type=click.UNPROCESSED)
def resume(
    session: str | None,
    mode: str,
    print_only: bool,
    restore_files: bool,
    claude_args: tuple[str, ...],
) -> int:
    """Resume SESSION after an interruption, or start a fresh session seeded with its handoff.

    continue: `claude --resume <id>` with a prompt saying where the session stopped.
    fresh: a new `claude` whose SessionStart hook (cc-guard's, installed by `cc-guard
    install`) injects the short handoff once. auto: continue when possible, else fresh.
    Arguments after `--` go to claude. The executable is $CC_GUARD_CLAUDE or `claude` on PATH.
    """
    if session and session.startswith("-"):  # `resume -- -p ...`: no SESSION, all for claude
        claude_args, session = (session, *claude_args), None
    transcript = _find(session)
    h, _ = _write(transcript)
    # Mid-turn or waiting at its prompt, a live process still owns the session: a second
    # `claude --resume` on it would write the same transcript.
    if h.health.state == "running" or h.health.process:
        what = h.health.process or "a Claude Code process"
        raise UserError(
            f"session {h.session_id} is still running ({what}); stop it before resuming."
        )
    if print_only:
        binary = resume_plan.shown_binary()
    else:
        try:
            found = claude_executable()
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if found is None:
            raise UserError(f"no claude executable: put it on PATH or set ${CLAUDE_BIN_ENV}.")
        binary = found
    if restore_files and (h.checkpoint is None or not h.project):
        raise UserError(f"session {h.session_id} has no checkpoint to restore.")
    from cc_guard.config.load import load_config_safe
    from cc_guard.handoff.summary_render import seed_for

    config = load_config_safe(Path(h.project) if h.project else Path.cwd())
    plan = resume_plan.plan_resume(
        h, transcript, mode, binary, claude_args, make_seed=lambda h: seed_for(h, transcript, config)
    )
    if plan.healthy:
        click.echo(
            f"cc-guard: session {h.session_id} is healthy ({h.health.state}): its last turn "
            "ended normally, so there is nothing to recover.",
            err=True,
        )
        try:
            go_on = click.confirm("Resume it anyway?", default=False, err=True)
        except click.Abort:  # no answer (stdin closed)
            go_on = False
        if not go_on:
            _forget_seed(plan)
            click.echo("Nothing resumed (--mode continue resumes it without asking).", err=True)
            return 1
    if mode == "auto":
        click.echo(f"cc-guard: resuming with --mode {plan.mode}: {plan.why}.", err=True)
    if plan.seed_note:
        click.echo(f"cc-guard: {plan.seed_note}.", err=True)
    if not print_only and not plan.cwd.is_dir():
        _forget_seed(plan)
        raise UserError(f"the session's project directory {plan.cwd} does not exist any more.")
    if restore_files:
        _restore(h, print_only)
    if print_only:
        click.echo(plan.printable())
        return 0
    env = dict(os.environ)
    env.pop(store.SEED_ENV, None)
    env.update(plan.env)
    try:
        proc = subprocess.run(plan.argv, cwd=plan.cwd, env=env)
    except OSError as exc:  # not executable after all, a bad interpreter line...
        _forget_seed(plan)
        raise UserError(f"could not run {binary}: {exc.strerror or exc}.") from exc
    if plan.seed is not None and _forget_seed(plan):
        click.echo(
            "cc-guard: the new session did not pick up the handoff: is cc-guard's SessionStart "
            "hook installed (cc-guard install)?",
            err=True,
        )
    return proc.returncode


def _forget_seed(plan: resume_plan.ResumePlan) -> bool:
    """Delete the plan's seed if nobody used it; True when it was still there."""
    nonce = plan.env.get(store.SEED_ENV)
    return nonce is not None and store.consume_seed(nonce) is not None


def _restore(h: Handoff, print_only: bool) -> None:
    if h.checkpoint is None or not h.project:
        raise UserError(f"session {h.session_id} has no checkpoint to restore.")
    if print_only:
        click.echo(
            f"# would restore {h.project} from checkpoint {short_sha(h.checkpoint.sha)} "
            "(undo: cc-guard restore --undo)"
        )
        return
    from cc_guard.checkpoints import restore_checkpoint

    result = restore_checkpoint(Path(h.project), h.checkpoint.sha)
    click.echo(
        f"cc-guard: restored {plural(result.changes, 'file')} from {short_sha(h.checkpoint.sha)}; "
        "undo with `cc-guard restore --undo`.",
        err=True,
    )
