"""The resilient client against ``cc-guard chaos serve``: for every failure, the exact attempt
sequence (model, count, spacing), what reaches the caller, and what is logged."""

from __future__ import annotations

import itertools
import json
import socket
import stat
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cc_guard.api.attempts import ATTEMPTS_FILE, read_attempts
from cc_guard.api.circuit import Circuit, Gate
from cc_guard.api.client import Request
from cc_guard.api.complete import ApiClient, Outcome
from cc_guard.api.credentials import ApiUnavailable, Credentials
from cc_guard.config.sections import ApiConfig

KEY = "sk-ant-api03-clienttest-0000000000000000000000"
SONNET, HAIKU = "claude-sonnet-5-5", "claude-haiku-5-5"
BASE = 0.2  # backoff base for these tests (the default is 1 s)


SLEPT: list[float] = []


def recorded_sleep(seconds: float) -> None:
    """The client's sleep, noted (backoffs are asserted from it) and really slept."""
    SLEPT.append(seconds)
    time.sleep(seconds)


@pytest.fixture(autouse=True)
def _fresh_sleeps() -> None:
    SLEPT.clear()


def client_for(url: str, state: Path, rand: float = 1.0, **knobs: Any) -> ApiClient:
    settings: dict[str, Any] = {
        "models": (SONNET, HAIKU),
        "backoff_base_seconds": BASE,
        "backoff_cap_seconds": 4 * BASE,
        "first_byte_timeout_seconds": 1.0,
        "idle_timeout_seconds": 0.5,
        **knobs,
    }
    return ApiClient(
        ApiConfig(**settings),
        Credentials(api_key=KEY, base_url=url),
        state,
        rand=lambda: rand,
        sleep=recorded_sleep,
    )


def ask(client: ApiClient, text: str = "Say hello.", max_tokens: int = 200) -> Outcome:
    return client.complete(
        Request(
            system="You are terse.",
            messages=({"role": "user", "content": text},),
            max_tokens=max_tokens,
            purpose="test",
        )
    )


def sent(server: Any) -> list[tuple[str, str, Any, datetime]]:
    """(model, answer kind, status, time) of every /v1/messages request the server got."""
    return [
        (
            r["model"],
            r["answer"]["kind"],
            r["answer"].get("status"),
            datetime.fromisoformat(r["time"]),
        )
        for r in server.requests()
        if r["path"] == "/v1/messages"
    ]


def models_of(server: Any) -> list[str]:
    return [model for model, *_ in sent(server)]


def gaps(server: Any) -> list[float]:
    times = [when for *_, when in sent(server)]
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


def on(
    model: str, fault: dict[str, Any] | None = None, repeat: int = 100, **entry: Any
) -> dict[str, Any]:
    item: dict[str, Any] = {"when": {"model": model}, "repeat": repeat, **entry}
    if fault is not None:
        item["fault"] = fault
    return item


ANSWER = {"text": "Hello from the fallback."}


# ----------------------------------------------------------------------------- statuses


def test_529_goes_to_the_next_model_at_once_and_opens_the_circuit(
    chaos: Any, tmp_path: Path
) -> None:
    server = chaos([on(SONNET, {"status": 529}), ANSWER])
    client = client_for(server.url, tmp_path)
    outcome = ask(client)
    assert outcome.reply is not None and outcome.reply.model.model == HAIKU
    assert outcome.reply.text == "Hello from the fallback."
    assert [(m, s) for m, _, s, _ in sent(server)] == [(SONNET, 529), (HAIKU, 200)]
    assert SLEPT == []  # no backoff before the next model
    assert client.circuit.acquire(f"anthropic:{SONNET}").gate == Gate.OPEN
    # The next call skips the open model without sending to it.
    again = ask(client)
    assert again.reply is not None and models_of(server) == [SONNET, HAIKU, HAIKU]
    assert [a.outcome for a in again.attempts] == ["skipped", "ok"]


