"""What doctor finds, as data: findings, a verdict, an exit code, and their JSON.

Checks return :class:`Finding` objects (a status, one line of evidence, a fix, and
the verdict they point to, if any); :func:`cc_guard.doctor.verdict.judge` turns
them into a :class:`Verdict`; :class:`DoctorReport` holds it all and renders the
stable ``--json`` shape (docs/doctor.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JSON_VERSION = 1


class Status(StrEnum):
    OK = "ok"
    INFO = "info"  # neither good nor bad news: a fact worth showing
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"  # not run (no key for the probe, no status URL, ...)
    TIMEOUT = "timeout"  # no answer within its time
    ERROR = "error"  # the check itself broke (a bug or an odd environment)


class Verdict(StrEnum):
    HEALTHY = "healthy"
    UPSTREAM_OVERLOADED = "upstream-overloaded"
    UPSTREAM_ERROR = "upstream-error"
    RATE_LIMITED = "rate-limited"
    AUTH_PROBLEM = "auth-problem"
    NETWORK_PROBLEM = "network-problem"
    LOCAL_CONFIG_PROBLEM = "local-config-problem"
    DEGRADED = "degraded"


#: ``cc-guard doctor``'s exit code per verdict (1 and 2 stay for usage errors).
EXIT_CODES: dict[Verdict, int] = {
    Verdict.HEALTHY: 0,
    Verdict.DEGRADED: 10,
    Verdict.UPSTREAM_OVERLOADED: 11,
    Verdict.UPSTREAM_ERROR: 12,
    Verdict.RATE_LIMITED: 13,
    Verdict.AUTH_PROBLEM: 14,
    Verdict.NETWORK_PROBLEM: 15,
    Verdict.LOCAL_CONFIG_PROBLEM: 16,
}


@dataclass(frozen=True)
class Finding:
    """One check's result."""

    check: str
    status: Status
    #: One line: what the check found (never a key).
    evidence: str
    #: What to do about it, when there is something to do.
    fix: str | None = None
    #: The verdict this finding is evidence for (None: it says nothing about the cause).
    points_to: Verdict | None = None
    #: Machine-readable details (per check; see docs/doctor.md).
    data: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "status": str(self.status),
            "evidence": self.evidence,
            "fix": self.fix,
            "points_to": str(self.points_to) if self.points_to else None,
            "seconds": round(self.seconds, 3),
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class DoctorReport:
    verdict: Verdict
    #: The verdict in one sentence, with the evidence that decided it.
    summary: str
    #: What to do, most useful first.
    advice: tuple[str, ...]
    findings: tuple[Finding, ...]
    elapsed: float
    #: Whether the run sent the paid 1-token probe (``--probe``).
    probed: bool = False

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": JSON_VERSION,
            "verdict": str(self.verdict),
            "exit_code": self.exit_code,
            "summary": self.summary,
            "advice": list(self.advice),
            "elapsed_seconds": round(self.elapsed, 3),
            "probe_sent": self.probed,
            "checks": [f.as_json() for f in self.findings],
        }
