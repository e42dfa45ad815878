"""The session list: ``sessions --json`` rows and the ``cc-guard sessions`` table.

The table is rendered from the ``--json`` rows, so both outputs come from one
text (the result cache, :mod:`cc_guard.views.cache`, stores that text). Used by
the CLI, the dashboard and ``doctor``; click-free.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cc_guard.context.report import context_summary
from cc_guard.views.fmt import ago, context_text, home_relative, table

if TYPE_CHECKING:
    from cc_guard.config.sections import CompactConfig
    from cc_guard.transcripts.model import SessionModel

#: The ``sessions --json`` row: stable, documented in docs/sessions.md (generated).
SUMMARY_FIELDS = (
    "session_id",
    "project_dir",
    "model",
    "context_tokens",
    "context_window",
    "context_percent",
    "context_source",
    "state",
    "state_reason",
    "first_activity",
    "last_activity",
    "incident_count",
    "turns",
    "git_branch",
    "version",
    "transcript_path",
    "auto_compact_tokens",
    "auto_compact_percent",
    "until_auto_compact",
    "context_level",
)

_config_cache: tuple[tuple[int, int] | None, CompactConfig] | None = None


def listing_config() -> CompactConfig:
    """``[compact]`` of the user config file (a listing spans projects, so project files
    do not apply), read again only when the file changes."""
    global _config_cache
    import os

    from cc_guard.base.paths import config_path
    from cc_guard.config.sections import CompactConfig

    try:
        st = os.stat(config_path())
        key: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    if _config_cache is not None and _config_cache[0] == key:
        return _config_cache[1]
    config = CompactConfig()
    if key is not None:
        import contextlib

        from cc_guard.config.load import ConfigError, load_config

        # A broken file: `cc-guard config` reports it; a listing goes on without it.
        with contextlib.suppress(ConfigError):
            config = load_config().compact
    _config_cache = (key, config)
    return config


def summary(session: SessionModel, config: CompactConfig | None = None) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "project_dir": session.project_dir,
        "model": session.model,
        "context_tokens": session.context_tokens,
        "context_window": session.context_window,
        "context_percent": session.context_percent,
        "context_source": session.context_source,
        "state": session.state.value,
        "state_reason": session.state_reason,
        "first_activity": session.first_activity,
        "last_activity": session.last_activity,
        "incident_count": session.incident_count,
        "turns": session.turns,
        "git_branch": session.git_branch,
        "version": session.version,
        "transcript_path": session.transcript_path,
        **context_summary(session, config or listing_config()),
    }


def row_text(session: SessionModel) -> str:
    # No indent: json's C encoder only runs without it, and this can be thousands of rows.
    return json.dumps(summary(session))


def join_rows(rows: list[str]) -> str:
    """``json.dumps({"sessions": rows})`` for rows already encoded one by one."""
    return '{"sessions": [' + ", ".join(rows) + "]}"


# --- the table ------------------------------------------------------------------

TABLE_HEADER = [
    "PROJECT",
    "SESSION",
    "MODEL",
    "CONTEXT",
    "AUTO-COMPACT",
    "STATE",
    "LAST ACTIVITY",
    "INCIDENTS",
]


def until_cell(row: dict[str, Any]) -> str:
    """How far the session is from Claude Code's auto-compaction, as its footer says it."""
    until = row.get("until_auto_compact")
    if until is not None:
        text = f"{until}% left" if until > 0 else "next"
    elif row.get("auto_compact_percent") is not None:
        text = "none"  # Claude Code will not compact it by itself
    else:
        return "-"
    return text + (" (!)" if row.get("context_level") in ("warn", "compact") else "")


def no_sessions(projects: str | None) -> str:
    """What a first run says: where cc-guard looked, and what to do next."""
    where = f" in {projects}" if projects else ""
    return (
        f"No Claude Code sessions found{where}.\n"
        "Start one by running `claude` in a project (or set CLAUDE_CONFIG_DIR if Claude Code "
        "keeps its files elsewhere);\nrun `cc-guard install` once so cc-guard follows every "
        "session as it runs."
    )


def render_table(rows: list[dict[str, Any]], now: float, projects: str | None = None) -> str:
    """``cc-guard sessions`` for these ``--json`` rows (ages relative to ``now``);
    ``projects``: where the sessions were looked for (named when there are none)."""
    if not rows:
        return no_sessions(projects)
    cells = [TABLE_HEADER]
    for row in rows:
        cells.append(
            [
                home_relative(row["project_dir"]),
                row["session_id"][:8],
                row["model"] or "-",
                context_text(row["context_tokens"], row["context_percent"], row["context_window"]),
                until_cell(row),
                row["state"],
                ago(row["last_activity"], now),
                str(row["incident_count"]),
            ]
        )
    return table(cells)