def test_server_errors_get_two_backed_off_retries_then_the_next_model(
    chaos: Any, tmp_path: Path
) -> None:
    server = chaos([on(SONNET, {"status": 500}, repeat=2), on(SONNET, {"status": 503}), ANSWER])
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is not None and outcome.reply.model.model == HAIKU
    assert [(m, s) for m, _, s, _ in sent(server)] == [
        (SONNET, 500),
        (SONNET, 500),
        (SONNET, 503),
        (HAIKU, 200),
    ]
    # rand() is 1.0 here, so full jitter waits exactly base, then 2 x base, then nothing.
    assert SLEPT == [BASE, 2 * BASE]
    first, second, _ = gaps(server)
    assert BASE <= first < BASE + 1.0 and 2 * BASE <= second < 2 * BASE + 1.0
    assert [a.action for a in outcome.attempts] == ["retry", "retry", "next_model", ""]


def test_a_server_error_that_clears_is_answered_by_the_same_model(
    chaos: Any, tmp_path: Path
) -> None:
    server = chaos([on(SONNET, {"status": 502}, repeat=1), {"text": "Recovered."}])
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is not None and outcome.reply.model.model == SONNET
    assert models_of(server) == [SONNET, SONNET]


def test_429_with_a_short_retry_after_is_waited_out_on_the_same_model(
    chaos: Any, tmp_path: Path
) -> None:
    server = chaos([on(SONNET, {"status": 429, "retry_after": 1}, repeat=1), {"text": "OK."}])
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is not None and outcome.reply.model.model == SONNET
    assert [(m, s) for m, _, s, _ in sent(server)] == [(SONNET, 429), (SONNET, 200)]
    assert SLEPT == [1.0] and 1.0 <= gaps(server)[0] < 2.5


def test_429_with_a_long_retry_after_goes_to_the_next_model_at_once(
    chaos: Any, tmp_path: Path
) -> None:
    server = chaos([on(SONNET, {"status": 429, "retry_after": 30}), ANSWER])
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is not None and outcome.reply.model.model == HAIKU
    assert models_of(server) == [SONNET, HAIKU] and SLEPT == []


def test_a_second_429_goes_to_the_next_model(chaos: Any, tmp_path: Path) -> None:
    server = chaos([on(SONNET, {"status": 429, "retry_after": 0.2}), ANSWER])
    ask(client_for(server.url, tmp_path))
    assert models_of(server) == [SONNET, SONNET, HAIKU]


def test_400_is_not_retried_nor_sent_to_another_model(chaos: Any, tmp_path: Path) -> None:
    server = chaos([on(SONNET, {"status": 400}), ANSWER])
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is None and not outcome.shrink
    assert outcome.stopped and "invalid_request" in outcome.stopped
    assert models_of(server) == [SONNET]


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 400, "message": "prompt is too long: 250000 tokens > 200000 maximum"},
        {"status": 413},
    ],
)
def test_a_too_long_prompt_asks_the_caller_to_shrink_it(
    chaos: Any, tmp_path: Path, fault: dict[str, Any]
) -> None:
    server = chaos([on(SONNET, fault), ANSWER])
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is None and outcome.shrink
    assert models_of(server) == [SONNET]


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_skip_the_providers_other_models(
    chaos: Any, tmp_path: Path, status: int
) -> None:
    server = chaos([{"fault": {"status": status}}])
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is None and outcome.auth_failed
    assert models_of(server) == [SONNET]  # Haiku sits behind the same refused key
    assert [a.outcome for a in outcome.attempts] == ["auth", "skipped"]
    assert "anthropic failed: credentials refused" in outcome.attempts[1].detail


def test_404_goes_to_the_next_model(chaos: Any, tmp_path: Path) -> None:
    server = chaos([on(SONNET, {"status": 404}), ANSWER])
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is not None and models_of(server) == [SONNET, HAIKU]


