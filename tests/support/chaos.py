"""The fake upstream in tests: start and stop ``cc-guard chaos serve``, talk to it raw."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.testbed import ChaosServer, start_chaos

API_KEY = "sk-ant-api03-secretsecretsecret-0123456789"
HEADERS = {
    "x-api-key": API_KEY,
    "anthropic-version": "2023-06-01",
    "content-type": "application/json",
}


#: A running ``cc-guard chaos serve`` (the test bed's, with its log and stderr).
Served = ChaosServer


def start_server(tmp: Path, script: list[Any] | None, *args: str) -> Served:
    """Start a server with ``script`` and extra CLI ``args``; one per call (unique files)."""
    return start_chaos(tmp, script, list(args), name=f"chaos-{time.monotonic_ns()}")


def stop_server(served: Served) -> None:
    served.stop()


@pytest.fixture
def chaos(tmp_path: Path) -> Iterator[Any]:
    """Factory: ``chaos(script, *extra_args) -> Served``; every server is stopped afterwards."""
    started: list[Served] = []

    def factory(script: list[Any] | None = None, *args: str) -> Served:
        served = start_server(tmp_path / "chaos", script, *args)
        started.append(served)
        return served

    yield factory
    for served in started:
        stop_server(served)


def body(
    stream: bool = True, text: str = "hello", model: str = "claude-opus-4-5"
) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 100,
        "stream": stream,
        "messages": [{"role": "user", "content": text}],
    }


def read_stream(
    url: str, payload: dict[str, Any], timeout: float = 30
) -> tuple[int, bytes, str | None]:
    """POST and read the raw body; returns (status, bytes received, error class name or None)."""
    data = b""
    with (
        httpx.Client(timeout=timeout) as client,
        client.stream(
            "POST", url + "/v1/messages?beta=true", json=payload, headers=HEADERS
        ) as resp,
    ):
        try:
            for chunk in resp.iter_raw():
                data += chunk
        except httpx.HTTPError as exc:
            return resp.status_code, data, type(exc).__name__
        return resp.status_code, data, None


def parse_events(data: bytes) -> list[tuple[str, Any]]:
    """Complete SSE events; a data line that is not JSON comes back as its text."""
    events = []
    for block in data.decode().split("\n\n"):
        lines = block.strip("\n").splitlines()
        if not lines or not data.decode().count(block + "\n\n"):
            continue
        name = next((line[7:] for line in lines if line.startswith("event: ")), "")
        raw = next((line[6:] for line in lines if line.startswith("data: ")), "")
        try:
            events.append((name, json.loads(raw)))
        except json.JSONDecodeError:
            events.append((name, raw))
    return events


EVENT_ORDER = [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
]
