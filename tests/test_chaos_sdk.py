"""Acceptance 5: the real ``anthropic`` SDK raises the right exception for each chaos fault.

The SDK classifies failures by HTTP status and error type, so these pin down that
the fake upstream fails the way the real API does, for every client built on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import anthropic._base_client as sdk_base
import pytest

from tests.support.chaos import Served, start_server, stop_server

# The HTTP library the installed SDK is built on (httpx, or httpx2 in newer releases):
# a stream cut while it is being read surfaces as that library's protocol error.
SDK_HTTP: Any = getattr(sdk_base, "httpx2", None) or sdk_base.httpx
MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture
def sdk_for(tmp_path: Path) -> Iterator[Any]:
    """Factory: ``sdk_for(script, timeout=...) -> (client, server)`` with retries off."""
    started: list[Served] = []

    def factory(
        script: list[dict[str, Any]], timeout: float = 30.0
    ) -> tuple[anthropic.Anthropic, Served]:
        server = start_server(tmp_path / "chaos", script)
        started.append(server)
        client = anthropic.Anthropic(
            base_url=server.url, api_key="sk-ant-test", max_retries=0, timeout=timeout
        )
        return client, server

    yield factory
    for server in started:
        stop_server(server)


def create(client: anthropic.Anthropic, stream: bool = False) -> Any:
    if stream:
        with client.messages.stream(
            model="claude-opus-4-5", max_tokens=64, messages=MESSAGES
        ) as events:
            return events.get_final_message()
    return client.messages.create(model="claude-opus-4-5", max_tokens=64, messages=MESSAGES)


def test_scripted_answer_round_trips_through_the_sdk(sdk_for: Any) -> None:
    client, _ = sdk_for(
        [
            {"text": "Hello from chaos.", "usage": {"input_tokens": 1234, "output_tokens": 5}},
            {"tool_use": [{"name": "Write", "input": {"file_path": "/x", "content": "y"}}]},
        ]
    )
    message = create(client, stream=True)
    assert message.content[0].text == "Hello from chaos."
    assert message.usage.input_tokens == 1234 and message.stop_reason == "end_turn"
    tool = create(client, stream=False)
    assert tool.stop_reason == "tool_use"
    assert tool.content[0].name == "Write" and tool.content[0].input == {
        "file_path": "/x",
        "content": "y",
    }


def test_529_raises_overloaded(sdk_for: Any) -> None:
    # OverloadedError (a subclass of InternalServerError) exists in anthropic >= 0.50;
    # older SDKs raise InternalServerError itself for 529.
    expected = getattr(anthropic, "OverloadedError", anthropic.InternalServerError)
    client, _ = sdk_for([{"fault": {"status": 529}}])
    for stream in (False, True):
        with pytest.raises(anthropic.InternalServerError) as err:
            create(client, stream=stream)
        assert type(err.value) is expected
        assert err.value.status_code == 529
        assert err.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
        assert err.value.request_id is not None and err.value.request_id.startswith("req_")


def test_500_raises_internal_server_error(sdk_for: Any) -> None:
    client, _ = sdk_for([{"fault": {"status": 500}}])
    with pytest.raises(anthropic.InternalServerError) as err:
        create(client)
    assert type(err.value) is anthropic.InternalServerError and err.value.status_code == 500


def test_429_with_retry_after_raises_rate_limit(sdk_for: Any) -> None:
    client, _ = sdk_for([{"fault": {"status": 429, "retry_after": 12}}])
    with pytest.raises(anthropic.RateLimitError) as err:
        create(client)
    assert err.value.response.headers["retry-after"] == "12"


def test_400_raises_bad_request(sdk_for: Any) -> None:
    client, _ = sdk_for([{"fault": {"status": 400, "message": "prompt is too long"}}])
    with pytest.raises(anthropic.BadRequestError) as err:
        create(client)
    assert "prompt is too long" in str(err.value)


def test_other_statuses_map_to_their_sdk_classes(sdk_for: Any) -> None:
    client, _ = sdk_for(
        [
            {"fault": {"status": 401}},
            {"fault": {"status": 403}},
            {"fault": {"status": 404}},
            {"fault": {"status": 503}},
            {"text": "fine again"},
        ]
    )
    for expected in (
        anthropic.AuthenticationError,
        anthropic.PermissionDeniedError,
        anthropic.NotFoundError,
        anthropic.InternalServerError,
    ):
        with pytest.raises(expected):
            create(client)
    assert create(client).content[0].text == "fine again"


def test_cut_stream_raises_the_sdk_truncation_error(sdk_for: Any) -> None:
    client, _ = sdk_for(
        [
            {"fault": {"cut_mid_text": True, "reset": True}, "text": "Here is the partial answ"},
            {"fault": {"cut_after_events": 4, "reset": True}, "text": "cut after four events"},
            {"fault": {"cut_after_events": 2, "reset": True}, "text": "cut non-streaming"},
        ]
    )
    # A connection lost while a stream is read: the SDK lets its HTTP library's error through.
    with pytest.raises(SDK_HTTP.RemoteProtocolError, match="incomplete chunked read"):
        create(client, stream=True)
    with pytest.raises(SDK_HTTP.RemoteProtocolError):
        create(client, stream=True)
    # Without streaming the body is read inside the request: a connection error.
    with pytest.raises(anthropic.APIConnectionError) as err:
        create(client, stream=False)
    assert not isinstance(err.value, anthropic.APITimeoutError)


def test_cleanly_ended_short_stream_looks_like_success_to_the_sdk(sdk_for: Any) -> None:
    """The failure cc-guard exists for: no exception, just a message that never finished."""
    client, _ = sdk_for([{"fault": {"cut_mid_text": True}, "text": "Here is the partial answ"}])
    message = create(client, stream=True)
    assert message.stop_reason is None
    assert message.content[0].text == ""  # the half-sent delta was dropped


def test_error_event_mid_stream_raises_a_status_error(sdk_for: Any) -> None:
    client, _ = sdk_for([{"fault": {"sse_error": "overloaded_error"}, "text": "partial"}])
    with pytest.raises(anthropic.APIStatusError) as err:
        create(client, stream=True)
    assert err.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    with pytest.raises(anthropic.InternalServerError) as plain:
        create(client, stream=False)
    assert plain.value.status_code == 529


def test_stall_with_read_timeout_raises_api_timeout(sdk_for: Any) -> None:
    client, _ = sdk_for([{"fault": {"stall_seconds": 60}}], timeout=1.0)
    with pytest.raises(anthropic.APITimeoutError):
        create(client, stream=False)
    with pytest.raises(SDK_HTTP.ReadTimeout):
        create(client, stream=True)
