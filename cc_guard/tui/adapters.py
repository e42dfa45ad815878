"""Features other parts of cc-guard provide, reached only when they are installed.

Each adapter imports its feature lazily and answers ``None`` (or raises
:class:`Unavailable` with what to do instead) when it is not there, so the
dashboard runs the same with or without it:

- the doctor (``cc_guard.doctor.run_doctor``): the verdict for the outage banner and ``d``;
- the context policy (``cc_guard.context``): the auto-compact point and forecast for the
  fill chart; its action (``cc_guard.compaction.compact_session``) behind ``c``.
"""

from __future__ import annotations

import importlib
import inspect
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
    summary: str  # the verdict in one sentence
    text: str  # the verdict, the evidence, what to do


def doctor_available() -> bool:
    return _find("cc_guard.doctor", "run_doctor") is not None


def run_doctor(transcript: str | None = None) -> DoctorResult:
    """One bounded ``cc_guard.doctor.run_doctor`` run (the free probe, never the paid one),
    about the session of ``transcript`` too when given. Raises :class:`Unavailable`."""
    try:
        from cc_guard.doctor import DoctorOptions
        from cc_guard.doctor import run_doctor as doctor
    except ImportError:
        raise Unavailable(
            "cc-guard doctor is not part of this version; check the status page and your network"
        ) from None
    from pathlib import Path

    report = doctor(
        DoctorOptions(probe=False, session_transcript=Path(transcript) if transcript else None)
    )
    lines = [f"{report.verdict}: {report.summary}", "", "Evidence:"]
    width = max((len(f.check) for f in report.findings), default=0)
    lines += [f"  {f.status!s:<5} {f.check:<{width}}  {f.evidence}" for f in report.findings]
    lines += ["", "What to do:", *(f"  - {advice}" for advice in report.advice)]
    lines.append(f"\n(doctor took {report.elapsed:.1f} s)")
    return DoctorResult(str(report.verdict), report.summary, "\n".join(lines))


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
    return _find("cc_guard.compaction", "compact_session") is not None


def compact(session: SessionModel) -> str:
    """Compact the session the way ``cc-guard compact`` does; what was done, in one line."""
    action = _find("cc_guard.compaction", "compact_session")
    if action is None:
        raise Unavailable(
            "compacting from the dashboard comes with cc-guard's context policy; for now type "
            f"/compact in the session, or for a stopped one: claude -p /compact --resume {session.session_id}"
        )
    result = _call(action, session=session, session_id=session.session_id, via="auto")
    message = _field(result, "message")
    return str(message if message is not None else result)
