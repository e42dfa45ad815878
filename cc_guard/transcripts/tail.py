"""The kind of the failure a transcript ends with, read from its last records only.

The StopFailure hook names the error the way Claude Code's hook payload does:
``server_error`` for a 529, ``unknown`` for a cut stream. The transcript says more
(the status, the retries' connection codes, Claude Code's "cut off mid-stream"
records), and the engine's :class:`~cc_guard.transcripts.fold.Fold` is what reads it.
This folds the end of the transcript with that same code, so the kind the hook logs
(and the statusline shows) is the one ``sessions``, ``status`` and the handoff show.

For the StopFailure hook: the standard library, :mod:`cc_guard.base` and the fold.
"""

from __future__ import annotations

from cc_guard.base import fastjson
from cc_guard.base.fs import tail_lines
from cc_guard.incidents import IncidentKind, classify_failure
from cc_guard.transcripts.fold import Fold, Phase

#: How much of the end of a transcript is folded: a failed turn's retries and final
#: error are small records at its very end.
TAIL_BYTES = 256 * 1024


def _tail_records(path: str, max_bytes: int) -> list[dict[str, object]]:
    lines = tail_lines(path, max_bytes) or []
    records = []
    for line in lines[:-1]:  # the last piece has no newline yet: half-written
        try:
            record = fastjson.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def transcript_failure_kind(path: str, max_bytes: int = TAIL_BYTES) -> str | None:
    """The kind of the failure the transcript's last turn ended in, None if it shows none."""
    fold = Fold()
    for record in _tail_records(path, max_bytes):
        fold.add(record)
    brief = fold.brief()
    if fold.phase == Phase.FAILED:
        return brief.last_final_kind
    if fold.cut_in_turn:
        return IncidentKind.STREAM_TRUNCATED.value
    return None


def stop_failure_kind(transcript_path: str, error: object, message: object) -> str:
    """The kind of a StopFailure: the transcript's, else what the payload's words say."""
    kind = transcript_failure_kind(transcript_path) if transcript_path else None
    if kind not in (None, IncidentKind.UNKNOWN.value):
        return str(kind)
    return classify_failure(
        None,
        None,
        message if isinstance(message, str) else "",
        (error if isinstance(error, str) else None,),
    ).value
