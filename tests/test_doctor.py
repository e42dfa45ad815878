"""``cc-guard doctor``: a verdict per scenario (chaos upstream, dead ports, names that do not resolve,
a local status page), each within 5 s even when every probe hangs; the checks and the verdict rules."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cc_guard.doctor import DoctorOptions, Finding, Status, Verdict, run_doctor
from cc_guard.doctor.local import check_key
from cc_guard.doctor.network import judge_status_page
from cc_guard.doctor.result import EXIT_CODES
from cc_guard.doctor.verdict import judge
from tests.support.handoff import FIXTURES

KEY = "sk-ant-api03-doctortest-00000000000000000000000"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "doctor.md"


# ----------------------------------------------------------------------------- helpers


def summary_json(
    api: str = "operational", code: str = "operational", incident: bool = False
) -> dict[str, Any]:
    """An Atlassian Statuspage summary.json as Anthropic's page serves it."""
    indicator = {"operational": "none", "degraded_performance": "minor"}.get(api, "major")
    return {
        "page": {"id": "x", "name": "Claude", "url": "https://status.claude.com"},
        "status": {"indicator": indicator, "description": "All Systems Operational"},
        "components": [
            {"id": "1", "name": "claude.ai", "status": "operational"},
            {"id": "2", "name": "Claude API (api.anthropic.com)", "status": api},
            {"id": "3", "name": "Claude Code", "status": code},
        ],
        "incidents": (
            [
                {
                    "name": "Elevated errors on Claude API",
                    "status": "investigating",
                    "impact": "major",
                }
            ]
            if incident
            else []
        ),
    }


class _StatusPage(BaseHTTPRequestHandler):
    payload: Any = None
    hang = False

    def do_GET(self) -> None:
        if self.hang:
            time.sleep(60)
            return
        body = json.dumps(self.payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def status_page() -> Iterator[Any]:
    """Factory: ``status_page(payload=..., hang=False) -> URL`` of a local summary.json."""
    servers: list[ThreadingHTTPServer] = []

    def start(payload: Any = None, hang: bool = False) -> str:
        handler = type("Page", (_StatusPage,), {"payload": payload, "hang": hang})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/api/v2/summary.json"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung upstream)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield listener.getsockname()[1]
    listener.close()


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return int(port)


@pytest.fixture
def doctor_env(isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Run the real ``cc-guard doctor --json`` with a base URL and an optional status page."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "CC_GUARD_CLAUDE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)

    def run(
        base_url: str, status_url: str = "", *args: str, key: str | None = KEY, **env: str
    ) -> tuple[int, dict[str, Any], float]:
        config = isolated_env["config"]
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'[doctor]\nstatus_url = "{status_url}"\n')
        full = {**os.environ, "ANTHROPIC_BASE_URL": base_url, **env}
        if key is not None:
            full["ANTHROPIC_API_KEY"] = key
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "cc_guard", "doctor", "--json", *args],
            capture_output=True,
            text=True,
            env=full,
            timeout=60,
        )
        elapsed = time.monotonic() - started
        assert proc.stderr == "", proc.stderr
        return proc.returncode, json.loads(proc.stdout), elapsed

    yield run


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["checks"] if c["check"] == name)
    return found


# ----------------------------------------------------------------------------- scenarios


def test_healthy(chaos: Any, doctor_env: Any, status_page: Any) -> None:
    server = chaos([{"text": "unused"}])
    code, report, _ = doctor_env(server.url, status_page(summary_json()))
    assert (code, report["verdict"]) == (0, "healthy")
    assert check(report, "models")["status"] == "ok" and check(report, "connect")["status"] == "ok"
    assert check(report, "status_page")["data"]["components"]["Claude Code"] == "operational"
    requests = [(r["method"], r["path"]) for r in server.requests()]
    assert requests == [("GET", "/v1/models")]  # the one probe request, free


@pytest.mark.parametrize(
    ("fault", "verdict"),
    [
        ("529:1", "upstream-overloaded"),
        ("500:1", "upstream-error"),
        ("429:1", "rate-limited"),
        ("401:1", "auth-problem"),
    ],
)
def test_an_upstream_failing_on_every_request(
    chaos: Any, doctor_env: Any, fault: str, verdict: str
) -> None:
    server = chaos(None, "--faults", fault)
    code, report, _ = doctor_env(server.url)
    assert report["verdict"] == verdict and code == EXIT_CODES[Verdict(verdict)]
    models = check(report, "models")
    assert models["status"] == "fail" and models["points_to"] == verdict
    assert str(models["data"]["status"]) == fault.split(":")[0]
    assert report["summary"].startswith(
        {
            "upstream-overloaded": "The upstream API is overloaded",
            "upstream-error": "The upstream API is failing",
            "rate-limited": "You are rate limited",
            "auth-problem": "The API refuses your credentials",
        }[verdict]
    )
    assert len(server.requests()) == 1  # at most one probe request per run