# ----------------------------------------------------------------------------- incomplete answers

PARTIAL = "PARTIAL-MARKER words that must never be used as an answer"


@pytest.mark.parametrize(
    "fault",
    [
        {"cut_after_events": 4},
        {"cut_after_events": 4, "reset": True},
        {"cut_mid_text": True},
        {"malformed": True},
        {"empty_200": True},
        {"stall_seconds": 5},  # headers, then silence longer than the idle gap
        {"sse_error": "api_error", "message": "Internal server error"},
    ],
    ids=["cut", "reset", "cut-mid-text", "malformed", "empty-200", "stall", "sse-api-error"],
)
def test_an_incomplete_answer_is_retried_once_then_the_next_model_answers(
    chaos: Any, tmp_path: Path, fault: dict[str, Any]
) -> None:
    text = {} if "empty_200" in fault else {"text": PARTIAL}
    server = chaos([on(SONNET, fault, **text), ANSWER])
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is not None and outcome.reply.model.model == HAIKU
    assert "PARTIAL-MARKER" not in outcome.reply.text
    expected = [SONNET, HAIKU] if "sse_error" in fault else [SONNET, SONNET, HAIKU]
    if "sse_error" in fault:  # an api_error event is a server error: backed off, retried twice
        expected = [SONNET, SONNET, SONNET, HAIKU]
    assert models_of(server) == expected


def test_an_overloaded_error_event_mid_stream_is_a_529(chaos: Any, tmp_path: Path) -> None:
    server = chaos([on(SONNET, {"sse_error": "overloaded_error"}, text=PARTIAL), ANSWER])
    client = client_for(server.url, tmp_path)
    outcome = ask(client)
    assert outcome.reply is not None and models_of(server) == [SONNET, HAIKU]
    assert outcome.attempts[0].outcome == "overloaded" and outcome.attempts[0].status == 200
    assert client.circuit.acquire(f"anthropic:{SONNET}").gate == Gate.OPEN


def test_a_cut_that_clears_on_retry_is_answered_by_the_same_model(
    chaos: Any, tmp_path: Path
) -> None:
    server = chaos(
        [on(SONNET, {"cut_after_events": 3}, repeat=1, text=PARTIAL), {"text": "Whole."}]
    )
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is not None and outcome.reply.text == "Whole."
    assert models_of(server) == [SONNET, SONNET] and SLEPT == []  # retried at once


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never sends a byte (a hung upstream)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    listener.close()


def test_no_first_byte_in_time_is_a_timeout_retried_once_per_model(
    silent_server: str, tmp_path: Path
) -> None:
    outcome = ask(client_for(silent_server, tmp_path, first_byte_timeout_seconds=0.3))
    assert outcome.reply is None
    assert [(a.model, a.outcome, a.detail) for a in outcome.attempts] == [
        (SONNET, "timeout", "timed out waiting for the first byte"),
        (SONNET, "timeout", "timed out waiting for the first byte"),
        (HAIKU, "timeout", "timed out waiting for the first byte"),
        (HAIKU, "timeout", "timed out waiting for the first byte"),
    ]


def test_an_endpoint_nobody_listens_on_is_tried_twice_then_left(tmp_path: Path) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # the port is free: connections are refused
    outcome = ask(client_for(f"http://127.0.0.1:{port}", tmp_path))
    assert outcome.reply is None
    assert [(a.model, a.outcome) for a in outcome.attempts] == [
        (SONNET, "connection"),
        (SONNET, "connection"),
        (HAIKU, "skipped"),
    ]


# ----------------------------------------------------------------------------- stop reasons


