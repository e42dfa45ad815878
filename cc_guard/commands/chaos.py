"""``cc-guard chaos``: a fault-injecting fake Anthropic API to rehearse outages with."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType

import click

from cc_guard.commands.errors import UserError


@click.group()
def chaos() -> None:
    """Fault-injecting fake Anthropic upstream."""


@chaos.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (loopback only unless --allow-remote).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port; 0 picks a free one.",
)
@click.option(
    "--script",
    "script_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSON answer script.",
)
@click.option("--faults", help="Random faults, e.g. 529:0.2,truncate:0.1,stall:0.05.")
@click.option("--seed", type=int, default=None, help="Seed for --faults (same seed, same faults).")
@click.option("--upstream", help="Forward requests to this API (e.g. https://api.anthropic.com).")
@click.option(
    "--log", "log_path", type=click.Path(path_type=Path, dir_okay=False), help="JSONL request log."
)
@click.option(
    "--stall-seconds",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Silence of a random stall.",
)
@click.option(
    "--text", "default_text", default=None, help="Answer for requests no script entry matches."
)
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback --host.")
@click.option("--verbose", is_flag=True, help="Print one line per request on stderr.")
@click.option(
    "--max-body-bytes",
    type=click.IntRange(min=1),
    default=32 * 1024 * 1024,
    show_default=True,
    help="A request body over this gets a 413 (as the API answers), unread.",
)
@click.option(
    "--log-body-bytes",
    type=click.IntRange(min=0),
    default=4 * 1024 * 1024,
    show_default=True,
    help="How much of each body the --log keeps (redacted, then cut).",
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Seconds a silent connection stays open.",
)
def serve(
    host: str,
    port: int,
    script_path: Path | None,
    faults: str | None,
    seed: int | None,
    upstream: str | None,
    log_path: Path | None,
    stall_seconds: float,
    default_text: str | None,
    allow_remote: bool,
    verbose: bool,
    max_body_bytes: int,
    log_body_bytes: int,
    idle_timeout: float,
) -> int:
    """Serve a fake Messages API that fails on purpose.

    The base URL is the first line of stdout; point Claude Code at it with
    ANTHROPIC_BASE_URL=<url>. Answers come from
    --script (or a default text), or from --upstream; --faults injects failures
    at random on top of either.
    """
    from cc_guard.chaos import messages
    from cc_guard.chaos.faults import parse_fault_spec
    from cc_guard.chaos.script import ScriptError, load_script
    from cc_guard.chaos.server import ChaosHTTPServer, build_state, is_loopback

    if not allow_remote and not is_loopback(host):
        raise UserError(
            f"refusing to bind {host}: not a loopback address (pass --allow-remote to allow it)."
        )
    if script_path is not None and upstream is not None:
        raise UserError(
            "--script and --upstream cannot be combined: answers come from one or the other."
        )
    try:
        script = load_script(script_path) if script_path is not None else None
        if faults:
            parse_fault_spec(faults)
        state = build_state(
            script,
            log_path,
            faults=faults,
            seed=seed,
            upstream=upstream,
            stall_seconds=stall_seconds,
            default_text=default_text or messages.DEFAULT_TEXT,
            verbose=verbose,
            max_body_bytes=max_body_bytes,
            log_body_bytes=log_body_bytes,
            idle_timeout=idle_timeout,
        )
    except ScriptError as exc:
        raise UserError(str(exc)) from None
    except ValueError as exc:
        raise UserError(f"{exc}.") from None
    if log_path is not None:
        _check_log(log_path)
    try:
        server = ChaosHTTPServer((host, port), state)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror or exc}).") from None

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    # Tests and scripts read the URL from the first stdout line: print it before anything else.
    sys.stdout.write(server.url + "\n")
    sys.stdout.flush()
    click.echo(
        f"cc-guard chaos: serving; use ANTHROPIC_BASE_URL={server.url} (Ctrl-C stops).", err=True
    )
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        state.stopping.set()
        server.server_close()
    return 0


def _check_log(path: Path) -> None:
    """Refuse a log that cannot be written now, not with a dropped connection per request."""
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True)
        # Opened for appending, as every request will: an existing log is not changed.
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
    except OSError as exc:
        raise UserError(f"cannot write the log {path} ({exc.strerror or exc}).") from None