def test_nothing_listening(doctor_env: Any) -> None:
    code, report, _ = doctor_env(f"http://127.0.0.1:{free_port()}")
    assert (code, report["verdict"]) == (15, "network-problem")
    assert "refused" in check(report, "connect")["evidence"].lower()


def test_a_name_that_does_not_resolve(doctor_env: Any) -> None:
    code, report, elapsed = doctor_env("https://cc-guard-doctor-test.invalid")
    assert (code, report["verdict"]) == (15, "network-problem")
    dns = check(report, "dns")
    assert dns["status"] in ("fail", "timeout") and dns["data"].get(
        "host", "cc-guard-doctor-test.invalid"
    )
    assert elapsed < 5 + 3  # the run's own bound, plus interpreter start-up on a busy machine


def test_a_status_page_reporting_a_major_outage(
    chaos: Any, doctor_env: Any, status_page: Any
) -> None:
    server = chaos([{"text": "unused"}])
    url = status_page(summary_json(api="major_outage", incident=True))
    code, report, _ = doctor_env(server.url, url)
    assert (code, report["verdict"]) == (12, "upstream-error")
    page = check(report, "status_page")
    assert page["points_to"] == "upstream-error"
    assert "Claude API (api.anthropic.com) major outage" in page["evidence"]
    assert "Elevated errors on Claude API" in page["evidence"]
    assert check(report, "models")["status"] == "ok"  # the probe itself got through


def test_every_probe_hanging_still_answers_within_five_seconds(
    doctor_env: Any, status_page: Any, silent_port: int, tmp_path: Path
) -> None:
    sleeper = tmp_path / "claude"
    sleeper.write_text("#!/bin/sh\nsleep 60\n")
    sleeper.chmod(0o755)
    code, report, elapsed = doctor_env(
        f"http://127.0.0.1:{silent_port}",
        status_page(hang=True),
        CC_GUARD_CLAUDE=str(sleeper),
    )
    assert report["elapsed_seconds"] <= 5.0
    assert elapsed < 5 + 3  # wall time of the whole command, interpreter start-up included
    assert check(report, "models")["status"] == "timeout"
    assert check(report, "status_page")["status"] == "timeout"
    assert check(report, "claude_code")["status"] == "timeout"
    assert report["verdict"] == "degraded" and code == 10


def test_the_paid_probe_is_sent_only_with_probe_and_instead_of_the_free_one(
    chaos: Any, doctor_env: Any
) -> None:
    server = chaos([{"text": "OK"}])
    code, report, _ = doctor_env(server.url, "", "--probe")
    assert code == 0 and report["probe_sent"] is True
    assert [c["check"] for c in report["checks"]].count("message") == 1
    [request] = server.requests()
    assert (request["method"], request["path"]) == ("POST", "/v1/messages")
    assert request["body"]["max_tokens"] == 1 and request["model"] == "claude-sonnet-5-5"


def test_the_paid_probe_sees_an_overloaded_model(chaos: Any, doctor_env: Any) -> None:
    server = chaos([{"fault": {"status": 529}}])
    code, report, _ = doctor_env(server.url, "", "--probe")
    assert (code, report["verdict"]) == (11, "upstream-overloaded")


def test_without_a_key_the_probe_is_skipped_and_says_why(chaos: Any, doctor_env: Any) -> None:
    server = chaos([{"text": "unused"}])
    code, report, _ = doctor_env(server.url, key=None)
    assert check(report, "models")["status"] == "skipped" and server.requests() == []
    assert "API unavailable: no ANTHROPIC_API_KEY" in check(report, "key")["evidence"]
    assert code == 0  # nothing points anywhere: the key is optional for Claude Code users


def test_a_malformed_key_is_a_local_config_problem_and_never_printed(
    chaos: Any, doctor_env: Any
) -> None:
    server = chaos([{"text": "unused"}])
    bad = f'"{KEY}"'
    code, report, _ = doctor_env(server.url, key=bad)
    assert (code, report["verdict"]) == (16, "local-config-problem")
    assert "wrapped in quotes" in check(report, "key")["evidence"]
    assert KEY not in json.dumps(report)


def test_a_broken_settings_file_is_a_local_config_problem(
    chaos: Any, doctor_env: Any, isolated_env: dict[str, Path]
) -> None:
    server = chaos([{"text": "unused"}])
    isolated_env["claude"].mkdir(parents=True, exist_ok=True)
    (isolated_env["claude"] / "settings.json").write_text('{"hooks": {,}')
    code, report, _ = doctor_env(server.url)
    assert (code, report["verdict"]) == (16, "local-config-problem")
    assert "settings.json: not valid JSON" in check(report, "settings")["evidence"]


