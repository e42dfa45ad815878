"""Doctor's network checks: DNS, TCP/TLS connect, one API probe, the status page.

Standard library only (``socket``, ``ssl``, ``urllib``), so doctor answers before the
anthropic SDK would even have been imported. HTTP goes through ``urllib``, which
honours ``HTTP(S)_PROXY``/``NO_PROXY`` the way Claude Code does; DNS and connect
look at the proxy instead of the API host when one applies. Every check returns a
:class:`~cc_guard.doctor.result.Finding`; none raises for network trouble.

At most one request goes to the API per run: ``GET /v1/models`` (free), or with
``--probe`` a 1-token message instead (it costs a little, so never by default).
"""

from __future__ import annotations

import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cc_guard.doctor.result import Finding, Status, Verdict
from cc_guard.incidents import IncidentKind, classify_failure

ANTHROPIC_VERSION = "2023-06-01"
#: What a failure kind says about the cause.
KIND_VERDICTS: dict[IncidentKind, Verdict | None] = {
    IncidentKind.OVERLOADED: Verdict.UPSTREAM_OVERLOADED,
    IncidentKind.SERVER_ERROR: Verdict.UPSTREAM_ERROR,
    IncidentKind.TIMEOUT: Verdict.UPSTREAM_ERROR,
    IncidentKind.RATE_LIMIT: Verdict.RATE_LIMITED,
    IncidentKind.AUTH: Verdict.AUTH_PROBLEM,
    IncidentKind.INVALID_REQUEST: Verdict.LOCAL_CONFIG_PROBLEM,
    IncidentKind.CONNECTION: Verdict.NETWORK_PROBLEM,
    IncidentKind.STREAM_TRUNCATED: Verdict.DEGRADED,
    IncidentKind.MAX_OUTPUT_TOKENS: None,
    IncidentKind.REFUSAL: None,
    IncidentKind.NOT_FOUND: None,
    IncidentKind.UNKNOWN: Verdict.DEGRADED,
}
KIND_FIXES: dict[IncidentKind, str] = {
    IncidentKind.OVERLOADED: "Wait and resume, or switch to another model.",
    IncidentKind.SERVER_ERROR: "Wait and resume; check the status page.",
    IncidentKind.RATE_LIMIT: "Wait for the rate limit to reset (retry-after), or switch model.",
    IncidentKind.AUTH: "Check ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN (a revoked or mistyped key?).",
    IncidentKind.INVALID_REQUEST: "Read the API's message above: account, billing or endpoint set-up.",
}


@dataclass(frozen=True)
class Target:
    """Where the API is, as doctor sees it."""

    base_url: str
    host: str
    port: int
    tls: bool
    #: The proxy that requests to ``base_url`` go through (None: direct).
    proxy: str | None = None


def target(base_url: str, environ: Mapping[str, str]) -> Target:
    parts = urlsplit(base_url)
    tls = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if tls else 80)
    proxy = None
    proxies = {k.lower(): v for k, v in environ.items() if k.lower().endswith("_proxy") and v}
    candidate = proxies.get(f"{parts.scheme}_proxy") or proxies.get("all_proxy")
    if candidate and not _bypassed(host, proxies.get("no_proxy", "")):
        proxy = candidate
    return Target(base_url.rstrip("/"), host, port, tls, proxy)


