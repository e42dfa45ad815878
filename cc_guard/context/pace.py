"""How fast a session's context grows per turn: the median over its newest turns.

One huge tool result (a big file read) must not swing the answer, so it is the
median growth between the fills at the ends of consecutive turns; a turn whose fill
dropped (a compaction) is left out. :mod:`.forecast` builds the full forecast on it
from the transcript; the Stop hook keeps the newest turn ends in the session's
compaction state so the statusline can say "~N turns" without reading the transcript.
Import-free: the statusline runs it.
"""

from __future__ import annotations

from itertools import pairwise

TYPE_CHECKING = False  # typing's costs the statusline; mypy reads the names below
if TYPE_CHECKING:
    from collections.abc import Sequence

#: Turns the pace looks back on.
WINDOW_TURNS = 12
#: Growths needed before there is a pace at all.
MIN_SAMPLES = 2


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def growths(turn_ends: Sequence[int]) -> list[int]:
    """Growth from each turn end to the next, over the newest turns; drops are skipped."""
    newest = list(turn_ends)[-(WINDOW_TURNS + 1) :]
    return [after - before for before, after in pairwise(newest) if after >= before]


def tokens_per_turn(turn_ends: Sequence[int]) -> int | None:
    """The median growth per turn (None: too few turns yet)."""
    found = growths(turn_ends)
    if len(found) < MIN_SAMPLES:
        return None
    return round(median(found))


def turns_until(tokens: int, limit: int, per_turn: int | None) -> int | None:
    """Whole turns until ``limit`` at ``per_turn`` (0: already there; None: unknown)."""
    if tokens >= limit:
        return 0
    if per_turn is None or per_turn <= 0:
        return None
    return -(-(limit - tokens) // per_turn)
