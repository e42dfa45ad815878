"""The Claude Code plugin layout: ``hooks/hooks.json`` generated from the same table.

``claude --plugin-dir <repo>`` (or a marketplace install) loads the repo as a plugin.
Its hooks call ``hooks/run-hook <Event>``, a launcher that finds cc-guard on its
own (``$CC_GUARD_BIN``, PATH, ``python3 -m cc_guard``) and exits 0 when it cannot,
so a plugin without cc-guard installed never breaks a session.

Regenerate after changing ``merge.EVENTS``: ``python -m cc_guard.install.plugin <repo>``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cc_guard.install.merge import hook_groups

LAUNCHER = '"${CLAUDE_PLUGIN_ROOT}/hooks/run-hook" {event}'
DESCRIPTION = "cc-guard: checkpoints, handoff snapshots and context tracking for Claude Code"


def hooks_json() -> str:
    groups = hook_groups([], command=LAUNCHER)
    data = {
        "description": DESCRIPTION,
        "hooks": {event: [group] for event, group in groups.items()},
    }
    return json.dumps(data, indent=2) + "\n"


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path.cwd()
    (root / "hooks" / "hooks.json").write_text(hooks_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