def test_hooks_installed_by_an_older_version_are_named_with_the_fix(
    chaos: Any, doctor_env: Any, isolated_env: dict[str, Path]
) -> None:
    server = chaos([{"text": "unused"}])
    isolated_env["claude"].mkdir(parents=True, exist_ok=True)
    install = [sys.executable, "-m", "cc_guard", "install"]
    assert subprocess.run(install, capture_output=True, timeout=60).returncode == 0
    _, report, _ = doctor_env(server.url)
    assert "missing_events" not in check(report, "hooks")["data"]
    # What an install made before SubagentStop and PostCompact were hooked looks like.
    settings_path = isolated_env["claude"] / "settings.json"
    settings = json.loads(settings_path.read_text())
    for event in ("SubagentStop", "PostCompact"):
        del settings["hooks"][event]
    settings_path.write_text(json.dumps(settings))
    _, report, _ = doctor_env(server.url)
    hooks = check(report, "hooks")
    assert hooks["status"] == "warn"
    assert hooks["data"]["missing_events"] == {str(settings_path): ["SubagentStop", "PostCompact"]}
    assert "lacks SubagentStop, PostCompact" in hooks["evidence"]
    assert "cc-guard install" in hooks["fix"]
    assert subprocess.run(install, capture_output=True, timeout=60).returncode == 0
    _, report, _ = doctor_env(server.url)
    assert "missing_events" not in check(report, "hooks")["data"]


