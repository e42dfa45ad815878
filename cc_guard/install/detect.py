"""Whether cc-guard's hooks are wired into Claude Code for a project (read-only)."""

from __future__ import annotations

import json
from pathlib import Path

from cc_guard.install.command import is_own_hook


def settings_files(claude_dir: Path, project: Path | None) -> list[Path]:
    """The settings files Claude Code reads for ``project``: user, project, local."""
    files = [claude_dir / "settings.json"]
    if project is not None:
        files += [
            project / ".claude" / "settings.json",
            project / ".claude" / "settings.local.json",
        ]
    return files


def hooks_installed(claude_dir: Path, project: Path | None = None) -> bool:
    """True when any settings file Claude Code reads for ``project`` runs ``cc-guard hook``."""
    return any(_has_own_hook(path) for path in settings_files(claude_dir, project))


def _has_own_hook(path: Path) -> bool:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    hooks = data.get("hooks") if isinstance(data, dict) else None
    if not isinstance(hooks, dict):
        return False
    for groups in hooks.values():
        for group in groups if isinstance(groups, list) else []:
            entries = group.get("hooks") if isinstance(group, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and is_own_hook(entry.get("command")):
                    return True
    return False
