"""Features other parts of cc-guard provide, reached only when they are installed.

Each adapter imports its feature lazily and answers ``None`` (or raises
:class:`Unavailable` with what to do instead) when it is not there, so the
dashboard runs the same with or without it:

- the doctor (``cc_guard.doctor.run_doctor``): verdict for the outage banner and ``d``;
- the context policy (``cc_guard.context``): the auto-compact point and forecast for the
  fill chart, and the compact action behind ``c``.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cc_guard.transcripts.model import SessionModel

#: Claude Code's proactive compaction point on a window bigger than 200k, as measured on
#: 2.1.328: ``window - min(max output, 20k) - 13k`` (a 200k model never compacts
#: proactively). Used for the chart until the context package answers for the session.
_RESERVE = 20_000 + 13_000
_SMALL_WINDOW = 200_000


class Unavailable(Exception):
    """The feature is not part of this cc-guard; the message says what to do instead."""


def _find(module: str, *names: str) -> Callable[..., Any] | None:
    try:
        loaded = importlib.import_module(module)
    except ImportError:
        return None
    for name in names:
        found = getattr(loaded, name, None)
        if callable(found):
            return found  # type: ignore[no-any-return]
    return None


def _call(function: Callable[..., Any], **kwargs: Any) -> Any:
    """Call ``function`` with those of ``kwargs`` its signature takes."""
    try:
        params = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return function()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return function(**kwargs)
    return function(**{k: v for k, v in kwargs.items() if k in params})


def _field(report: Any, name: str) -> Any:
    if isinstance(report, dict):
        return report.get(name)
    return getattr(report, name, None)


# ----------------------------------------------------------------------------- doctor


@dataclass(frozen=True)
class DoctorResult:
    verdict: str
    text: str  # the human report (verdict first, then evidence and what to do)


def doctor_available() -> bool:
    return _find("cc_guard.doctor", "run_doctor") is not None


def run_doctor(session_id: str | None = None) -> DoctorResult:
    """One bounded, in-process doctor run (no paid probe). Raises :class:`Unavailable`."""
    run = _find("cc_guard.doctor", "run_doctor")
    if run is None:
        raise Unavailable(
            "cc-guard doctor is not part of this version; check the status page and your network"
        )
    report = _call(run, session=session_id, probe=False)
    verdict = _field(report, "verdict")
    verdict_text = str(getattr(verdict, "value", verdict) or "unknown")
    for name in ("render_text", "to_text", "human"):
        render = _field(report, name)
        if callable(render):
            return DoctorResult(verdict_text, str(render()))
    to_json = _field(report, "to_json")
    data = to_json() if callable(to_json) else report
    try:
        text = json.dumps(data, indent=2, default=str)
    except (TypeError, ValueError):
        text = str(data)
    return DoctorResult(verdict_text, text)


# ----------------------------------------------------------------------------- context


def auto_compact_point(session: SessionModel) -> int | None:
    """Where Claude Code will compact this session by itself (tokens), None if it never will."""
    effective = _find("cc_guard.context", "auto_compact_point", "effective_auto_compact_point")
    if effective is not None:
        value = _call(
            effective, session=session, model=session.model, window=session.context_window
        )
        return value if isinstance(value, int) else None
    window = session.context_window
    if window is None or window <= _SMALL_WINDOW:
        return None
    return window - _RESERVE


def forecast_text(session: SessionModel) -> str | None:
    """The context package's forecast in one line (turns and minutes until compaction)."""
    forecast = _find("cc_guard.context", "forecast")
    if forecast is None:
        return None
    result = _call(forecast, session=session)
    if result is None:
        return None
    describe = _field(result, "describe")
    return str(describe() if callable(describe) else result)


def compact_available() -> bool:
    return _find("cc_guard.context", "compact_session", "compact") is not None


def compact(session: SessionModel) -> str:
    """Compact the session the way ``cc-guard compact`` does; what was done, in one line."""
    action = _find("cc_guard.context", "compact_session", "compact")
    if action is None:
        raise Unavailable(
            "compacting from the dashboard comes with cc-guard's context policy; for now type "
            f"/compact in the session, or for a stopped one: claude -p /compact --resume {session.session_id}"
        )
    result = _call(action, session=session, session_id=session.session_id, via="auto")
    message = _field(result, "message")
    return str(message if message is not None else result)
