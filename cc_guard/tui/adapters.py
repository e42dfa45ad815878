"""What the dashboard asks of the rest of cc-guard, in the shape its screens need.

- the doctor (``cc_guard.doctor.run_doctor``): the verdict for the outage banner and ``d``;
- the context policy (``cc_guard.context``): the auto-compact point and the forecast for
  the fill chart; its action (``cc_guard.compaction.compact_session``) behind ``c``.

The blocking ones (doctor, compact) are called from workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cc_guard.transcripts.model import SessionModel

# ----------------------------------------------------------------------------- doctor


@dataclass(frozen=True)
class DoctorResult:
    verdict: str
    summary: str  # the verdict in one sentence
    text: str  # the verdict, the evidence, what to do


def run_doctor(transcript: str | None = None) -> DoctorResult:
    """One bounded ``cc_guard.doctor.run_doctor`` run (the free probe, never the paid one),
    about the session of ``transcript`` too when given."""
    from cc_guard.doctor import DoctorOptions
    from cc_guard.doctor import run_doctor as doctor

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
    from cc_guard.context.report import auto_compact_point as point

    return point(session)


def forecast_text(session: SessionModel) -> str | None:
    """The forecast in one line (turns and minutes until compaction)."""
    from cc_guard.context.report import session_forecast

    result = session_forecast(session)
    return None if result is None else result.describe()


def compact(session: SessionModel) -> str:
    """Compact the session the way ``cc-guard compact`` does; what was done, in one line."""
    from cc_guard.compaction import compact_session

    return compact_session(session, via="auto").message