def test_max_tokens_gets_one_continuation_joined_to_the_first_part(
    chaos: Any, tmp_path: Path
) -> None:
    server = chaos(
        [
            on(
                SONNET,
                None,
                repeat=1,
                text="The first half, ",
                stop_reason="max_tokens",
                usage={"output_tokens": 60},
            ),
            {"text": "and the second half."},
        ]
    )
    outcome = ask(client_for(server.url, tmp_path), max_tokens=100)
    assert outcome.reply is not None
    assert outcome.reply.text == "The first half, and the second half."
    bodies = [r["body"] for r in server.requests() if r["path"] == "/v1/messages"]
    assert len(bodies) == 2
    assert bodies[1]["messages"][-2] == {"role": "assistant", "content": "The first half, "}
    assert bodies[1]["max_tokens"] == 40  # what is left of the cap


def test_max_tokens_twice_goes_to_the_next_model(chaos: Any, tmp_path: Path) -> None:
    server = chaos([on(SONNET, None, text="Part", stop_reason="max_tokens"), ANSWER])
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is not None and outcome.reply.text == ANSWER["text"]
    assert models_of(server) == [SONNET, SONNET, HAIKU]


@pytest.mark.parametrize("stop_reason", ["refusal", "pause_turn", "model_context_window_exceeded"])
def test_any_other_stop_reason_is_never_an_answer(
    chaos: Any, tmp_path: Path, stop_reason: str
) -> None:
    server = chaos([on(SONNET, None, text="Not usable", stop_reason=stop_reason), ANSWER])
    outcome = ask(client_for(server.url, tmp_path))
    assert outcome.reply is not None and outcome.reply.text == ANSWER["text"]
    assert models_of(server) == [SONNET, HAIKU]


def test_an_answer_over_the_output_cap_is_refused(chaos: Any, tmp_path: Path) -> None:
    server = chaos([on(SONNET, None, text="Too long", usage={"output_tokens": 5000}), ANSWER])
    outcome = ask(client_for(server.url, tmp_path), max_tokens=100)
    assert outcome.reply is not None and outcome.reply.model.model == HAIKU
    assert "more than the 100 asked" in outcome.attempts[0].detail


# ----------------------------------------------------------------------------- log and keys


def test_every_attempt_is_logged_privately_without_content_or_keys(
    chaos: Any, tmp_path: Path
) -> None:
    server = chaos([on(SONNET, {"status": 529}), {"text": "ANSWER-CONTENT-MARKER"}])
    client = client_for(server.url, tmp_path)
    client.complete(
        Request(
            system="SYSTEM-CONTENT-MARKER",
            messages=({"role": "user", "content": "PROMPT-CONTENT-MARKER"},),
            max_tokens=50,
            purpose="test",
            cl100k_tokens=12,
        )
    )
    path = tmp_path / ATTEMPTS_FILE
    raw = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "MARKER" not in raw and KEY not in raw and "sk-ant" not in raw
    records = read_attempts(tmp_path)
    assert [(r["model"], r["outcome"], r["status"]) for r in records] == [
        (SONNET, "overloaded", 529),
        (HAIKU, "ok", 200),
    ]
    ok = records[1]
    assert ok["provider"] == "anthropic" and ok["request_id"].startswith("req_chaos_")
    assert ok["input_tokens"] > 0 and ok["output_tokens"] > 0 and ok["cl100k_tokens"] == 12
    assert ok["latency_seconds"] >= 0 and ok["purpose"] == "test"
    assert set(ok) == {
        "time",
        "provider",
        "model",
        "outcome",
        "status",
        "request_id",
        "latency_seconds",
        "input_tokens",
        "output_tokens",
        "cl100k_tokens",
        "purpose",
        "attempt",
        "action",
        "detail",
    }
    for line in raw.splitlines():
        json.loads(line)


def test_the_key_is_sent_as_claude_code_sends_it_and_never_logged(
    chaos: Any, tmp_path: Path
) -> None:
    server = chaos([{"text": "hi"}])
    ask(client_for(server.url, tmp_path))
    headers = server.requests()[0]["headers"]
    assert headers["x-api-key"] == "[redacted]"  # the server saw one; its log hides it
    assert "authorization" not in headers  # as Claude Code: the key goes as x-api-key only
    assert headers["anthropic-version"] and headers["x-stainless-retry-count"] == "0"
    assert repr(Credentials(api_key=KEY)).count(KEY) == 0


