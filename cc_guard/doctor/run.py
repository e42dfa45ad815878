"""Run every doctor check in parallel, each bounded, the whole run within its deadline.

``run_doctor(DoctorOptions(...))`` returns a :class:`DoctorReport`; it never raises
for network trouble and answers within ``[doctor] timeout_seconds`` (5 s by default)
whatever the probes do: each check runs on its own daemon thread, network calls
carry their own timeouts, and a check that has not answered by the deadline is
reported as ``timeout`` (its thread is left to finish on its own). The dashboard
can call it from a worker thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cc_guard.doctor import local, network
from cc_guard.doctor.result import DoctorReport, Finding, Status
from cc_guard.doctor.verdict import judge

#: Left for rendering and exiting after the checks' deadline.
MARGIN = 0.4


@dataclass(frozen=True)
class DoctorOptions:
    #: Send a 1-token message instead of the free GET /v1/models (costs a little).
    probe: bool = False
    #: Also report on this session (its transcript).
    session_transcript: Path | None = None
    cwd: Path | None = None
    #: Seconds for the whole run (default: ``[doctor] timeout_seconds``).
    timeout: float | None = None
    #: The environment to read variables from (default: ``os.environ``).
    environ: Mapping[str, str] | None = None
    #: Seconds the caller already spent before calling (a command's interpreter start-up),
    #: taken off the deadline so the whole command answers within the timeout.
    already_spent: float = 0.0


def run_doctor(options: DoctorOptions | None = None) -> DoctorReport:
    """Every check, in parallel, bounded; the verdict from what came back in time."""
    from cc_guard.api.chain import ANTHROPIC, build_chain
    from cc_guard.api.credentials import find_credentials
    from cc_guard.base.paths import claude_dir as default_claude_dir
    from cc_guard.base.paths import state_dir as default_state_dir
    from cc_guard.config.load import load_config_safe

    options = options or DoctorOptions()
    started = time.monotonic()
    cwd = options.cwd or Path.cwd()
    environ = options.environ if options.environ is not None else os.environ
    config = load_config_safe(cwd)
    timeout = options.timeout or config.doctor.timeout_seconds
    deadline = started + max(0.5, timeout - MARGIN - max(0.0, options.already_spent))
    claude_dir = default_claude_dir()
    state_dir = default_state_dir(create=False)  # doctor only reads it; never fails on it
    now = time.time()
    credentials = find_credentials(config.api.base_url, environ, claude_dir)
    where = network.target(credentials.base_url, environ)
    chain = build_chain(config.api.models)
    # Each network call gets most of the run's time, never all of it.
    net = max(0.2, min(4.0, (timeout - MARGIN) * 0.8))
    headers: dict[str, str] = {"user-agent": "cc-guard-doctor"}
    if credentials.api_key:
        headers["x-api-key"] = credentials.api_key
    if credentials.auth_token:
        headers["authorization"] = f"Bearer {credentials.auth_token}"
    probe_model = next((m.model for m in chain if m.provider == ANTHROPIC), None)

    def api_check() -> Finding:
        name = "message" if options.probe else "models"
        if not credentials.usable:
            return Finding(name, Status.SKIPPED, "no API key or token: the API probe needs one")
        if options.probe and probe_model is None:
            return Finding(name, Status.SKIPPED, "[api] models has no Anthropic API model to probe")
        return network.check_api(where, headers, net, probe_model if options.probe else None)

    checks: list[tuple[str, Callable[[], Finding]]] = [
        (
            "key",
            lambda: local.check_key(
                credentials.api_key,
                credentials.auth_token,
                credentials.key_source,
                credentials.base_url,
                credentials.problem,
            ),
        ),
        ("proxy", lambda: local.check_proxy(environ)),
        ("config", lambda: local.check_config(cwd, state_dir)),
        ("settings", lambda: local.check_settings(claude_dir, cwd)),
        ("dns", lambda: network.check_dns(where)),
        ("connect", lambda: network.check_connect(where, net)),
        ("message" if options.probe else "models", api_check),
        ("status_page", lambda: network.check_status_page(config.doctor.status_url, net)),
        (
            "incidents",
            lambda: local.check_incidents(
                claude_dir,
                state_dir,
                config.doctor.incident_window_minutes,
                now,
                out_of_time=lambda: time.monotonic() > deadline - 0.3,
            ),
        ),
        (
            "cc_guard_api",
            lambda: local.check_own_api(
                state_dir,
                config.doctor.incident_window_minutes,
                [m.key for m in chain],
                now,
            ),
        ),
        ("claude_code", lambda: local.check_claude_code(net, environ)),
        ("hooks", lambda: local.check_hooks(claude_dir, cwd, state_dir, now)),
    ]
    if options.session_transcript is not None:
        transcript = options.session_transcript
        checks.append(("session", lambda: local.check_session(transcript, state_dir)))
    findings = _run_all(checks, deadline)
    verdict, summary, advice = judge(findings)
    return DoctorReport(
        verdict=verdict,
        summary=summary,
        advice=advice,
        findings=tuple(findings),
        elapsed=time.monotonic() - started,
        probed=options.probe and credentials.usable and probe_model is not None,
    )


def _run_all(checks: list[tuple[str, Callable[[], Finding]]], deadline: float) -> list[Finding]:
    results: dict[str, Finding] = {}
    lock = threading.Lock()

    def run(name: str, check: Callable[[], Finding]) -> None:
        began = time.monotonic()
        try:
            finding = check()
        except Exception as exc:  # a check must never take the report down
            finding = Finding(name, Status.ERROR, f"the check failed: {type(exc).__name__}: {exc}")
        if not finding.seconds:
            finding = _with_seconds(finding, time.monotonic() - began)
        with lock:
            results[name] = finding

    threads = [
        threading.Thread(target=run, args=(name, check), name=f"doctor-{name}", daemon=True)
        for name, check in checks
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    out = []
    with lock:
        for name, _ in checks:
            found = results.get(name)
            out.append(
                found
                if found is not None
                else Finding(name, Status.TIMEOUT, "no answer before doctor's deadline")
            )
    return out


def _with_seconds(finding: Finding, seconds: float) -> Finding:
    from dataclasses import replace

    return replace(finding, seconds=seconds)
