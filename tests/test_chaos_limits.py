"""``cc-guard chaos serve`` bounds what a client can make it hold: bodies kept and logged,
idle connections, JSON nested beyond Python's recursion limit."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support.chaos import HEADERS

HELLO = {
    "model": "claude-opus-5-5",
    "max_tokens": 10,
    "messages": [{"role": "user", "content": "hi"}],
}


def _post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(f"{url}/v1/messages", content=body, headers=HEADERS, timeout=30)


def test_a_body_nested_100000_deep_gets_a_400_and_the_server_keeps_answering(
    chaos: Callable[..., Any],
) -> None:
    served = chaos(None)
    deep = b'{"model": "x", "messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = _post(served.url, deep)
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert _post(served.url, json.dumps(HELLO).encode()).status_code == 200
    kinds = [r["answer"]["kind"] for r in served.requests()]
    assert kinds == ["bad_request", "answer"]


def test_a_body_over_the_size_cap_is_refused_with_413_unread(chaos: Callable[..., Any]) -> None:
    served = chaos(None, "--max-body-bytes", "4096")
    big = dict(HELLO, messages=[{"role": "user", "content": "x" * 10_000}])
    answer = _post(served.url, json.dumps(big).encode())
    assert answer.status_code == 413
    assert answer.json()["error"]["type"] == "request_too_large"
    assert _post(served.url, json.dumps(HELLO).encode()).status_code == 200
    first = served.requests()[0]
    assert first["answer"]["kind"] == "too_large"
    assert first["body"] is None and first["body_bytes"] > 4096


def test_the_logged_body_is_capped_and_says_so(chaos: Callable[..., Any]) -> None:
    served = chaos(None, "--log-body-bytes", "1000")
    long = dict(HELLO, messages=[{"role": "user", "content": "y" * 5_000}])
    assert _post(served.url, json.dumps(long).encode()).status_code == 200
    assert _post(served.url, json.dumps(HELLO).encode()).status_code == 200
    cut, whole = served.requests()
    assert isinstance(cut["body"], str) and len(cut["body"]) <= 1000 + 40
    assert cut["body_truncated"] is True and cut["body_bytes"] > 5_000
    assert whole["body"]["messages"] == HELLO["messages"] and "body_truncated" not in whole


def test_an_idle_connection_is_closed(chaos: Callable[..., Any]) -> None:
    served = chaos(None, "--idle-timeout", "0.5")
    parts = urlsplit(served.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        started = time.monotonic()
        assert conn.recv(1) == b""  # closed by the server, not by our 30 s timeout
        assert time.monotonic() - started < 25
    assert _post(served.url, json.dumps(HELLO).encode()).status_code == 200
