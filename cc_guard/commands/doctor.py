"""``cc-guard doctor``: is the trouble upstream, the network, or the local set-up?"""

from __future__ import annotations

import json

import click

from cc_guard.doctor.result import EXIT_CODES, DoctorReport, Status

_MARKS = {
    Status.OK: "ok",
    Status.INFO: "info",
    Status.WARN: "warn",
    Status.FAIL: "FAIL",
    Status.SKIPPED: "skip",
    Status.TIMEOUT: "slow",
    Status.ERROR: "err",
}


def _exit_codes_help() -> str:
    return ", ".join(f"{code} {verdict}" for verdict, code in EXIT_CODES.items())


@click.command(
    "doctor",
    epilog=f"Exit codes by verdict: {_exit_codes_help()}; 1 for errors you can fix (an unknown session).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (docs/doctor.md).")
@click.option(
    "--probe",
    is_flag=True,
    help="Send a 1-token message to the first model of [api] models instead of the free "
    "GET /v1/models (costs a little; never done without this flag).",
)
@click.option(
    "--session", "session", default=None, help="Also report on this session (id or prefix)."
)
def doctor(as_json: bool, probe: bool, session: str | None) -> int:
    """Say in one sentence whether the problem is upstream, the network or the local set-up.

    Checks run in parallel and the whole run answers within [doctor] timeout_seconds
    (5 s): local incidents across sessions, one API request, the status page, DNS and
    TCP/TLS to the API host, proxy variables, the key (never printed), Claude Code's
    version, cc-guard's hooks and the settings files.
    """
    from cc_guard.doctor.run import DoctorOptions, run_doctor

    transcript = None
    if session:
        from cc_guard.commands.errors import UserError
        from cc_guard.transcripts.locate import SessionNotFound, find_transcript

        try:
            transcript = find_transcript(session)
        except SessionNotFound as exc:
            raise UserError(str(exc)) from None
    report = run_doctor(
        DoctorOptions(probe=probe, session_transcript=transcript, already_spent=process_age())
    )
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(report), nl=False)
    return report.exit_code


def process_age() -> float:
    """Seconds since this process started (Linux ``/proc``; 0 where that is not there)."""
    import os

    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start time in ticks
    except (OSError, ValueError, IndexError):
        return 0.0
    return max(0.0, min(5.0, uptime - started))


def render_text(report: DoctorReport) -> str:
    """The verdict first, in one sentence; then the evidence; then what to do."""
    lines = [f"{report.verdict}: {report.summary}", "", "Evidence:"]
    width = max(len(f.check) for f in report.findings) if report.findings else 0
    for finding in report.findings:
        lines.append(f"  {_MARKS[finding.status]:<4}  {finding.check:<{width}}  {finding.evidence}")
    lines += ["", "What to do:"]
    lines += [f"  - {advice}" for advice in report.advice]
    lines.append(f"\n(doctor took {report.elapsed:.1f} s; exit code {report.exit_code})")
    return "\n".join(lines) + "\n"