def test_without_a_key_the_api_is_unavailable_in_one_line(tmp_path: Path) -> None:
    client = ApiClient(
        ApiConfig(), Credentials(problem="no ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN"), tmp_path
    )
    with pytest.raises(ApiUnavailable) as err:
        ask(client)
    assert str(err.value) == "no ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN"


def test_a_key_and_a_token_are_both_sent_each_in_its_own_header(chaos: Any, tmp_path: Path) -> None:
    server = chaos([{"text": "hi"}])
    client = ApiClient(
        ApiConfig(models=(SONNET,)),
        Credentials(api_key=KEY, auth_token="gateway-token-0123456789abcdef", base_url=server.url),
        tmp_path,
    )
    assert ask(client).reply is not None
    headers = server.requests()[0]["headers"]
    assert headers["x-api-key"] == "[redacted]" and headers["authorization"] == "[redacted]"


def test_an_auth_token_is_sent_as_a_bearer_header(chaos: Any, tmp_path: Path) -> None:
    server = chaos([{"text": "hi"}])
    client = ApiClient(
        ApiConfig(models=(SONNET,)),
        Credentials(auth_token="gateway-token-0123456789abcdef", base_url=server.url),
        tmp_path,
    )
    assert ask(client).reply is not None
    headers = server.requests()[0]["headers"]
    assert headers["authorization"] == "[redacted]" and "x-api-key" not in headers


def test_the_circuit_file_is_shared_with_other_clients(chaos: Any, tmp_path: Path) -> None:
    server = chaos([on(SONNET, {"status": 529}), ANSWER])
    ask(client_for(server.url, tmp_path))
    other = Circuit(tmp_path)
    assert other.acquire(f"anthropic:{SONNET}").gate == Gate.OPEN


# ----------------------------------------------------------------------------- the timeouts


SLOW_TEXT = "one two three four five six seven eight nine ten eleven twelve"


def test_after_the_headers_the_idle_gap_replaces_the_first_byte_timeout(
    chaos: Any, tmp_path: Path
) -> None:
    """Events 0.6 s apart: longer than the first-byte timeout, shorter than the idle gap."""
    server = chaos([{"fault": {"drip_ms": 600}, "text": SLOW_TEXT}])
    client = client_for(
        server.url, tmp_path, first_byte_timeout_seconds=0.3, idle_timeout_seconds=3.0
    )
    outcome = ask(client)
    assert outcome.reply is not None and outcome.reply.text == SLOW_TEXT
    assert models_of(server) == [SONNET]


def test_a_gap_between_events_longer_than_the_idle_timeout_is_a_timeout(
    chaos: Any, tmp_path: Path
) -> None:
    server = chaos([{"fault": {"drip_ms": 600}, "text": SLOW_TEXT}])
    client = client_for(
        server.url, tmp_path, first_byte_timeout_seconds=3.0, idle_timeout_seconds=0.3
    )
    outcome = ask(client)
    assert outcome.reply is None
    assert {a.detail for a in outcome.attempts} == {"timed out between stream events"}
    assert models_of(server) == [SONNET, SONNET, HAIKU, HAIKU]


def test_a_stream_that_keeps_dripping_is_cut_at_the_attempt_timeout(
    chaos: Any, tmp_path: Path
) -> None:
    server = chaos([{"fault": {"drip_ms": 200}, "text": SLOW_TEXT * 3}])
    client = client_for(server.url, tmp_path, attempt_timeout_seconds=0.5)
    outcome = ask(client)
    assert outcome.reply is None
    assert outcome.attempts[0].detail == "the attempt took longer than 0.5 s"
    assert outcome.attempts[0].outcome == "timeout"
