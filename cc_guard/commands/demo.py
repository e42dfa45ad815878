"""``cc-guard demo``: the dashboard over recorded sessions replayed live; no Claude Code."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import click

from cc_guard.cli import UserError


def run_demo(*, speed: float, keep: bool, root: Path | None = None) -> int:
    """Build the world, replay it, and show it (the dashboard in a terminal, else a listing)."""
    from cc_guard.commands.tui import HINT, interactive
    from cc_guard.demo import world as demo_world

    made = root is None
    base = Path(tempfile.mkdtemp(prefix="cc-guard-demo-")) if root is None else root
    try:
        try:
            world = demo_world.create(base)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise UserError(f"could not build the demo world in {base}: {exc}") from None
        # The whole process works in the world: every action the dashboard runs sees it.
        os.environ.update(world.env())
        os.environ["HOME"] = str(world.home)
        replay = demo_world.Replay(world, speed=speed)
        replay.start()
        if interactive():
            from cc_guard.commands.tui import open_dashboard

            code = open_dashboard(
                claude_dir=world.claude_dir, state_dir=world.state_dir, demo_root=str(base)
            )
        else:
            replay.finished.wait()
            from cc_guard.commands.sessions import sessions

            click.get_current_context().invoke(sessions, as_json=False, project=None)
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
        raise UserError(f"{root} is not empty; give an empty or new directory.")
    return run_demo(speed=speed, keep=keep or root is not None, root=root)
