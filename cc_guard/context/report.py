"""One session's context, in full: fill, both denominators, the estimate, the forecast.

:func:`report_for` is what every view asks (``status``, ``sessions --json``, the
dashboard): a pure function of the session model, the statusline feed and the clock,
plus, when the caller counted them (``cc_guard.compaction.estimate`` does), the
tokens appended since the newest exact usage and the session's calibration factor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from cc_guard.base.claude import feed_window
from cc_guard.base.timefmt import epoch
from cc_guard.config.sections import CompactConfig
from cc_guard.context import threshold
from cc_guard.context.fill import Calibration, Since
from cc_guard.context.fill import estimate as estimate_fill
from cc_guard.context.forecast import Forecast, forecast

if TYPE_CHECKING:
    from cc_guard.transcripts.model import SessionModel

OK = "ok"
WARN = "warn"
COMPACT = "compact"


@dataclass
class Estimate:
    """The fill now, between two exact usages."""

    exact: int  # fill + output of the newest response (or a compaction's post tokens)
    exact_time: str | None
    appended: int  # cl100k tokens of what was appended since
    records: int  # records appended since
    factor: float  # the session's calibration: tokens per counted token...
    overhead: float  # ... plus this many per appended record
    samples: int  # gaps the calibration was learned from (0: the defaults)
    tokens: int  # exact + factor x appended + overhead x records

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ContextReport:
    """Everything cc-guard knows about one session's context (``status --json`` ``context``)."""

    session_id: str
    model: str | None
    window: int | None  # the model window: the statusline's denominator
    tokens: int | None  # input + cache of the newest response (post tokens after a compaction)
    output_tokens: int | None
    total: int | None  # tokens + output: what Claude Code compares with its threshold
    percent_of_window: float | None
    auto_compact: dict[str, Any] | None  # threshold.AutoCompact.to_json()
    percent_of_point: float | None  # total as a percentage of the auto-compact point
    until_auto_compact: (
        int | None
    )  # Claude Code's "N% until auto-compact" N (None: it never compacts)
    until_text: str | None  # that figure as text, or why there is none
    footer: str | None  # exactly what Claude Code's footer shows at this fill (None: nothing)
    level: str  # ok | warn | compact: against [compact] warn_percent / auto_percent
    after_compaction: bool  # the fill is a compaction's estimate; no response since
    estimate: Estimate | None
    forecast: Forecast
    advice: str | None = None  # what to do, for people
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["forecast"] = self.forecast.to_json()
        return data


def auto_compact_for(
    model: SessionModel,
    config: CompactConfig | None = None,
    env: Mapping[str, str] | None = None,
    window: int | None = None,
) -> threshold.AutoCompact | None:
    """The session's auto-compact point (None while its window is unknown)."""
    size = window or model.context_window
    if not size:
        return None
    tokens = (config or CompactConfig()).auto_compact_tokens
    return threshold.auto_compact(
        size, model.model, model.compact_env if env is None else env, tokens
    )


def auto_compact_point(session: SessionModel) -> int | None:
    """Where Claude Code will compact ``session`` by itself (tokens); None if it never will."""
    auto = auto_compact_for(session)
    return auto.threshold if auto is not None and auto.proactive else None


def level_of(percent: float | None, config: CompactConfig) -> str | None:
    """``ok`` | ``warn`` | ``compact`` for a fill of ``percent`` of the auto-compact point."""
    if percent is None:
        return None
    if percent >= config.auto_percent:
        return COMPACT
    if percent >= config.warn_percent:
        return WARN
    return OK


def context_summary(session: SessionModel, config: CompactConfig | None = None) -> dict[str, Any]:
    """The ``sessions --json`` fields about the auto-compact point (cheap: no forecast)."""
    config = config or CompactConfig()
    auto = auto_compact_for(session, config)
    total = total_tokens(session)
    percent = until = None
    if auto is not None and total is not None and auto.point > 0:
        percent = round(100.0 * total / auto.point, 1)
        until = threshold.percent_left(total, auto) if auto.proactive else None
    return {
        "auto_compact_tokens": auto.point if auto is not None else None,
        "auto_compact_percent": percent,
        "until_auto_compact": until,
        "context_level": level_of(percent, config),
    }


