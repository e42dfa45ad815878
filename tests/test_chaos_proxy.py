"""Acceptance 6: proxy mode forwards to another upstream and injects faults at the set rate."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx

# The ``chaos`` server factory fixture comes from tests/support/chaos.py via conftest.
from tests.support.chaos import (
    HEADERS,
    body,
    parse_events,
    read_stream,
)


def statuses(url: str, n: int) -> list[int]:
    with httpx.Client(timeout=30) as client:
        return [
            client.post(
                url + "/v1/messages", json=body(stream=False, text=f"request {i}"), headers=HEADERS
            ).status_code
            for i in range(n)
        ]


def test_proxy_injects_faults_at_the_configured_rate_deterministically(chaos: Any) -> None:
    upstream = chaos([{"text": "from the real upstream"}])
    first = chaos(None, "--upstream", upstream.url, "--faults", "529:0.3", "--seed", "42")
    n = 150
    seen = statuses(first.url, n)
    faults = seen.count(529)
    assert set(seen) <= {200, 529}
    # Binomial(150, 0.3): mean 45, sd 5.6; 4 sd either side.
    assert abs(faults - n * 0.3) < 4 * (n * 0.3 * 0.7) ** 0.5
    # Faulted requests never reach the upstream; the others all do.
    assert len([r for r in upstream.requests() if r["path"] == "/v1/messages"]) == n - faults
    logged = [r["answer"] for r in first.requests()]
    assert (
        sum(1 for a in logged if a["kind"] == "fault" and a["fault_source"] == "random") == faults
    )
    assert all(a["upstream"] == upstream.url for a in logged if a["kind"] == "proxy")
    # Same seed, same request order: the same requests fail.
    second = chaos(None, "--upstream", upstream.url, "--faults", "529:0.3", "--seed", "42")
    assert statuses(second.url, n) == seen
    third = chaos(None, "--upstream", upstream.url, "--faults", "529:0.3", "--seed", "43")
    assert statuses(third.url, n) != seen


def test_proxy_streams_the_upstream_answer_through(chaos: Any) -> None:
    upstream = chaos([{"text": "streamed by the upstream, word by word, intact"}])
    proxy = chaos(None, "--upstream", upstream.url)
    status, data, error = read_stream(proxy.url, body())
    assert (status, error) == (200, None)
    events = parse_events(data)
    assert events[-1][0] == "message_stop"
    text = "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta")
    assert text == "streamed by the upstream, word by word, intact"
    # Paths, queries and the other endpoints are forwarded as they are.
    httpx.post(proxy.url + "/v1/messages/count_tokens", json=body(), headers=HEADERS)
    assert httpx.get(proxy.url + "/v1/models", headers=HEADERS).status_code == 200
    paths = [(r["path"], r["query"]) for r in upstream.requests()]
    assert paths == [
        ("/v1/messages", "beta=true"),
        ("/v1/messages/count_tokens", ""),
        ("/v1/models", ""),
    ]


def test_proxy_truncate_cuts_the_upstream_stream(chaos: Any) -> None:
    upstream = chaos([{"text": "a long answer " * 20}])
    proxy = chaos(None, "--upstream", upstream.url, "--faults", "truncate:1.0", "--seed", "1")
    reset = chaos(None, "--upstream", upstream.url, "--faults", "reset:1.0", "--seed", "1")
    for url, expected_error in [(proxy.url, None)] * 3 + [(reset.url, "RemoteProtocolError")] * 3:
        status, data, error = read_stream(url, body())
        assert status == 200 and error == expected_error
        names = [n for n, _ in parse_events(data)]
        assert 1 <= len(names) <= 5 and "message_stop" not in names
    assert len(upstream.requests()) == 6  # every request did reach the upstream


def test_proxy_cut_mid_text_cuts_inside_the_upstream_text(chaos: Any) -> None:
    upstream = chaos([{"text": "Here is the upstream answer that will be cut"}])
    proxy = chaos(None, "--upstream", upstream.url, "--faults", "cut:1.0")
    _, data, error = read_stream(proxy.url, body())
    assert error is None
    assert data.decode().rsplit("\n\n", 1)[1].startswith("event: content_block_delta")


class CaptureHandler(BaseHTTPRequestHandler):
    """A bare upstream that keeps the headers it received, to check nothing was rewritten."""

    captured: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        CaptureHandler.captured.append(dict(self.headers.items()))
        data = json.dumps({"type": "message", "role": "assistant", "content": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_proxy_passes_auth_headers_untouched_and_never_logs_them(chaos: Any) -> None:
    capture = ThreadingHTTPServer(("127.0.0.1", 0), CaptureHandler)
    thread = threading.Thread(target=capture.serve_forever, daemon=True)
    thread.start()
    try:
        proxy = chaos(None, "--upstream", f"http://127.0.0.1:{capture.server_address[1]}")
        key = "sk-ant-api03-" + "q" * 40
        token = "Bearer oauth-token-abcdefghijklmnop"
        resp = httpx.post(
            proxy.url + "/v1/messages",
            json=body(stream=False),
            headers={**HEADERS, "x-api-key": key, "authorization": token, "anthropic-beta": "x-1"},
        )
        assert resp.status_code == 200
        received = {k.lower(): v for k, v in CaptureHandler.captured[-1].items()}
        assert received["x-api-key"] == key
        assert received["authorization"] == token
        assert received["anthropic-beta"] == "x-1"
        raw_log = proxy.log_path.read_text()
        assert key not in raw_log and "oauth-token" not in raw_log
        headers = proxy.requests()[0]["headers"]
        assert headers["x-api-key"] == "[redacted]" and headers["authorization"] == "[redacted]"
    finally:
        capture.shutdown()
        capture.server_close()


def test_unreachable_upstream_answers_502_in_api_shape(chaos: Any) -> None:
    proxy = chaos(None, "--upstream", "http://127.0.0.1:9")
    resp = httpx.post(proxy.url + "/v1/messages", json=body(stream=False), headers=HEADERS)
    assert resp.status_code == 502
    assert resp.json()["error"]["type"] == "api_error"
    assert proxy.requests()[0]["answer"]["status"] == 502