def _bypassed(host: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` exempts ``host`` (as urllib reads it: names and suffixes)."""
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry == "*":
            return True
        if entry and (host == entry.lstrip(".") or host.endswith("." + entry.lstrip("."))):
            return True
    return False


def _connect_host(where: Target) -> tuple[str, int, str]:
    """(host, port, label) to resolve and connect to: the proxy when one applies."""
    if where.proxy:
        parts = urlsplit(where.proxy if "://" in where.proxy else f"http://{where.proxy}")
        return parts.hostname or "", parts.port or 80, f"proxy {parts.hostname}:{parts.port or 80}"
    return where.host, where.port, f"{where.host}:{where.port}"


def check_dns(where: Target) -> Finding:
    host, _, label = _connect_host(where)
    if not host:
        return Finding(
            "dns",
            Status.FAIL,
            f"no host in {where.base_url!r}",
            points_to=Verdict.LOCAL_CONFIG_PROBLEM,
        )
    started = time.monotonic()
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        return Finding(
            "dns",
            Status.FAIL,
            f"{host} does not resolve ({_reason(exc)})",
            fix=f"Check DNS and the host name in ANTHROPIC_BASE_URL / the proxy ({label}).",
            points_to=Verdict.NETWORK_PROBLEM,
            data={"host": host},
        )
    addresses = sorted({str(info[4][0]) for info in infos})
    return Finding(
        "dns",
        Status.OK,
        f"{host} resolves to {', '.join(addresses[:3])}{' …' if len(addresses) > 3 else ''}",
        data={"host": host, "addresses": addresses},
        seconds=time.monotonic() - started,
    )


def check_connect(where: Target, timeout: float) -> Finding:
    host, port, label = _connect_host(where)
    tls = where.tls and not where.proxy  # through a proxy, TLS is tunnelled by urllib
    started = time.monotonic()
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        return Finding(
            "connect",
            Status.FAIL,
            f"TCP connect to {label} timed out after {timeout:g} s",
            fix="A firewall or VPN may be dropping the connection.",
            points_to=Verdict.NETWORK_PROBLEM,
            data={"host": host, "port": port},
        )
    except OSError as exc:
        return Finding(
            "connect",
            Status.FAIL,
            f"TCP connect to {label} failed: {_reason(exc)}",
            fix="Nothing answers there: check ANTHROPIC_BASE_URL, the proxy, firewall or VPN.",
            points_to=Verdict.NETWORK_PROBLEM,
            data={"host": host, "port": port},
        )
    try:
        if tls:
            context = ssl.create_default_context()
            with context.wrap_socket(sock, server_hostname=host) as wrapped:
                version = wrapped.version()
            what = f"TCP and TLS ({version}) to {label}"
        else:
            what = f"TCP to {label}"
    except (OSError, ssl.SSLError) as exc:
        return Finding(
            "connect",
            Status.FAIL,
            f"TLS handshake with {label} failed: {_reason(exc)}",
            fix="A proxy may be intercepting TLS: set SSL_CERT_FILE / NODE_EXTRA_CA_CERTS for it.",
            points_to=Verdict.NETWORK_PROBLEM,
            data={"host": host, "port": port},
        )
    finally:
        sock.close()
    elapsed = time.monotonic() - started
    return Finding(
        "connect",
        Status.OK,
        f"{what} in {elapsed:.2f} s",
        data={"host": host, "port": port, "tls": tls},
        seconds=elapsed,
    )


def check_api(
    where: Target,
    headers: Mapping[str, str],
    timeout: float,
    probe_model: str | None = None,
) -> Finding:
    """The one API request of the run: ``GET /v1/models``, or a 1-token message to ``probe_model``."""
    name = "message" if probe_model else "models"
    if probe_model:
        what = f"a 1-token message to {probe_model}"
        body = json.dumps(
            {
                "model": probe_model,
                "max_tokens": 1,
                "messages": [{"role": "user", "content": "Reply with OK."}],
            }
        ).encode()
        request = urllib.request.Request(where.base_url + "/v1/messages", data=body, method="POST")
        request.add_header("content-type", "application/json")
    else:
        what = "GET /v1/models"
        request = urllib.request.Request(where.base_url + "/v1/models?limit=1", method="GET")
    for key, value in headers.items():
        request.add_header(key, value)
    request.add_header("anthropic-version", ANTHROPIC_VERSION)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(65536)
            status = response.status
            request_id = response.headers.get("request-id")
    except urllib.error.HTTPError as exc:
        return _http_failure(name, what, exc, time.monotonic() - started)
    except TimeoutError:
        return Finding(
            name,
            Status.TIMEOUT,
            f"{what}: no answer within {timeout:g} s",
            fix="The API accepted no request in time: wait and try again.",
            points_to=Verdict.DEGRADED,
        )
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError):
            return Finding(
                name,
                Status.TIMEOUT,
                f"{what}: no answer within {timeout:g} s",
                points_to=Verdict.DEGRADED,
            )
        connect = isinstance(reason, socket.gaierror | ConnectionRefusedError | ssl.SSLError)
        return Finding(
            name,
            Status.FAIL,
            f"{what} failed: {_reason(reason)}",
            points_to=Verdict.NETWORK_PROBLEM if connect else Verdict.DEGRADED,
        )
    elapsed = time.monotonic() - started
    return Finding(
        name,
        Status.OK,
        f"{what} answered {status} in {elapsed:.2f} s",
        data={"status": status, "request_id": request_id},
        seconds=elapsed,
    )


def _http_failure(name: str, what: str, exc: urllib.error.HTTPError, elapsed: float) -> Finding:
    status = exc.code
    try:
        payload: Any = json.loads(exc.read(65536).decode("utf-8", "replace"))
    except (OSError, ValueError):
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    error_type = error.get("type") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    kind = classify_failure(status, text=str(message or ""), names=(error_type,))
    points_to = KIND_VERDICTS.get(kind)
    if kind == IncidentKind.NOT_FOUND and name == "message":
        points_to = Verdict.LOCAL_CONFIG_PROBLEM  # the first model of [api] models is not served
    detail = f" {error_type}" if isinstance(error_type, str) else ""
    said = (
        f" ({_one_line(str(message))})" if message and kind == IncidentKind.INVALID_REQUEST else ""
    )
    retry = exc.headers.get("retry-after") if exc.headers is not None else None
    return Finding(
        name,
        Status.FAIL if points_to is not None else Status.WARN,
        f"{what} answered {status}{detail}{said}" + (f", retry-after {retry} s" if retry else ""),
        fix=KIND_FIXES.get(kind),
        points_to=points_to,
        data={
            "status": status,
            "error_type": error_type,
            "kind": str(kind),
            "request_id": exc.headers.get("request-id") if exc.headers is not None else None,
            "retry_after": retry,
        },
        seconds=elapsed,
    )


# ----------------------------------------------------------------------------- status page

#: Component names (lowercase substrings) that matter to Claude Code users.
COMPONENTS = ("api", "claude code")
_OUTAGE = ("major_outage", "partial_outage")
_DONE = ("resolved", "postmortem", "completed")


def check_status_page(url: str, timeout: float) -> Finding:
    if not url:
        return Finding(
            "status_page", Status.SKIPPED, "no status page configured ([doctor] status_url)"
        )
    started = time.monotonic()
    try:
        request = urllib.request.Request(url, headers={"accept": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read(1 << 20).decode("utf-8", "replace"))
    except TimeoutError:
        return Finding(
            "status_page", Status.TIMEOUT, f"the status page did not answer within {timeout:g} s"
        )
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return Finding(
            "status_page",
            Status.WARN,
            f"could not read the status page {url} ({_reason(reason)})",
            data={"url": url},
        )
    return judge_status_page(payload, url, time.monotonic() - started)


def judge_status_page(payload: Any, url: str, elapsed: float = 0.0) -> Finding:
    """A Statuspage ``summary.json`` read component by component (pure)."""
    if not isinstance(payload, dict):
        return Finding("status_page", Status.WARN, f"{url} is not a Statuspage summary.json")
    components = [
        c
        for c in payload.get("components") or []
        if isinstance(c, dict)
        and isinstance(c.get("name"), str)
        and any(word in c["name"].lower() for word in COMPONENTS)
    ]
    incidents = [
        i
        for i in payload.get("incidents") or []
        if isinstance(i, dict) and str(i.get("status")) not in _DONE
    ]
    raw_status = payload.get("status")
    status: dict[str, Any] = raw_status if isinstance(raw_status, dict) else {}
    indicator = str(status.get("indicator") or "none")
    states = {str(c["name"]): str(c.get("status") or "unknown") for c in components}
    points_to: Verdict | None = None
    if any(s in _OUTAGE for s in states.values()) or (
        not states and indicator in ("major", "critical")
    ):
        points_to = Verdict.UPSTREAM_ERROR
    elif any(s != "operational" for s in states.values()) or incidents or indicator != "none":
        points_to = Verdict.DEGRADED
    parts = [f"{name} {state.replace('_', ' ')}" for name, state in states.items()]
    if not parts:
        parts.append(f"overall {status.get('description') or indicator}")
    for incident in incidents[:3]:
        parts.append(
            f"incident {str(incident.get('name'))!r} ({incident.get('status')}, impact {incident.get('impact')})"
        )
    return Finding(
        "status_page",
        Status.OK
        if points_to is None
        else (Status.FAIL if points_to == Verdict.UPSTREAM_ERROR else Status.WARN),
        "status page: " + "; ".join(parts),
        fix=f"Follow the incident on {url.split('/api/', 1)[0]}" if incidents else None,
        points_to=points_to,
        data={
            "url": url,
            "indicator": indicator,
            "components": states,
            "incidents": [
                {"name": i.get("name"), "status": i.get("status"), "impact": i.get("impact")}
                for i in incidents
            ],
        },
        seconds=elapsed,
    )


def _reason(exc: object) -> str:
    if isinstance(exc, socket.gaierror):
        return exc.strerror or "name not resolved"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted ({exc.verify_message})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return _one_line(str(exc) or type(exc).__name__)


def _one_line(text: str, limit: int = 160) -> str:
    from cc_guard.base.redact import redact

    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
