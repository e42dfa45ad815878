"""``cc-guard`` (bare) and ``cc-guard tui``: the dashboard."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cc_guard.cli import UserError

HINT = "cc-guard: run `cc-guard` in a terminal for the live dashboard (`cc-guard demo` shows it with recorded sessions)."


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def open_dashboard(
    *,
    follow: str | None = None,
    claude_dir: Path | None = None,
    state_dir: Path | None = None,
    demo_root: str | None = None,
) -> int:
    """Run the dashboard until the user quits; its exit code."""
    from cc_guard.base import paths

    state = state_dir or paths.state_dir(create=False)
    try:
        paths.ensure_private_dir(state)
    except OSError as exc:
        raise UserError(
            f"cannot use cc-guard's state directory {exc.filename or state}: "
            f"{exc.strerror or exc} (check CC_GUARD_HOME)"
        ) from None
    from cc_guard.tui.app import make_app

    app = make_app(claude_dir=claude_dir, state_dir=state, follow=follow, demo_root=demo_root)
    app.run()
    if app.demo_requested:
        from cc_guard.commands.demo import run_demo

        return run_demo(speed=1.0, keep=False)
    return app.return_code or 0


@click.command("tui")
@click.option(
    "--follow",
    metavar="SESSION",
    default=None,
    help="Open this session's screen as soon as it appears (id or prefix).",
)
def tui(follow: str | None) -> int:
    """Open the live dashboard (what bare `cc-guard` does in a terminal)."""
    if not interactive():
        raise UserError(
            "the dashboard needs a terminal; `cc-guard sessions` lists the sessions as text."
        )
    return open_dashboard(follow=follow)


def bare(ctx: click.Context) -> int:
    """Bare ``cc-guard``: the dashboard in a terminal, else the session list and a hint."""
    if interactive():
        return open_dashboard()
    from cc_guard.base.paths import claude_dir

    if not claude_dir().is_dir():
        click.echo(f"No Claude Code sessions found (no Claude Code directory at {claude_dir()}).")
        click.echo(HINT)
        return 0
    from cc_guard.commands.sessions import sessions

    code = ctx.invoke(sessions, as_json=False, project=None)
    click.echo(HINT)
    return int(code or 0)