def _recent_529_session(claude_dir: Path, minutes_ago: float) -> str:
    """The recorded 529 session, moved to a new id and to ``minutes_ago``."""
    sid = str(uuid.uuid4())
    lines = (FIXTURES / "api-529-2.1.328.jsonl").read_text().splitlines()
    old_sid = json.loads(next(line for line in lines if '"sessionId"' in line))["sessionId"]
    start = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    out = []
    for n, line in enumerate(lines):
        stamp = (
            (start + timedelta(seconds=n)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
        line = re.sub(r'"timestamp":"[^"]+"', f'"timestamp":"{stamp}"', line)
        out.append(line.replace(old_sid, sid))
    folder = claude_dir / "projects" / "-work-demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sid}.jsonl").write_text("\n".join(out) + "\n")
    return sid


def test_many_local_sessions_seeing_529_point_upstream_when_the_free_probe_passes(
    chaos: Any, doctor_env: Any, isolated_env: dict[str, Path]
) -> None:
    server = chaos([{"text": "unused"}])
    for minutes in (3, 5):
        _recent_529_session(isolated_env["claude"], minutes)
    code, report, _ = doctor_env(server.url)
    assert (code, report["verdict"]) == (11, "upstream-overloaded")
    incidents = check(report, "incidents")
    assert incidents["data"]["by_kind"]["overloaded"]["sessions"] == 2
    assert "2 session(s) saw overloaded" in incidents["evidence"]
    assert check(report, "models")["status"] == "ok"


def test_old_incidents_outside_the_window_do_not_count(
    chaos: Any, doctor_env: Any, isolated_env: dict[str, Path]
) -> None:
    server = chaos([{"text": "unused"}])
    for _ in range(2):
        _recent_529_session(isolated_env["claude"], 90)
    code, report, _ = doctor_env(server.url)
    assert (code, report["verdict"]) == (0, "healthy")


def test_session_reports_on_one_session_and_an_unknown_one_is_one_line(
    chaos: Any, doctor_env: Any, isolated_env: dict[str, Path]
) -> None:
    server = chaos([{"text": "unused"}])
    sid = _recent_529_session(isolated_env["claude"], 2)
    _, report, _ = doctor_env(server.url, "", "--session", sid[:8])
    session = check(report, "session")
    assert session["data"]["session_id"] == sid and session["data"]["state"] == "interrupted"
    assert session["data"]["last_incident"]["kind"] == "overloaded"
    proc = subprocess.run(
        [sys.executable, "-m", "cc_guard", "doctor", "--session", "ffffffff"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0
    assert "no session matches" in proc.stderr and "Traceback" not in proc.stderr


def test_the_human_output_leads_with_the_verdict_sentence(
    chaos: Any, isolated_env: dict[str, Path]
) -> None:
    server = chaos(None, "--faults", "529:1")
    isolated_env["config"].parent.mkdir(parents=True, exist_ok=True)
    isolated_env["config"].write_text('[doctor]\nstatus_url = ""\n')
    proc = subprocess.run(
        [sys.executable, "-m", "cc_guard", "doctor"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": KEY},
    )
    lines = proc.stdout.splitlines()
    assert proc.returncode == 11
    assert lines[0].startswith(
        "upstream-overloaded: The upstream API is overloaded (529): GET /v1/models answered 529"
    )
    assert "Evidence:" in lines and "What to do:" in lines
    assert any(line.strip().startswith("FAIL  models") for line in lines)
    assert KEY not in proc.stdout


# ----------------------------------------------------------------------------- in process


def test_run_doctor_returns_within_its_timeout_and_never_raises(
    silent_port: int, isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{silent_port}")
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    started = time.monotonic()
    report = run_doctor(DoctorOptions(timeout=1.5))
    assert time.monotonic() - started < 1.5 + 0.5
    assert report.verdict in Verdict and report.to_json()["verdict"] == str(report.verdict)


def test_the_json_fields_are_the_documented_ones(chaos: Any, doctor_env: Any) -> None:
    server = chaos([{"text": "unused"}])
    _, report, _ = doctor_env(server.url)
    documented = DOCS.read_text()
    for key in report:
        assert f"`{key}`" in documented, key
    for key in report["checks"][0]:
        assert f"`{key}`" in documented, key
    for finding in report["checks"]:
        assert f"`{finding['check']}`" in documented, finding["check"]
    for verdict, code in EXIT_CODES.items():
        assert f"| `{verdict}` | {code} |" in documented


# ----------------------------------------------------------------------------- the rules


def finding(check_name: str, points_to: Verdict | None) -> Finding:
    return Finding(
        check_name,
        Status.FAIL if points_to else Status.OK,
        f"{check_name} evidence",
        points_to=points_to,
    )


def test_the_verdict_follows_the_documented_precedence() -> None:
    order = [
        Verdict.LOCAL_CONFIG_PROBLEM,
        Verdict.NETWORK_PROBLEM,
        Verdict.AUTH_PROBLEM,
        Verdict.UPSTREAM_OVERLOADED,
        Verdict.RATE_LIMITED,
        Verdict.UPSTREAM_ERROR,
        Verdict.DEGRADED,
    ]
    for n, expected in enumerate(order):
        findings = [finding(f"c{i}", v) for i, v in enumerate(order[n:][::-1])]
        verdict, sentence, advice = judge(findings)
        assert verdict == expected
        assert f"c{len(order[n:]) - 1} evidence" in sentence and advice
    assert judge([finding("a", None)])[0] == Verdict.HEALTHY


def test_the_sentence_names_the_deciding_evidence_and_advice_leads_with_the_verdicts() -> None:
    findings = [
        Finding(
            "models",
            Status.FAIL,
            "GET /v1/models answered 529",
            fix="Wait.",
            points_to=Verdict.UPSTREAM_OVERLOADED,
        ),
        Finding("hooks", Status.WARN, "not installed", fix="Run cc-guard install."),
    ]
    verdict, sentence, advice = judge(findings)
    assert verdict == Verdict.UPSTREAM_OVERLOADED
    assert sentence == "The upstream API is overloaded (529): GET /v1/models answered 529."
    assert advice[0].startswith("Wait a few minutes") and advice[1:] == (
        "Wait.",
        "Run cc-guard install.",
    )


@pytest.mark.parametrize(
    ("payload", "points_to"),
    [
        (summary_json(), None),
        (summary_json(api="degraded_performance"), Verdict.DEGRADED),
        (summary_json(code="partial_outage"), Verdict.UPSTREAM_ERROR),
        (summary_json(api="major_outage"), Verdict.UPSTREAM_ERROR),
        (summary_json(incident=True), Verdict.DEGRADED),
        ({"status": {"indicator": "critical"}, "components": []}, Verdict.UPSTREAM_ERROR),
        ({"status": {"indicator": "none"}}, None),
        ([], None),
    ],
)
def test_the_status_page_is_read_component_by_component(
    payload: Any, points_to: Verdict | None
) -> None:
    assert (
        judge_status_page(payload, "https://status.example/api/v2/summary.json").points_to
        == points_to
    )


def test_a_key_for_a_gateway_need_not_look_like_an_anthropic_key() -> None:
    gateway = check_key(
        "gw-0123456789abcdefghijkl", None, "ANTHROPIC_API_KEY (environment)", "http://gw:8", None
    )
    direct = check_key(
        "gw-0123456789abcdefghijkl",
        None,
        "ANTHROPIC_API_KEY (environment)",
        "https://api.anthropic.com",
        None,
    )
    assert gateway.status == Status.OK and direct.points_to == Verdict.LOCAL_CONFIG_PROBLEM


def test_an_unusable_state_dir_is_a_local_config_problem_not_a_traceback(
    chaos: Any, doctor_env: Any, tmp_path: Path
) -> None:
    server = chaos([{"text": "unused"}])
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    code, report, _ = doctor_env(server.url, CC_GUARD_HOME=str(blocker / "state"))
    assert (code, report["verdict"]) == (16, "local-config-problem")
    assert "is a file" in check(report, "config")["evidence"]
