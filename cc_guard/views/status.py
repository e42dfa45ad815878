"""``cc-guard status``: one session in full, as text (the JSON is the model's own)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cc_guard.state.errors import Failing
from cc_guard.transcripts.model import SessionModel
from cc_guard.views.fmt import (
    ago,
    context_text,
    home_relative,
    plural,
    short_sha,
    tokens_text,
    when,
)

if TYPE_CHECKING:
    from cc_guard.context.report import ContextReport

#: Compaction reports ``status`` shows (and ``status --json`` lists).
REPORTS_SHOWN = 5


def context_report(s: SessionModel, estimate: bool = True) -> ContextReport:
    """The session's context report, with the fill estimated from what was appended since
    its newest exact usage (``estimate``: counts tokens, reading the transcript's tail)."""
    import time

    from cc_guard.base.paths import state_root
    from cc_guard.config import compact_config
    from cc_guard.context.report import report_for
    from cc_guard.state import feeds

    measured = None
    if estimate:
        from cc_guard.compaction.estimate import measure

        measured = measure(Path(s.transcript_path))
    return report_for(
        s,
        feeds.read(state_root(), s.session_id),
        time.time(),
        config=compact_config(s.project_dir),
        since=measured.since if measured is not None else None,
        calibration=measured.calibration if measured is not None else None,
    )


def compaction_reports(s: SessionModel, limit: int = REPORTS_SHOWN) -> list[dict[str, Any]]:
    """The session's newest compaction reports (oldest first)."""
    from cc_guard.base.paths import state_root
    from cc_guard.state import compaction

    return compaction.reports(state_root(), s.session_id, limit)


def compaction_notice(s: SessionModel) -> dict[str, Any] | None:
    """What cc-guard currently says about the session's compaction (warn, compact now, ...)."""
    from cc_guard.base.paths import state_root
    from cc_guard.state import compaction

    notice = compaction.read(state_root(), s.session_id).get("notice")
    return notice if isinstance(notice, dict) else None


def _context_lines(report: ContextReport) -> list[str]:
    auto = report.auto_compact
    if auto is None:
        return []
    source = {
        "default": "Claude Code's default",
        "env": "CLAUDE_CODE_AUTO_COMPACT_WINDOW",
        "flag": "--autocompact",
        "config": "[compact] auto_compact_tokens",
        "reactive": "Claude Code would; it compacts this model only after a 400",
        "disabled": "auto-compaction is off",
    }.get(str(auto["source"]), str(auto["source"]))
    lines = [
        f"compact   at {tokens_text(auto['point'])} ({source})"
        + (
            f"; {report.percent_of_point:.0f}% of it used"
            if report.percent_of_point is not None
            else ""
        )
        + (f"; {report.until_text}" if report.until_text else "")
        + (f"  [{report.level}]" if report.level != "ok" else ""),
    ]
    est = report.estimate
    if est is not None and est.appended:
        lines.append(
            f"estimate  {tokens_text(est.tokens)} now: {tokens_text(est.exact)} after the newest "
            f"response (output included), + {plural(est.appended, 'token')} counted in "
            f"{plural(est.records, 'record')} since, x {est.factor:.2f} + {est.overhead:.0f} per "
            "record"
            + (f" (learned from {plural(est.samples, 'gap')})" if est.samples else " (defaults)")
        )
    lines.append(f"forecast  {report.forecast.describe()}")
    if report.advice:
        lines.append(f"advice    {report.advice}")
    lines += [f"note      {w}" for w in report.warnings]
    return lines


def _report_lines(reports: list[dict[str, Any]]) -> list[str]:
    if not reports:
        return []
    lines = [f"\ncompaction reports ({len(reports)}, newest last)"]
    for r in reports:
        head = (
            f"  {when(r.get('time'))}  {r.get('trigger') or '?'} by {r.get('by') or '?'}"
            + (f" via {r['via']}" if r.get("via") else "")
            + f": {r.get('outcome')}"
        )
        if r.get("outcome") == "failed":
            lines.append(f"{head} ({r.get('error')})")
            continue
        kept, dropped = r.get("kept") or [], r.get("dropped") or []
        reinjected = {f.get("text") for f in r.get("reinjected") or []}
        lines.append(f"{head}; kept {len(kept)} key facts, dropped {len(dropped)}")
        for fact in dropped:
            again = " (re-injected)" if fact.get("text") in reinjected else ""
            lines.append(f"    dropped {fact.get('kind')}: {_one_line(str(fact.get('text')), 100)}{again}")
    return lines


def checkpoint_summary(s: SessionModel) -> dict[str, object]:
    """The session's checkpoint chain in its project (a note when there can be none)."""
    project = Path(s.project_dir) if s.project_dir else None
    if project is None or not project.is_dir():
        return {
            "repo": False,
            "ref": None,
            "count": 0,
            "latest": None,
            "latest_time": None,
            "note": "project directory not found: no checkpoints",
        }
    from cc_guard.checkpoints.history import checkpoint_summary

    return checkpoint_summary(project, s.session_id)


def render_status(
    s: SessionModel,
    checkpoints: dict[str, object],
    now: float,
    problems: Failing | None = None,
    *,
    verbose: bool = False,
    context: ContextReport | None = None,
    reports: list[dict[str, Any]] | None = None,
) -> str:
    """The text of ``cc-guard status``; ``verbose`` adds the format-drift diagnostics
    (record types and fields newer than cc-guard), which ``--json`` always has;
    ``context`` and ``reports`` add the context report and the compaction reports."""
    t = s.tokens
    lines = [
        f"session   {s.session_id}",
        f"project   {home_relative(s.project_dir)}"
        + (f"  (branch {s.git_branch})" if s.git_branch else ""),
        f"model     {s.model or '-'}   Claude Code {s.version or '?'}",
        f"state     {s.state.value} - {s.state_reason or ''}",
        f"context   {context_text(s.context_tokens, s.context_percent, s.context_window)}"
        f" (window from {s.context_source})",
        *(_context_lines(context) if context is not None else []),
        f"activity  {when(s.first_activity)} .. {when(s.last_activity)} ({ago(s.last_activity, now)})",
        f"turns     {s.turns} prompts, {s.api_calls} API responses",
        f"tokens    in {t.input_tokens}, out {t.output_tokens}, "
        f"cache write {t.cache_creation_input_tokens}, cache read {t.cache_read_input_tokens}",
        f"file      {s.transcript_path}",
        f"git       {checkpoints['note']}"
        + (f" (newest {short_sha(str(checkpoints['latest']))})" if checkpoints.get("latest") else ""),
    ]
    if s.compactions:
        lines.append(f"\ncompactions ({len(s.compactions)})")
        lines += [
            f"  {when(c.time)}  {c.trigger or '?'}  before: {tokens_text(c.pre_tokens)}"
            + (f", after: {tokens_text(c.post_tokens)}" if c.post_tokens is not None else "")
            for c in s.compactions
        ]
    lines += _report_lines(reports or [])
    if s.incidents:
        lines.append(f"\nincidents ({len(s.incidents)}, newest last)")
        for i in s.incidents[-10:]:
            outcome = {True: "final", False: "retried ok", None: "retrying"}[i.final]
            attempt = (
                f" attempt {i.retry_attempt}/{i.max_retries or '?'}" if i.retry_attempt else ""
            )
            lines.append(
                f"  {when(i.time)}  {i.kind.value} {i.status or ''}{attempt}  {outcome}  {i.source}"
            )
    if s.todos:
        lines.append("\ntodos")
        lines += [f"  [{todo.status}] {todo.content}" for todo in s.todos]
    if s.files_touched:
        lines.append(f"\nfiles touched ({len(s.files_touched)})")
        lines += [f"  {f.path}  ({', '.join(f.tools)})" for f in s.files_touched[-20:]]
    if s.pending_tool_calls:
        lines.append("\ntool calls without a result")
        lines += [f"  {when(c.time)}  {c.name}  {c.id}" for c in s.pending_tool_calls]
    if s.prompts:
        lines.append(f"\nprompts ({len(s.prompts)}, last 5)")
        lines += [f"  {when(p.time)}  {_one_line(p.text)}" for p in s.prompts[-5:]]
    if s.last_assistant_text:
        lines.append("\nlast assistant text")
        lines.append(f"  {_one_line(s.last_assistant_text, 300)}")
    if s.subagents:
        lines.append(f"\nsubagents ({len(s.subagents)})")
        lines += [f"  {p}" for p in s.subagents]
    st = s.stats
    skipped = st.malformed_lines + st.non_utf8_lines + st.oversized_lines
    if skipped:  # damage in the transcript itself: always worth a line
        lines.append(
            f"\nunreadable lines skipped: {st.malformed_lines} malformed, "
            f"{st.non_utf8_lines} non-UTF-8, {st.oversized_lines} oversized"
        )
    if verbose and (st.unknown_record_types or st.unknown_fields):
        # A newer Claude Code writes more than cc-guard knows: a note for developers.
        unknown = ", ".join(f"{k} x{v}" for k, v in sorted(st.unknown_record_types.items()))
        fields = ", ".join(sorted(st.unknown_fields))
        lines.append(
            "\nnot known to this cc-guard (skipped, harmless)"
            + (f"\n  record types: {unknown}" if unknown else "")
            + (f"\n  fields: {fields}" if fields else "")
        )
    if problems is not None:
        newest = problems.newest
        lines.append(f"\ncc-guard problems: {plural(problems.count, 'error')} in the last hour")
        lines.append(
            f"  newest: {when(newest.time)}  {newest.source}  {_one_line(newest.message, 200)}"
        )
        lines.append(f"  all of them: {problems.path}")
    return "\n".join(lines)


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
