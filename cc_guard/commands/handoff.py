"""``cc-guard handoff`` and ``cc-guard resume``: snapshot a session, then continue or rebuild it.

``resume`` runs the real ``claude`` executable: ``$CC_GUARD_CLAUDE`` when set, else
``claude`` on PATH.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import click

from cc_guard.base import paths
from cc_guard.base.redact import redact
from cc_guard.cli import UserError
from cc_guard.handoff import render, store
from cc_guard.handoff.assemble import Handoff, one_line

CLAUDE_ENV = "CC_GUARD_CLAUDE"


# ----------------------------------------------------------------------------- sessions


def find_transcript(session: str | None, cwd: Path | None = None) -> Path:
    """The transcript of ``session`` (an id or unique prefix), or the newest one of ``cwd``'s project."""
    projects = paths.projects_dir()
    if not projects.is_dir():
        raise UserError(f"no Claude Code projects directory at {projects}.")
    if session:
        matches = sorted(p for p in projects.glob(f"*/{_glob_safe(session)}*.jsonl") if p.is_file())
        exact = [p for p in matches if p.stem == session]
        if exact:
            return exact[0]
        ids = sorted({p.stem for p in matches})
        if not ids:
            raise UserError(f"no session matches {session!r}.")
        if len(ids) > 1:
            raise UserError(
                f"{session!r} is ambiguous: {', '.join(i[:12] for i in ids[:5])}{' …' if len(ids) > 5 else ''}."
            )
        return matches[0]
    here = (cwd or Path.cwd()).resolve()
    folder = projects / paths.project_key(here)
    candidates = [p for p in folder.glob("*.jsonl") if p.is_file()] if folder.is_dir() else []
    if not candidates:
        raise UserError(
            f"no Claude Code session for {here}; name one (cc-guard sessions lists them)."
        )
    return max(candidates, key=lambda p: (p.stat().st_mtime_ns, p.name))


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


def _glob_safe(text: str) -> str:
    if not all(c.isalnum() or c in "-_" for c in text):
        raise UserError(f"{text!r} is not a session id.")
    return text


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
    help="offline: deterministic, no network. api: not available yet (falls back to offline). "
    "Default: [handoff] summarizer in the config (offline).",
)
def handoff(session: str | None, fmt: str, as_json: bool, summarizer: str | None) -> int:
    """Write SESSION's working-state snapshot to the state dir and print it.

    SESSION is an id or unique prefix; without it, the newest session of the current
    directory. Files: <state dir>/handoff/<session-id>.md and .json (secrets redacted).
    """
    if summarizer is None:
        from cc_guard.config import load_config_safe

        summarizer = load_config_safe(Path.cwd()).handoff.summarizer
    if summarizer == "api":
        click.echo(
            "cc-guard: the API summarizer is not available yet; using the offline handoff.",
            err=True,
        )
    transcript = find_transcript(session)
    h, written = _write(transcript)
    if _checkpoint_if_interrupted(h):
        h, written = _write(transcript)  # name the checkpoint just taken
    fmt = "json" if as_json else fmt
    click.echo(render.render(h, fmt), nl=False)
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


def continuation_prompt(h: Handoff) -> str:
    """What ``resume --mode continue`` says to the resumed session."""
    health = h.health
    lines = [
        "[cc-guard] This session was interrupted and is being resumed."
        if health.interrupted
        else "[cc-guard] This session is being resumed."
    ]
    if health.interrupted:
        lines.append(
            f"Your last turn failed: {health.kind}"
            + (f" ({health.reason})" if health.reason else "")
            + (f" at {health.time}." if health.time else ".")
        )
    if h.partial_text:
        tail = redact(h.partial_text)[-400:]  # redact before cutting: half a key matches nothing
        lines.append(f'Your last response was cut off mid-stream after: "{one_line(tail, 400)}"')
    if h.in_flight_note:
        lines.append(f"{h.in_flight_note} Redo that step.")
    for call in h.pending_tool_calls[-3:]:
        lines.append(
            f"This tool call was started but never returned a result: {call.summary}. Check whether it ran before repeating it."
        )
    in_progress = [t for t in h.todos if t.status == "in_progress"]
    if in_progress:
        lines.append(f"The todo in progress was: {in_progress[0].content}.")
    lines.append(f"Check first: {h.next_step}")
    if h.goal_latest:
        lines.append(f"Then carry on with the last request: {one_line(h.goal_latest, 600)}")
    return redact("\n".join(lines))


def fresh_prompt(h: Handoff) -> str:
    return (
        "Continue the interrupted work described in the cc-guard handoff in your context. "
        "Check the files on disk first, then take the next step it names."
    )


