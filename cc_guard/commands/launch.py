"""``cc-guard launch``: Claude Code in one tmux pane, the dashboard following it in another."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path

import click

from cc_guard import tmux
from cc_guard.commands.errors import UserError

#: claude options that pick the session themselves: launch then does not choose an id.
_SESSION_FLAGS = ("--resume", "-r", "--continue", "-c", "--session-id", "--from-pr", "--teleport")
#: Variables the new panes need to see the same Claude and cc-guard directories.
_PASS = ("CLAUDE_CONFIG_DIR", "CC_GUARD_HOME", "CC_GUARD_CONFIG", "CC_GUARD_CLAUDE", "PATH", "HOME")


def session_for(claude_args: tuple[str, ...]) -> tuple[list[str], str | None]:
    """The claude argv tail and the session id the dashboard follows.

    A new session gets ``--session-id <uuid>`` so the dashboard knows which one to
    follow; ``--resume ID`` follows ID; ``--continue`` and friends leave the choice
    to claude (the dashboard then opens on the list).
    """
    args = list(claude_args)
    for i, arg in enumerate(args):
        if arg in ("--resume", "-r") and i + 1 < len(args) and not args[i + 1].startswith("-"):
            return args, args[i + 1]
        if arg.startswith("--resume="):
            return args, arg.split("=", 1)[1]
        if arg == "--session-id" and i + 1 < len(args):
            return args, args[i + 1]
        if arg.split("=", 1)[0] in _SESSION_FLAGS:
            return args, None
    session_id = str(uuid.uuid4())
    return ["--session-id", session_id, *args], session_id


def claude_binary() -> str:
    configured = os.environ.get("CC_GUARD_CLAUDE")
    found = shutil.which(configured or "claude")
    if found is None:
        what = f"$CC_GUARD_CLAUDE ({configured})" if configured else "claude"
        raise UserError(f"{what} was not found: install Claude Code, or set CC_GUARD_CLAUDE.")
    return found


def pane_env() -> dict[str, str]:
    return {k: os.environ[k] for k in _PASS if os.environ.get(k)}


def hooks_warning(project: Path) -> str | None:
    from cc_guard.base.paths import claude_dir
    from cc_guard.install.detect import hooks_installed

    if hooks_installed(claude_dir(), project):
        return None
    return (
        "cc-guard's hooks are not installed, so there will be no checkpoints or handoffs "
        "for this session. Install them with: cc-guard install"
    )


@click.command("launch", context_settings={"ignore_unknown_options": True})
@click.option(
    "--layout",
    type=click.Choice(list(tmux.LAYOUTS)),
    default="right",
    show_default=True,
    help="Where the dashboard goes: right of Claude Code, or below it.",
)
@click.argument("claude_args", nargs=-1, type=click.UNPROCESSED)
def launch(layout: str, claude_args: tuple[str, ...]) -> int:
    """Run Claude Code with the dashboard beside it, following that session.

    Inside tmux the current window is split; outside tmux a new tmux session is
    created and attached; without tmux Claude Code starts alone. Arguments after
    `--` go to claude. The Claude Code pane is recorded (<state dir>/panes.json).
    """
    from cc_guard.state.panes import new_record, record_pane

    project = Path.cwd()
    binary = claude_binary()
    warning = hooks_warning(project)
    if warning:
        click.echo(f"cc-guard: {warning}", err=True)
    args, session_id = session_for(claude_args)
    claude_argv = [binary, *args]
    dashboard = [*_cc_guard(), "tui", *(["--follow", session_id] if session_id else [])]
    env = pane_env()
    if not tmux.available():
        click.echo(
            "cc-guard: tmux is not installed, so Claude Code starts alone; run `cc-guard` in "
            "another terminal for the dashboard.",
            err=True,
        )
        sys.stdout.flush()
        os.execvp(binary, claude_argv)
    try:
        if tmux.inside():
            server = tmux.Server.current()
            claude_pane = os.environ["TMUX_PANE"]
            board = tmux.split(
                server, claude_pane, dashboard, cwd=str(project), layout=layout, env=env
            )
            record_pane(
                new_record(
                    claude_pane,
                    str(project),
                    session_id=session_id,
                    dashboard_pane=board,
                    tmux_env=os.environ.get("TMUX"),
                )
            )
            sys.stdout.flush()
            sys.stderr.flush()
            # Claude Code takes over this pane (and this pid): the dashboard is beside it.
            os.chdir(project)
            os.execvp(binary, claude_argv)
        server = tmux.Server()
        name = f"cc-guard-{(session_id or uuid.uuid4().hex)[:8]}"
        claude_pane = tmux.new_session(server, name, claude_argv, cwd=str(project), env=env)
        board = tmux.split(server, claude_pane, dashboard, cwd=str(project), layout=layout, env=env)
        record_pane(
            new_record(claude_pane, str(project), session_id=session_id, dashboard_pane=board)
        )
    except tmux.TmuxError as exc:
        raise UserError(f"tmux: {exc}") from None
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        click.echo(f"cc-guard: started tmux session {name}; attach with: tmux attach -t {name}")
        return 0
    sys.stdout.flush()
    os.execvp("tmux", tmux.attach_argv(server, name))
    return 0  # not reached: exec


def _cc_guard() -> list[str]:
    from cc_guard.install.command import find_executable

    return find_executable()