def total_tokens(model: SessionModel) -> int | None:
    if model.context_tokens is None:
        return None
    return model.context_tokens + (model.context_output_tokens or 0)


def session_forecast(
    session: SessionModel, config: CompactConfig | None = None, tokens_now: int | None = None
) -> Forecast:
    """The forecast of ``session`` from its fill history."""
    fills = [
        (when, point.tokens)
        for point in session.fill_history
        if (when := epoch(point.time)) is not None
    ]
    starts = [when for prompt in session.prompts if (when := epoch(prompt.time)) is not None]
    compactions = [when for c in session.compactions if (when := epoch(c.time)) is not None]
    auto = auto_compact_for(session, config)
    now_tokens = tokens_now if tokens_now is not None else total_tokens(session)
    return forecast(
        fills,
        starts,
        compactions,
        now_tokens,
        auto.point if auto is not None else None,
        session.context_window,
    )


def report_for(
    session: SessionModel,
    feed: Mapping[str, Any] | None = None,
    now: float | None = None,
    *,
    config: CompactConfig | None = None,
    since: Since | None = None,
    calibration: Calibration | None = None,
    env: Mapping[str, str] | None = None,
) -> ContextReport:
    """The context report of ``session``.

    ``feed``: its statusline record (the window Claude Code reports); ``since`` and
    ``calibration``: what was appended after the newest exact usage, counted, and the
    session's calibration (no estimate without ``since``); ``env``: its
    auto-compaction settings when the model does not carry them. ``now`` is accepted
    for callers that pass the clock; nothing here depends on it yet.
    """
    config = config or CompactConfig()
    window = feed_window(feed, session.model) or session.context_window
    auto = auto_compact_for(session, config, env, window)
    total = total_tokens(session)
    after_compaction = bool(
        session.compactions
        and session.context_output_tokens == 0
        and session.context_tokens == session.compactions[-1].post_tokens
    )
    estimate: Estimate | None = None
    if since is not None:
        used = calibration or Calibration()
        estimate = Estimate(
            exact=since.exact,
            exact_time=since.exact_time,
            appended=since.appended,
            records=since.records,
            factor=round(used.factor, 3),
            overhead=round(used.overhead, 1),
            samples=used.samples,
            tokens=estimate_fill(since.exact, since.appended, used, since.records),
        )
    now_tokens = estimate.tokens if estimate is not None else total
    percent_of_window = (
        round(100.0 * session.context_tokens / window, 1)
        if session.context_tokens is not None and window
        else None
    )
    percent_of_point = until = None
    until_text = footer = None
    level = OK
    warnings: list[str] = []
    advice = None
    if auto is not None and now_tokens is not None:
        percent_of_point = round(100.0 * now_tokens / auto.point, 1) if auto.point > 0 else None
        if auto.proactive:
            until = threshold.percent_left(now_tokens, auto)
        until_text = threshold.until_text(now_tokens, auto)
        footer = threshold.footer(now_tokens, auto)
        level = level_of(percent_of_point, config) or OK
        if level == COMPACT:
            advice = f"compact now: cc-guard compact {session.session_id[:8]}"
        elif level == WARN:
            advice = "compaction is coming: finish the current step, or compact now"
        if auto.enabled and not auto.proactive:
            warnings.append(
                "Claude Code does not compact this model proactively (a 200k window without "
                "an auto-compact window setting): it compacts only after the API refuses the "
                "prompt as too long, so cc-guard's own threshold is the only early one"
            )
        if not auto.enabled:
            warnings.append("auto-compaction is off in this session (DISABLE_AUTO_COMPACT)")
    return ContextReport(
        session_id=session.session_id,
        model=session.model,
        window=window,
        tokens=session.context_tokens,
        output_tokens=session.context_output_tokens,
        total=total,
        percent_of_window=percent_of_window,
        auto_compact=auto.to_json() if auto is not None else None,
        percent_of_point=percent_of_point,
        until_auto_compact=until,
        until_text=until_text,
        footer=footer,
        level=level,
        after_compaction=after_compaction,
        estimate=estimate,
        forecast=session_forecast(session, config, now_tokens),
        advice=advice,
        warnings=warnings,
    )
