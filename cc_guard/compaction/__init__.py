"""Compaction actions: the I/O above the pure context policy (``cc_guard.context``).

- :func:`compact_session` (:mod:`.action`): compact one session now, by typing
  ``/compact <focus>`` into its tmux pane or, for a stopped session, headless;
  ``cc-guard compact`` and the dashboard both call it.
- :mod:`.reports`: a compaction's life through the hooks and the report it leaves.
- :mod:`.estimate`: the fill between exact usages (counts what was appended).
- :mod:`.recover`: auto-resume after a transient failure (``[recover] auto``).
- :mod:`.worker` / :mod:`.spawn`: the detached worker the Stop and StopFailure hooks start.

Names load their module on first use: the hooks import :mod:`.spawn` alone.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cc_guard.compaction.action import CompactPlan, CompactResult, compact_session, plan

__all__ = ["CompactPlan", "CompactResult", "compact_session", "plan"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from cc_guard.compaction import action

        return getattr(action, name)
    raise AttributeError(f"module 'cc_guard.compaction' has no attribute {name!r}")
