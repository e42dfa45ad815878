"""The fake upstream in tests: start and stop ``cc-guard chaos serve``, talk to it raw."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cc_guard.chaos.log import read_log

API_KEY = "sk-ant-api03-secretsecretsecret-0123456789"
HEADERS = {
    "x-api-key": API_KEY,
    "anthropic-version": "2023-06-01",
    "content-type": "application/json",
}


@dataclass
class Served:
    url: str
    log_path: Path
    proc: subprocess.Popen[str]

    def records(self) -> list[dict[str, Any]]:
        return read_log(self.log_path)


def start_server(tmp: Path, script: list[Any] | None, *args: str) -> Served:
    tmp.mkdir(parents=True, exist_ok=True)
    log_path = tmp / f"log-{time.monotonic_ns()}.jsonl"
    argv = [
        sys.executable,
        "-m",
        "cc_guard",
        "chaos",
        "serve",
        "--port",
        "0",
        "--log",
        str(log_path),
    ]
    if script is not None:
        script_path = tmp / f"script-{time.monotonic_ns()}.json"
        script_path.write_text(json.dumps(script))
        argv += ["--script", str(script_path)]
    proc = subprocess.Popen(
        [*argv, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    if not first.startswith("http://127.0.0.1:"):
        proc.kill()
        raise AssertionError(f"no URL on the first stdout line: {first!r}")
    return Served(first, log_path, proc)


def stop_server(served: Served) -> None:
    if served.proc.poll() is None:
        served.proc.terminate()
        try:
            served.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            served.proc.kill()
            served.proc.wait()


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
