"""``cc-guard hook`` and ``cc-guard statusline`` as click commands, for ``--help`` only.

Real runs never get here: cc_guard.entry sends them straight to their light entry
points so Claude Code's loop doesn't pay for importing click.
"""

from __future__ import annotations

import click


@click.command("hook", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("event", required=False)
def hook(event: str | None) -> int:
    """Handle one Claude Code hook call: EVENT is the hook event name (PostToolUse, Stop, ...).

    Reads the hook's JSON on stdin, appends it to <state>/events.jsonl, takes a
    checkpoint when the event can have changed files, and always exits 0: problems
    go to <state>/hook-errors.log.
    """
    from cc_guard.runtime.hook import main

    return main([event] if event else [])


@click.command("statusline")
@click.option(
    "--wrap",
    "wrap",
    metavar="COMMAND",
    help="Record the data, then run COMMAND (your own statusLine) through the shell "
    "with the same stdin and print its output instead of cc-guard's line.",
)
def statusline(wrap: str | None) -> int:
    """Claude Code statusLine command: reads the status JSON on stdin, prints one line."""
    from cc_guard.runtime.statusline import main

    result: int = main(["--wrap", wrap] if wrap is not None else [])
    return result
