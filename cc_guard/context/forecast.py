"""How fast a session's context grows, and how long until it compacts or fills.

Growth is measured per turn (one prompt of the user and everything it caused),
from the fill at the end of each turn: the median of the newest turns, so one
huge tool result or a turn spent reading a big file does not swing the forecast.
Turns across a compaction are left out (the fill drops there). Minutes come from
the median time between turn starts, the session's own pace.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any

from cc_guard.context.pace import MIN_SAMPLES, WINDOW_TURNS, growths, median


@dataclass
class Forecast:
    """Turns and minutes until the auto-compact point and the hard window."""

    tokens_per_turn: int | None  # median growth per turn (None: too few turns yet)
    minutes_per_turn: float | None
    turns_to_point: int | None  # 0 when already past it
    minutes_to_point: float | None
    turns_to_window: int | None
    minutes_to_window: float | None
    samples: int  # turns the growth rests on

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One line for people: ``~4 turns (~12 min) to auto-compact, 9 turns to the window``."""
        if self.tokens_per_turn is None or self.turns_to_point is None:
            return "too few turns yet"
        if self.tokens_per_turn <= 0:
            return "the context is not growing"
        parts = [f"+{_tokens(self.tokens_per_turn)}/turn"]
        if self.turns_to_point == 0:
            parts.append("at the auto-compact point")
        else:
            parts.append(
                f"~{self.turns_to_point} turns{_minutes(self.minutes_to_point)} to auto-compact"
            )
        if self.turns_to_window is not None:
            parts.append(
                f"~{self.turns_to_window} turns{_minutes(self.minutes_to_window)} to the window"
            )
        return ", ".join(parts)


def _tokens(n: int) -> str:
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


def _minutes(value: float | None) -> str:
    if value is None:
        return ""
    if value < 1:
        return " (<1 min)"
    if value < 120:
        return f" (~{value:.0f} min)"
    return f" (~{value / 60:.1f} h)"


def turn_ends(
    fills: list[tuple[float, int]], turn_starts: list[float], compactions: list[float]
) -> list[tuple[float, int, bool]]:
    """(turn start, fill at the turn's end, whether a compaction fell in the turn) per turn.

    ``fills``: (epoch, tokens) per main-chain response, oldest first. A turn with no
    response is skipped.
    """
    out: list[tuple[float, int, bool]] = []
    starts = sorted(turn_starts)
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else math.inf
        inside = [tokens for when, tokens in fills if start <= when < end]
        if not inside:
            continue
        compacted = any(start <= when < end for when in compactions)
        out.append((start, inside[-1], compacted))
    return out


def forecast(
    fills: list[tuple[float, int]],
    turn_starts: list[float],
    compactions: list[float],
    tokens_now: int | None,
    point: int | None,
    window: int | None,
) -> Forecast:
    """The forecast from a session's fill history (all times as epoch seconds)."""
    ends = turn_ends(fills, turn_starts, compactions)
    # A turn with a compaction in it starts a new run of turn ends.
    runs: list[list[int]] = [[]]
    for _, tokens, compacted in ends:
        if compacted:
            runs.append([])
        runs[-1].append(tokens)
    measured = [g for run in runs for g in growths(run)][-WINDOW_TURNS:]
    per_turn = round(median(measured)) if len(measured) >= MIN_SAMPLES else None
    starts = sorted(turn_starts)[-(WINDOW_TURNS + 1) :]
    paces = [b - a for a, b in pairwise(starts) if b > a]
    minutes = median(paces) / 60 if paces else None

    def until(limit: int | None) -> tuple[int | None, float | None]:
        if limit is None or tokens_now is None or per_turn is None:
            return None, None
        if tokens_now >= limit:
            return 0, 0.0
        if per_turn <= 0:
            return None, None
        turns = math.ceil((limit - tokens_now) / per_turn)
        return turns, (turns * minutes if minutes is not None else None)

    to_point, minutes_point = until(point)
    to_window, minutes_window = until(window)
    return Forecast(
        tokens_per_turn=per_turn,
        minutes_per_turn=round(minutes, 2) if minutes is not None else None,
        turns_to_point=to_point,
        minutes_to_point=round(minutes_point, 1) if minutes_point is not None else None,
        turns_to_window=to_window,
        minutes_to_window=round(minutes_window, 1) if minutes_window is not None else None,
        samples=len(measured),
    )
