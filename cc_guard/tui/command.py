"""``cc-guard tui`` and ``cc-guard demo``: the commands that open the dashboard.

They live beside the dashboard rather than in ``cc_guard.commands``: only this
package may import Textual, and the CLI loads commands by name (``cli.COMMANDS``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

HINT = (
    "cc-guard: run `cc-guard` in a terminal for the live dashboard "
    "(`cc-guard demo` shows it with recorded sessions)."
)


class DashboardError(click.ClickException):
    """One line and exit 1, as ``cc_guard.commands.errors.UserError`` (which this layer
    cannot import: commands and the dashboard are independent front ends)."""

    def show(self, file: Any = None) -> None:
        click.echo(f"cc-guard: {self.format_message()}", err=True)


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
    from cc_guard.base.fs import ensure_private_dir

    state = state_dir or paths.state_dir(create=False)
    try:
        ensure_private_dir(state)
    except OSError as exc:
        raise DashboardError(
            f"cannot use cc-guard's state directory {exc.filename or state}: "
            f"{exc.strerror or exc} (check CC_GUARD_HOME)"
        ) from None
    # A first run reads every transcript: start that now, while Textual is imported.
    from cc_guard.tui import coldload

    cold = (
        coldload.start(claude_dir or paths.claude_dir(), state) if coldload.needed(state) else None
    )
    from cc_guard.tui.app import make_app

    app = make_app(
        claude_dir=claude_dir,
        state_dir=state,
        follow=follow,
        demo_root=demo_root,
        cold_process=cold,
    )
    app.run()
    if app.demo_requested:
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
        raise DashboardError(
            "the dashboard needs a terminal; `cc-guard sessions` lists the sessions as text."
        )
    return open_dashboard(follow=follow)


def run_demo(*, speed: float, keep: bool, root: Path | None = None) -> int:
    """Build the world, replay it, and show it (the dashboard in a terminal, else a listing)."""
    from cc_guard.demo import world as demo_world

    made = root is None
    base = Path(tempfile.mkdtemp(prefix="cc-guard-demo-")) if root is None else root
    try:
        try:
            world = demo_world.create(base)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise DashboardError(f"could not build the demo world in {base}: {exc}") from None
        # The whole process works in the world: every action the dashboard runs sees it.
        os.environ.update(world.env())
        os.environ["HOME"] = str(world.home)
        replay = demo_world.Replay(world, speed=speed)
        replay.start()
        if interactive():
            code = open_dashboard(
                claude_dir=world.claude_dir, state_dir=world.state_dir, demo_root=str(base)
            )
        else:
            replay.finished.wait()
            click.echo(_listing(world.claude_dir, world.state_dir))
            click.echo(HINT)
            code = 0
        replay.stop()
        replay.join(timeout=10)
        return code
    finally:
        if made and not keep:
            with contextlib.suppress(OSError):
                shutil.rmtree(base)
        elif keep:
            click.echo(f"cc-guard: the demo world is kept in {base}", err=True)


def _listing(claude_dir: Path, state_dir: Path) -> str:
    from cc_guard.transcripts.engine import Engine
    from cc_guard.views.sessions import render_table, summary

    found = Engine(claude_dir, state_dir).refresh(brief=True)
    return render_table([summary(s) for s in found], time.time())


@click.command("demo")
@click.option(
    "--speed",
    type=click.FloatRange(min=0.05, max=100.0),
    default=1.0,
    show_default=True,
    help="Replay speed (2 = twice as fast).",
)
@click.option("--keep", is_flag=True, help="Keep the demo world's directory afterwards.")
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Build the world here instead of a new temp dir (must be empty or missing).",
)
def demo(speed: float, keep: bool, root: Path | None) -> int:
    """The dashboard on recorded Claude Code sessions replayed live: no Claude Code, no network.

    Four sessions: one writes files (real checkpoints), one fills its context and is
    compacted, one hits a 529 storm, one has its stream cut. Every action works on them.
    """
    if root is not None and root.exists() and any(root.iterdir()):
        raise DashboardError(f"{root} is not empty; give an empty or new directory.")
    return run_demo(speed=speed, keep=keep or root is not None, root=root)
