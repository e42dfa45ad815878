"""The ``cc-guard`` console script.

``cc-guard hook`` and ``cc-guard statusline`` run inside Claude Code's loop, many
times a minute, so they skip click (a heavy import) and go straight to their
light-weight entry points; so does ``cc-guard sessions [--json]`` (its result cache,
``cc_guard.views.cache``). Everything else goes through the click CLI.
"""

from __future__ import annotations

import os
import sys

#: Subcommands that run inside Claude Code's loop (or as often): see :func:`console`.
_HOT = ("hook", "statusline")
#: ``cc-guard sessions [--json]``, served without click (the result cache, views/cache.py).
_SESSIONS = (["sessions"], ["sessions", "--json"])


def console() -> None:
    """The console script: :func:`main`, then exit.

    The hot paths and ``sessions [--json]`` end with ``os._exit`` once their output
    is flushed: everything they write goes through explicit, closed file
    descriptors (the sessions index is closed before the listing prints), and
    tearing the interpreter down (module dicts, a last GC pass) would only add to
    every hook call, and more once the transcript engine was imported.
    Other commands exit normally so that atexit handlers and buffered files finish.
    """
    args = sys.argv[1:]
    code = main(args)
    if (args and args[0] in _HOT) or args in _SESSIONS:
        for stream in (sys.stdout, sys.stderr):
            try:  # noqa: SIM105 - contextlib is one import more on the hot path
                stream.flush()
            except (AttributeError, OSError, ValueError):  # closed (None) or a closed pipe
                pass
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "hook" and not _wants_help(args):
        from cc_guard.runtime.hook import main as hook_main

        return hook_main(args[1:])
    if args and args[0] == "statusline" and not _wants_help(args):
        from cc_guard.runtime.statusline import main as statusline_main

        return statusline_main(args[1:])
    if args in _SESSIONS:
        # From the result cache when nothing changed, else listed without click.
        from cc_guard.views.cache import main as sessions_main

        code = sessions_main(as_json=len(args) == 2)
        if code is not None:
            return code
    from cc_guard.cli import run

    return run(args)


def _wants_help(args: list[str]) -> bool:
    return "--help" in args or "-h" in args


if __name__ == "__main__":
    console()