def choose_mode(h: Handoff, transcript: Path) -> tuple[str, str]:
    """(mode, why) for ``--mode auto``: continue when the old session can go on, else fresh."""
    from cc_guard.handoff.store import load_model

    model = load_model(transcript)
    if model is not None:
        if model.stats.malformed_lines or model.stats.non_utf8_lines:
            return (
                "fresh",
                f"the transcript is damaged ({model.stats.malformed_lines + model.stats.non_utf8_lines} unreadable lines)",
            )
        if model.context_percent is not None and model.context_percent >= 90:
            return (
                "fresh",
                f"the context is {model.context_percent:.0f}% full; resuming would overflow or compact again",
            )
    if h.health.kind in ("invalid_request",):
        return "fresh", "the last request was rejected as invalid (typically an over-full context)"
    if (
        h.compactions
        and h.health.interrupted
        and h.last_activity
        and h.health.reason
        and "compact" in h.health.reason.lower()
    ):
        return "fresh", "compaction failed"
    if h.health.interrupted:
        return (
            "continue",
            f"the transcript is intact and the failure ({h.health.kind}) was transient",
        )
    return "continue", "the transcript is intact"


def claude_executable() -> str | None:
    env = os.environ.get(CLAUDE_ENV)
    if env:
        found = shutil.which(env)
        if found is None:
            raise UserError(f"${CLAUDE_ENV} is {env!r}, which is not an executable.")
        return env
    return shutil.which("claude")


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
    transcript = find_transcript(session)
    h, _ = _write(transcript)
    # Mid-turn or waiting at its prompt, a live process still owns the session: a second
    # `claude --resume` on it would write the same transcript.
    from cc_guard.handoff import health

    alive, process = health.live_process(health.session_events(paths.state_dir(), h.session_id))
    if h.health.state == "running" or alive:
        what = h.health.process or process or "a Claude Code process"
        raise UserError(
            f"session {h.session_id} is still running ({what}); stop it before resuming."
        )
    why = "requested"
    if mode == "auto":
        mode, why = choose_mode(h, transcript)
        click.echo(f"cc-guard: resuming with --mode {mode}: {why}.", err=True)
    cwd = Path(h.project) if h.project else Path.cwd()
    if not print_only and not cwd.is_dir():
        raise UserError(f"the session's project directory {cwd} does not exist any more.")
    if print_only:  # shown, not run: name it even when it is not installed here
        shown_binary = os.environ.get(CLAUDE_ENV) or shutil.which("claude") or "claude"
    else:
        binary = claude_executable()
        if binary is None:
            raise UserError(f"no claude executable: put it on PATH or set ${CLAUDE_ENV}.")
        shown_binary = binary
    if restore_files and (h.checkpoint is None or not h.project):
        raise UserError(f"session {h.session_id} has no checkpoint to restore.")
    env_extra: dict[str, str] = {}
    if mode == "continue":
        prompt = continuation_prompt(h)
        argv = [shown_binary, "--resume", h.session_id, *claude_args, prompt]
        seed = None
    else:
        nonce = store.new_nonce()
        seed = store.render_seed(render.to_short(h))
        store.write_seed(nonce, seed, h.session_id)
        env_extra[store.SEED_ENV] = nonce
        prompt = fresh_prompt(h)
        argv = [shown_binary, *claude_args, prompt]
    if restore_files:
        _restore(h, print_only)
    if print_only:
        env_part = " ".join(f"{k}={shlex.quote(v)}" for k, v in env_extra.items())
        click.echo(
            f"cd {shlex.quote(str(cwd))} && {env_part + ' ' if env_part else ''}{shlex.join(argv)}"
        )
        if seed is not None:
            # As shell comments: pasting the whole output must run the command and nothing
            # else (the seed quotes paths and commands in backticks).
            click.echo(
                "\n# Seed injected once by the SessionStart hook of the session started with this command:\n#"
            )
            click.echo("\n".join(f"# {line}".rstrip() for line in seed.splitlines()))
        return 0
    env = dict(os.environ)
    env.pop(store.SEED_ENV, None)
    env.update(env_extra)
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env)
    except OSError as exc:  # not executable after all, a bad interpreter line...
        if seed is not None:
            store.consume_seed(env_extra[store.SEED_ENV])
        raise UserError(f"could not run {shown_binary}: {exc.strerror or exc}.") from exc
    if seed is not None:
        leftover = store.consume_seed(env_extra[store.SEED_ENV])
        if leftover is not None:
            click.echo(
                "cc-guard: the new session did not pick up the handoff: is cc-guard's SessionStart hook installed (cc-guard install)?",
                err=True,
            )
    return proc.returncode


def _restore(h: Handoff, print_only: bool) -> None:
    if h.checkpoint is None or not h.project:
        raise UserError(f"session {h.session_id} has no checkpoint to restore.")
    if print_only:
        click.echo(
            f"# would restore {h.project} from checkpoint {h.checkpoint.sha[:12]} (undo: cc-guard restore --undo)"
        )
        return
    from cc_guard.checkpoints import restore_checkpoint

    result = restore_checkpoint(Path(h.project), h.checkpoint.sha)
    click.echo(
        f"cc-guard: restored {result.changes} file(s) from {h.checkpoint.sha[:12]}; undo with `cc-guard restore --undo`.",
        err=True,
    )
