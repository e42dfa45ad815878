"""The context policy: pure functions, no I/O (the data flow's "policies decide" step).

- :mod:`.threshold`: where Claude Code compacts by itself (the effective auto-compact
  point, its overrides) and what its footer shows; import-free, the statusline uses it.
- :mod:`.fill`: the fill between exact usages (what was appended, calibrated counts).
- :mod:`.pace` (import-free) and :mod:`.forecast`: tokens per turn, turns and minutes to
  the point and the window.
- :mod:`.policy`: at the end of a turn: warn, compact, notify or nothing, and why.
- :mod:`.focus`: the key facts a compaction must keep, and the focus text.
- :mod:`.compare`: which key facts a compaction summary kept or dropped.
- :mod:`.screen`: a Claude Code screen read from tmux: may cc-guard type into it?
- :mod:`.report`: :func:`report_for`, the whole picture for the views.

The names below load their module on first use, so ``import cc_guard.context.threshold``
on the statusline's path imports nothing else.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing's costs the statusline; mypy reads the names below
if TYPE_CHECKING:
    from typing import Any

    from cc_guard.context.report import (
        ContextReport,
        auto_compact_point,
        report_for,
        session_forecast,
    )

__all__ = ["ContextReport", "auto_compact_point", "report_for", "session_forecast"]

_LAZY = {
    "ContextReport": ("cc_guard.context.report", "ContextReport"),
    "auto_compact_point": ("cc_guard.context.report", "auto_compact_point"),
    "session_forecast": ("cc_guard.context.report", "session_forecast"),
    "report_for": ("cc_guard.context.report", "report_for"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'cc_guard.context' has no attribute {name!r}")
    module = __import__(target[0], fromlist=[target[1]])
    return getattr(module, target[1])
