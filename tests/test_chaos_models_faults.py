"""``cc-guard chaos serve --faults``: random status and stall faults also answer GET /v1/models,
so ``cc-guard doctor``'s free probe can be rehearsed; stream-shaped faults leave it alone."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.support.chaos import HEADERS


def test_a_random_529_answers_the_models_endpoint_in_the_api_error_shape(chaos: Any) -> None:
    server = chaos(None, "--faults", "529:1")
    answer = httpx.get(server.url + "/v1/models", headers=HEADERS)
    assert answer.status_code == 529
    assert answer.json()["error"]["type"] == "overloaded_error"
    assert answer.headers["retry-after"] == "1"
    one = httpx.get(server.url + "/v1/models/claude-haiku-4-5", headers=HEADERS)
    assert one.status_code == 529
    logged = [r["answer"] for r in server.requests()]
    assert [(a["kind"], a["endpoint"], a["status"]) for a in logged] == [
        ("fault", "models", 529),
        ("fault", "models", 529),
    ]


def test_a_random_stall_holds_the_models_endpoint_silent_then_drops_it(chaos: Any) -> None:
    server = chaos(None, "--faults", "stall:1", "--stall-seconds", "1")
    started = time.monotonic()
    try:
        httpx.get(server.url + "/v1/models", headers=HEADERS, timeout=10).read()
        raise AssertionError("a stalled models request must not get an answer")
    except httpx.HTTPError:
        pass
    assert time.monotonic() - started >= 0.9


def test_stream_faults_leave_the_models_endpoint_answering(chaos: Any) -> None:
    server = chaos(None, "--faults", "truncate:0.5,malformed:0.5")
    answer = httpx.get(server.url + "/v1/models", headers=HEADERS)
    assert answer.status_code == 200 and answer.json()["data"]
