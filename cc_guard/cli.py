"""The click command-line interface.

Each command lives in its own module under ``cc_guard.commands`` and is imported
only when it runs, so ``cc-guard --help`` stays fast and a broken optional piece
cannot take the whole CLI down.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from cc_guard import __version__

# name -> (module, attribute, one-line help). Order is the order shown in --help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "tui": ("cc_guard.tui.command", "tui", "Open the live dashboard (bare cc-guard does too)."),
    "launch": ("cc_guard.commands.launch", "launch", "Run Claude Code in tmux with the dashboard beside it."),
    "demo": ("cc_guard.tui.command", "demo", "The dashboard on recorded sessions, no Claude Code needed."),
    "sessions": ("cc_guard.commands.sessions", "sessions", "List Claude Code sessions, newest first."),
    "status": ("cc_guard.commands.sessions", "status", "Show one session in full."),
    "checkpoints": ("cc_guard.commands.checkpoints", "checkpoints", "List a session's checkpoints."),
    "diff": ("cc_guard.commands.checkpoints", "diff", "Diff a checkpoint against the working tree."),
    "restore": ("cc_guard.commands.checkpoints", "restore", "Restore files from a checkpoint (undoable)."),
    "prune": ("cc_guard.commands.checkpoints", "prune", "Drop old checkpoints and private indexes."),
    "handoff": ("cc_guard.commands.handoff", "handoff", "Write a session's working-state snapshot."),
    "resume": ("cc_guard.commands.handoff", "resume", "Resume or rebuild an interrupted session."),
    "compact": ("cc_guard.commands.compact", "compact", "Compact a session's context now, with a focus."),
    "install": ("cc_guard.commands.install", "install", "Wire cc-guard into Claude Code (and git)."),
    "uninstall": ("cc_guard.commands.install", "uninstall", "Remove exactly what install added."),
    "doctor": ("cc_guard.commands.doctor", "doctor", "Is it upstream, the network, or me? (exit code by verdict)"),
    "config": ("cc_guard.commands.config", "config", "Show the effective configuration."),
    "chaos": ("cc_guard.commands.chaos", "chaos", "Fault-injecting fake Anthropic upstream."),
    "hook": ("cc_guard.commands.hook", "hook", "Entry point for Claude Code hooks (reads JSON on stdin)."),
    "statusline": ("cc_guard.commands.hook", "statusline", "Claude Code statusLine command."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attr, _ = spec
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        command = getattr(module, attr, None)
        return command if isinstance(command, click.Command) else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Use the static help table so --help does not import every command module.
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(name: str) -> bool:
    import importlib.util

    module_name = COMMANDS[name][0]
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="cc-guard")
@click.pass_context
def main(ctx: click.Context) -> None:
    """cc-guard keeps Claude Code sessions safe: checkpoints, context, restore."""
    if ctx.invoked_subcommand is None:
        ctx.exit(_bare(ctx))


#: Printed after the session list when bare ``cc-guard`` runs without a terminal.
BARE_HINT = (
    "cc-guard: run `cc-guard` in a terminal for the live dashboard "
    "(`cc-guard demo` shows it with recorded sessions)."
)


def _bare(ctx: click.Context) -> int:
    """Bare ``cc-guard``: the dashboard in a terminal; in a pipe or CI, the session list
    and a hint, so scripts never hang on a full-screen app."""
    group = ctx.command
    assert isinstance(group, click.Group)
    if sys.stdin.isatty() and sys.stdout.isatty():
        dashboard = group.get_command(ctx, "tui")
        if dashboard is not None:
            return int(ctx.invoke(dashboard) or 0)
    from cc_guard.base.paths import claude_dir

    if not claude_dir().is_dir():
        click.echo(f"No Claude Code sessions found (no Claude Code directory at {claude_dir()}).")
        click.echo(BARE_HINT)
        return 0
    listing = group.get_command(ctx, "sessions")
    code = ctx.invoke(listing, as_json=False, project=None) if listing is not None else 0
    click.echo(BARE_HINT)
    return int(code or 0)


def run(args: list[str]) -> int:
    """Run the CLI and return its exit code instead of exiting."""
    try:
        result: Any = main.main(args=args, prog_name="cc-guard", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except OSError as exc:
        # A full disk, a read-only or missing state dir, a locked file: the user's
        # machine, not cc-guard, so one line rather than a traceback.
        click.echo(f"cc-guard: {_os_error_text(exc)}", err=True)
        return 1
    if isinstance(result, int):
        return result
    return 0


def _os_error_text(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.filename:
        return f"cannot use {exc.filename}: {reason}."
    return f"{reason}."


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
