"""Shadow-git checkpoints: the work tree committed to ``refs/cc-guard/<session-id>``.

Public API: :func:`take_checkpoint`, :func:`list_checkpoints`,
:func:`restore_checkpoint`; for ``doctor`` and ``status``, :func:`health` (are
checkpoints behind, temp files left by killed processes) and :func:`sweep` (remove
those). Loaded lazily, so the hook path imports only ``snapshot``.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: the hook path does not import typing
if TYPE_CHECKING:
    from typing import Any

    from cc_guard.checkpoints.checkup import CheckpointHealth, health, sweep
    from cc_guard.checkpoints.history import Checkpoint, list_checkpoints
    from cc_guard.checkpoints.restore import RestoreResult, restore_checkpoint
    from cc_guard.checkpoints.snapshot import take_checkpoint

__all__ = [
    "Checkpoint",
    "CheckpointHealth",
    "RestoreResult",
    "health",
    "list_checkpoints",
    "restore_checkpoint",
    "sweep",
    "take_checkpoint",
]

_WHERE = {
    "take_checkpoint": "snapshot",
    "CheckpointHealth": "checkup",
    "health": "checkup",
    "sweep": "checkup",
    "Checkpoint": "history",
    "list_checkpoints": "history",
    "RestoreResult": "restore",
    "restore_checkpoint": "restore",
}


def __getattr__(name: str) -> Any:
    # Lazy so the hook path (which imports cc_guard.runtime.handlers.checkpoint) loads only
    # the modules it uses.
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(f"cc_guard.checkpoints.{module}"), name)
