"""The compaction policy: at the end of a turn, warn, compact, notify, or do nothing, and why.

``[compact]`` in the config sets the thresholds, as percentages of the session's
auto-compact point (:mod:`cc_guard.context.threshold`):

- past ``warn_percent``: warn the user once per crossing (the statusline marker and
  a ``systemMessage`` Claude Code shows under the answer; never the model's context);
- past ``auto_percent``: compact now, in the way ``mode`` says and the session
  allows: ``tmux`` types ``/compact`` into the session's pane (it must run in tmux),
  ``headless`` runs ``claude -p /compact --resume`` (only for a session with no live
  process), ``notify`` tells the user the command; never twice within
  ``min_interval_minutes``.

A pure function of plain values; the Stop hook runs it, so it imports nothing.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing's costs the hook path; mypy reads the names below
if TYPE_CHECKING:
    from cc_guard.config.sections import CompactConfig
    from cc_guard.context.threshold import AutoCompact

NOTHING = "nothing"
WARN = "warn"
COMPACT = "compact"
NOTIFY = "notify"
ACTIONS = (NOTHING, WARN, COMPACT, NOTIFY)


class Decision:
    """What the policy decided: ``action`` (one of :data:`ACTIONS`), ``reason`` (one
    sentence for the log and the user), ``via`` (``tmux`` or ``headless`` for a
    compaction) and ``percent`` (the fill as a percentage of the auto-compact point)."""

    __slots__ = ("action", "percent", "reason", "via")

    def __init__(
        self, action: str, reason: str, via: str | None = None, percent: float | None = None
    ) -> None:
        self.action = action
        self.reason = reason
        self.via = via
        self.percent = percent

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.action,
            "reason": self.reason,
            "via": self.via,
            "percent": None if self.percent is None else round(self.percent, 1),
        }

    def __repr__(self) -> str:
        return f"Decision({self.to_json()!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]


def effective_mode(mode: str, in_tmux: bool) -> str:
    """``auto`` resolved: ``tmux`` for a session in a tmux pane, else ``notify``."""
    if mode == "auto":
        return "tmux" if in_tmux else "notify"
    return mode


def decide(
    tokens: int | None,
    auto: AutoCompact,
    config: CompactConfig,
    *,
    now: float,
    in_tmux: bool,
    process_alive: bool | None,
    last_compact_at: float | None = None,
    warned: bool = False,
) -> Decision:
    """The decision for a session whose fill is ``tokens`` (input + cache + output).

    ``last_compact_at``: when cc-guard last started a compaction of it (epoch);
    ``warned``: the warning was already given since the fill last crossed ``warn_percent``.
    """
    if tokens is None:
        return Decision(NOTHING, "no API response yet: the fill is unknown")
    if auto.point <= 0:
        return Decision(NOTHING, "the auto-compact point is unknown")
    percent = 100.0 * tokens / auto.point
    where = f"{percent:.0f}% of the auto-compact point ({tokens:,} of {auto.point:,} tokens)"
    if percent < config.warn_percent and percent < config.auto_percent:
        return Decision(
            NOTHING, f"{where}, below warn_percent {config.warn_percent:g}", None, percent
        )
    if percent < config.auto_percent:
        if warned:
            return Decision(NOTHING, f"{where}; already warned at this crossing", None, percent)
        return Decision(WARN, f"{where}, past warn_percent {config.warn_percent:g}", None, percent)
    where += f", past auto_percent {config.auto_percent:g}"
    mode = effective_mode(config.mode, in_tmux)
    if mode == "off":
        return Decision(NOTHING, f"{where}; compact.mode is off", None, percent)
    if last_compact_at is not None:
        minutes = (now - last_compact_at) / 60
        if 0 <= minutes < config.min_interval_minutes:
            return Decision(
                NOTHING,
                f"{where}; cc-guard started a compaction {minutes:.0f} min ago "
                f"(min_interval_minutes {config.min_interval_minutes:g})",
                None,
                percent,
            )
    if mode == "tmux":
        if not in_tmux:
            return Decision(
                NOTIFY,
                f"{where}; mode is tmux but the session's tmux pane is unknown",
                None,
                percent,
            )
        return Decision(COMPACT, where, "tmux", percent)
    if mode == "headless":
        if process_alive is not False:
            return Decision(
                NOTIFY,
                f"{where}; headless compaction waits until the session's Claude Code exits "
                "(compacting a live session forks its transcript)",
                None,
                percent,
            )
        return Decision(COMPACT, where, "headless", percent)
    return Decision(NOTIFY, f"{where}; mode is notify", None, percent)
