"""``cc-guard doctor``: is it upstream, the network, or me?

Checks return data (``result.Finding``: a status, one line of evidence, a fix and
the verdict it points to); ``verdict.judge`` combines them; ``run.run_doctor``
runs them all in parallel within a deadline. ``network`` holds the probes (DNS,
connect, one API request, the status page), ``local`` everything on this machine
(key, proxy, config and settings files, Claude Code, hooks, incidents across
sessions, cc-guard's own API calls, one session).

Core: no Textual, not on the hook path. The dashboard calls ``run_doctor`` from a
worker thread; ``DoctorReport.to_json()`` is the stable ``--json`` shape.
"""

from cc_guard.doctor.result import EXIT_CODES, DoctorReport, Finding, Status, Verdict
from cc_guard.doctor.run import DoctorOptions, run_doctor

__all__ = [
    "EXIT_CODES",
    "DoctorOptions",
    "DoctorReport",
    "Finding",
    "Status",
    "Verdict",
    "run_doctor",
]
