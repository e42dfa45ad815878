"""The detached worker the Stop and StopFailure hooks start (:mod:`.spawn`).

``python -m cc_guard.compaction.worker compact SESSION TRANSCRIPT --since ISO --via tmux
[--pane %N] [--socket PATH]``: compact the session (:func:`.action.compact_session`).

``python -m cc_guard.compaction.worker recover SESSION TRANSCRIPT --since ISO --via ERROR
[--pane %N] [--socket PATH]``: auto-resume it (:func:`.recover.recover`).

One worker of each kind per session at a time (a lock beside the session's state);
nobody sees its output, so problems go to ``<state dir>/hook-errors.log`` and its
decisions to ``<state dir>/compaction/decisions.jsonl``.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cc_guard.compaction.worker")
    parser.add_argument("kind", choices=("compact", "recover"))
    parser.add_argument("session_id")
    parser.add_argument("transcript")
    parser.add_argument("--since", required=True)
    parser.add_argument("--via", default="tmux")
    parser.add_argument("--pane")
    parser.add_argument("--socket")
    return parser


def run(argv: list[str]) -> str:
    from cc_guard.base import paths
    from cc_guard.base.claude import valid_session_id
    from cc_guard.state import compaction as store

    args = _parser().parse_args(argv)
    if not valid_session_id(args.session_id):
        return "invalid session id"
    state = paths.state_dir()
    store_dir = Path(store.directory(str(state)))
    store_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = os.open(store_dir / f"{args.session_id}.{args.kind}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return "another worker is at it"
        from cc_guard.compaction.pane import Pane

        pane = Pane(args.pane, args.socket) if args.pane else None
        transcript = Path(args.transcript)
        if args.kind == "recover":
            from cc_guard.compaction.recover import recover

            return recover(args.session_id, transcript, pane, args.since)
        from cc_guard.compaction.action import compact_session
        from cc_guard.transcripts.engine import load_session

        model = load_session(transcript, state)
        if pane is not None:
            model.tmux_pane, model.tmux_socket = pane.pane_id, pane.socket
        result = compact_session(model, via=args.via, since=args.since, started=True, event="worker")
        return result.message
    finally:
        os.close(lock)


def main(argv: list[str]) -> int:
    try:
        run(argv)
    except Exception as exc:  # nobody sees our stderr
        from cc_guard.state import errors

        errors.log("compact-worker", f"{type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
