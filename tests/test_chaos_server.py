"""``cc-guard chaos serve`` as a real process on a real socket: answers, faults, log, refusals."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from cc_guard.chaos.log import read_log
from tests.support.chaos import (
    API_KEY,
    EVENT_ORDER,
    HEADERS,
    body,
    parse_events,
    read_stream,
)


def test_text_answer_streams_the_full_event_sequence(chaos: Any) -> None:
    server = chaos([{"text": "Hello there, this is a scripted answer."}])
    status, data, error = read_stream(server.url, body())
    assert (status, error) == (200, None)
    events = parse_events(data)
    names = [n for n, _ in events]
    assert [n for i, n in enumerate(names) if i == 0 or n != names[i - 1]] == EVENT_ORDER
    text = "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta")
    assert text == "Hello there, this is a scripted answer."
    start = events[0][1]["message"]
    assert start["model"] == "claude-opus-4-5" and start["role"] == "assistant"
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"


def test_tool_use_streams_input_json_deltas_and_stops_for_the_tool(chaos: Any) -> None:
    tool_input = {"file_path": "/tmp/x/hello.txt", "content": "hello from chaos\n" * 5}
    server = chaos([{"text": "Writing it.", "tool_use": [{"name": "Write", "input": tool_input}]}])
    _, data, error = read_stream(server.url, body())
    assert error is None
    events = parse_events(data)
    starts = [d["content_block"] for n, d in events if n == "content_block_start"]
    assert [b["type"] for b in starts] == ["text", "tool_use"]
    assert starts[1]["name"] == "Write" and starts[1]["id"].startswith("toolu_")
    partial = [
        d["delta"]["partial_json"]
        for n, d in events
        if n == "content_block_delta" and d["delta"]["type"] == "input_json_delta"
    ]
    assert len(partial) > 1  # really streamed in pieces
    assert json.loads("".join(partial)) == tool_input
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_thinking_streams_before_the_text_with_a_signature(chaos: Any) -> None:
    server = chaos([{"thinking": "Let me think it through.", "text": "Answer."}])
    _, data, _ = read_stream(server.url, body())
    events = parse_events(data)
    starts = [d["content_block"]["type"] for n, d in events if n == "content_block_start"]
    assert starts == ["thinking", "text"]
    deltas = [d["delta"] for n, d in events if n == "content_block_delta" and d["index"] == 0]
    thought = "".join(d["thinking"] for d in deltas if d["type"] == "thinking_delta")
    assert thought == "Let me think it through."
    assert deltas[-1]["type"] == "signature_delta" and deltas[-1]["signature"]


def test_usage_and_stop_reason_come_from_the_script(chaos: Any) -> None:
    usage = {
        "input_tokens": 150000,
        "cache_creation_input_tokens": 2000,
        "cache_read_input_tokens": 30000,
        "output_tokens": 77,
    }
    server = chaos([{"text": "cut short", "usage": usage, "stop_reason": "max_tokens"}])
    _, data, _ = read_stream(server.url, body())
    events = parse_events(data)
    assert events[0][1]["message"]["usage"]["cache_read_input_tokens"] == 30000
    delta = next(d for n, d in events if n == "message_delta")
    assert delta["usage"] == usage and delta["delta"]["stop_reason"] == "max_tokens"


def test_non_streaming_request_gets_one_json_message(chaos: Any) -> None:
    server = chaos([{"tool_use": [{"name": "Bash", "input": {"command": "ls"}}]}])
    resp = httpx.post(server.url + "/v1/messages", json=body(stream=False), headers=HEADERS)
    assert resp.status_code == 200
    message = resp.json()
    assert message["type"] == "message" and message["stop_reason"] == "tool_use"
    assert message["content"][0]["input"] == {"command": "ls"}
    assert resp.headers["request-id"].startswith("req_")


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (502, "api_error"),
        (503, "api_error"),
        (529, "overloaded_error"),
    ],
)
def test_status_fault_has_anthropic_error_body_and_headers(
    chaos: Any, status: int, error_type: str
) -> None:
    server = chaos([{"fault": {"status": status}}])
    resp = httpx.post(server.url + "/v1/messages?beta=true", json=body(), headers=HEADERS)
    assert resp.status_code == status
    error = resp.json()
    assert error["type"] == "error" and error["error"]["type"] == error_type
    assert error["request_id"] == resp.headers["request-id"]
    if status in (429, 529):
        assert resp.headers["retry-after"] == "1"
    else:
        assert "retry-after" not in resp.headers


def test_retry_after_and_message_can_be_set(chaos: Any) -> None:
    server = chaos([{"fault": {"status": 429, "retry_after": 7, "message": "slow down"}}])
    resp = httpx.post(server.url + "/v1/messages", json=body(), headers=HEADERS)
    assert resp.headers["retry-after"] == "7"
    assert resp.json()["error"]["message"] == "slow down"


def test_cut_after_events_sends_exactly_n_events_then_ends_the_body(chaos: Any) -> None:
    server = chaos(
        [{"fault": {"cut_after_events": 3}, "text": "one two three four five six seven"}]
    )
    status, data, error = read_stream(server.url, body())
    # A complete HTTP response whose event stream stops short (Claude Code: StreamTruncated).
    assert (status, error) == (200, None)
    names = [n for n, _ in parse_events(data)]
    assert names == ["message_start", "content_block_start", "content_block_delta"]


def test_reset_drops_the_connection_at_the_cut(chaos: Any) -> None:
    server = chaos(
        [{"fault": {"cut_after_events": 3, "reset": True}, "text": "one two three four five"}]
    )
    status, data, error = read_stream(server.url, body())
    assert status == 200
    assert error == "RemoteProtocolError"  # closed before the final chunk
    assert [n for n, _ in parse_events(data)] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
    ]


def test_cut_after_more_events_than_the_answer_has_still_withholds_message_stop(
    chaos: Any,
) -> None:
    server = chaos([{"fault": {"cut_after_events": 500}, "text": "short"}])
    _, data, error = read_stream(server.url, body())
    assert error is None
    names = [n for n, _ in parse_events(data)]
    assert names[-1] == "message_delta" and "message_stop" not in names


@pytest.mark.parametrize("reset", [False, True])
def test_cut_mid_text_ends_inside_a_text_delta(chaos: Any, reset: bool) -> None:
    text = "Here is the partial answer that never finishes"
    server = chaos([{"fault": {"cut_mid_text": True, "reset": reset}, "text": text}])
    _, data, error = read_stream(server.url, body())
    assert error == ("RemoteProtocolError" if reset else None)
    tail = data.decode().rsplit("\n\n", 1)[1]
    assert tail.startswith("event: content_block_delta\ndata: ")
    assert '"text": "Here' in tail and not tail.endswith("}")  # the JSON is cut inside the text


def test_non_streaming_cut_sends_half_a_message(chaos: Any) -> None:
    server = chaos(
        [
            {"fault": {"cut_after_events": 1}, "text": "half of this arrives"},
            {"fault": {"cut_after_events": 1, "reset": True}, "text": "half of this arrives"},
        ]
    )
    clean = httpx.post(server.url + "/v1/messages", json=body(stream=False), headers=HEADERS)
    assert clean.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        clean.json()
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(server.url + "/v1/messages", json=body(stream=False), headers=HEADERS)


def test_stall_sends_headers_then_silence(chaos: Any) -> None:
    server = chaos([{"fault": {"stall_seconds": 60}}])
    with (
        httpx.Client(timeout=httpx.Timeout(10, read=1.0)) as client,
        client.stream("POST", server.url + "/v1/messages", json=body(), headers=HEADERS) as resp,
    ):
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        with pytest.raises(httpx.ReadTimeout):
            for _ in resp.iter_raw():
                pass


def test_stall_with_text_answers_after_the_silence(chaos: Any) -> None:
    server = chaos([{"fault": {"stall_seconds": 0.2}, "text": "late but complete"}])
    _, data, error = read_stream(server.url, body())
    assert error is None
    events = parse_events(data)
    assert events[-1][0] == "message_stop"
    assert "late but complete" in "".join(
        d["delta"]["text"] for n, d in events if n == "content_block_delta"
    )


def test_drip_slows_the_events_but_completes_them(chaos: Any) -> None:
    server = chaos([{"fault": {"drip_ms": 50}, "text": "a b c d e f g h i"}])
    started = time.monotonic()
    _, data, error = read_stream(server.url, body())
    elapsed = time.monotonic() - started
    events = parse_events(data)
    assert error is None and events[-1][0] == "message_stop"
    # A lower bound only: each event waits drip_ms before it is sent.
    assert elapsed >= len(events) * 0.05 * 0.9


def test_malformed_sends_broken_sse(chaos: Any) -> None:
    server = chaos([{"fault": {"malformed": True}, "text": "whatever"}])
    status, data, error = read_stream(server.url, body())
    assert (status, error) == (200, None)
    events = parse_events(data)
    assert events[0][0] == "message_start"
    assert any(isinstance(d, str) for _, d in events)  # a data line that is not JSON
    assert "message_stop" not in [n for n, _ in events]


def test_sse_error_sends_an_error_event_inside_a_200_stream(chaos: Any) -> None:
    server = chaos([{"fault": {"sse_error": "overloaded_error"}, "text": "partial then trouble"}])
    status, data, error = read_stream(server.url, body())
    assert (status, error) == (200, None)
    events = parse_events(data)
    assert [n for n, _ in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "error",
    ]
    assert events[-1][1]["error"]["type"] == "overloaded_error"
    # Without streaming there is no event to carry it: the matching status instead.
    plain = httpx.post(server.url + "/v1/messages", json=body(stream=False), headers=HEADERS)
    assert plain.status_code == 529 and plain.json()["error"]["type"] == "overloaded_error"
    assert [r["answer"]["status"] for r in server.requests()] == [200, 529]


def test_empty_200_has_no_body(chaos: Any) -> None:
    server = chaos([{"fault": {"empty_200": True}}])
    resp = httpx.post(server.url + "/v1/messages", json=body(), headers=HEADERS)
    assert resp.status_code == 200 and resp.content == b""


@pytest.mark.parametrize(
    "head",
    [b"Content-Length: abc\r\n\r\n{}", b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"],
    ids=["content-length", "chunk-size"],
)
def test_unreadable_body_length_gets_a_400_and_the_server_keeps_serving(
    chaos: Any, head: bytes
) -> None:
    import socket

    server = chaos([{"text": "still here"}])
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n" + head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 ")
    error = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert error["error"]["type"] == "invalid_request_error"
    resp = httpx.post(server.url + "/v1/messages", json=body(stream=False), headers=HEADERS)
    assert resp.json()["content"][0]["text"] == "still here"


def test_count_tokens_models_and_unknown_paths(chaos: Any) -> None:
    server = chaos([{"text": "only for messages"}])
    counted = httpx.post(
        server.url + "/v1/messages/count_tokens?beta=true",
        json=body(text="x" * 400),
        headers=HEADERS,
    )
    assert counted.status_code == 200 and counted.json()["input_tokens"] > 50
    httpx.post(server.url + "/v1/messages", json=body(model="claude-special-1"), headers=HEADERS)
    models = httpx.get(server.url + "/v1/models", headers=HEADERS).json()
    assert "claude-special-1" in [m["id"] for m in models["data"]]
    one = httpx.get(server.url + "/v1/models/claude-haiku-4-5", headers=HEADERS).json()
    assert one["id"] == "claude-haiku-4-5" and one["type"] == "model"
    broken = httpx.post(server.url + "/v1/messages", content=b"{not json", headers=HEADERS)
    assert broken.status_code == 400
    assert broken.json()["error"]["type"] == "invalid_request_error"
    missing = httpx.post(server.url + "/v2/nothing", json={}, headers=HEADERS)
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"
    # count_tokens and models never use up a script entry.
    assert [r["answer"].get("entry") for r in server.requests()] == [None, 0, None, None, None, None]


def test_log_records_requests_without_credentials(chaos: Any) -> None:
    server = chaos([{"fault": {"status": 529}, "repeat": 1}, {"text": "fine"}])
    secret_body = body(text=f"my key is {API_KEY} keep it")
    httpx.post(
        server.url + "/v1/messages?beta=true",
        json=secret_body,
        headers={**HEADERS, "authorization": "Bearer abc.def.ghi", "x-trace": f"k={API_KEY}"},
    )
    read_stream(server.url, body(text="second"))
    records = server.requests()
    assert len(records) == 2
    first, second = records
    assert first["path"] == "/v1/messages" and first["query"] == "beta=true"
    assert first["model"] == "claude-opus-4-5" and first["stream"] is True
    assert first["headers"]["x-api-key"] == "[redacted]"
    assert first["headers"]["authorization"] == "[redacted]"
    assert first["headers"]["x-trace"] == "k=[redacted]"
    assert first["headers"]["anthropic-version"] == "2023-06-01"
    assert first["body"]["messages"][0]["content"] == "my key is [redacted] keep it"
    assert first["answer"]["fault"] == {"status": 529} and first["answer"]["status"] == 529
    assert first["answer"]["entry"] == 0
    assert second["answer"]["entry"] == 1 and second["answer"]["fault"] is None
    assert second["body"]["messages"][0]["content"] == "second"
    raw = server.log_path.read_text()
    assert API_KEY not in raw and "abc.def.ghi" not in raw
    assert stat.S_IMODE(server.log_path.stat().st_mode) == 0o600


def test_without_script_every_request_gets_the_default_text(chaos: Any) -> None:
    server = chaos(None, "--text", "custom default")
    _, data, _ = read_stream(server.url, body())
    assert "custom default" in "".join(
        d["delta"]["text"] for n, d in parse_events(data) if n == "content_block_delta"
    )


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cc_guard", "chaos", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_non_loopback_host_is_refused_without_allow_remote() -> None:
    result = run_cli("--host", "0.0.0.0")
    assert result.returncode == 1
    assert "not a loopback address" in result.stderr and "--allow-remote" in result.stderr
    assert result.stdout == ""


def test_allow_remote_binds_a_non_loopback_host(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cc_guard",
            "chaos",
            "serve",
            "--port",
            "0",
            "--host",
            "0.0.0.0",
            "--allow-remote",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://0.0.0.0:")
        port = url.rsplit(":", 1)[1]
        assert httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bad_script_exits_with_one_line_naming_file_and_entry(tmp_path: Path) -> None:
    script = tmp_path / "broken.json"
    script.write_text(json.dumps([{"text": "ok"}, {"fault": {"status": 999}}]))
    result = run_cli("--script", str(script))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"cc-guard: {script}: entry 1: fault status must be one of 400, 401, 403, 404, 413, 429, 500, 502, 503, 529."
    ]


def test_bad_option_combinations_are_refused(tmp_path: Path) -> None:
    script = tmp_path / "s.json"
    script.write_text('[{"text": "x"}]')
    both = run_cli("--script", str(script), "--upstream", "http://127.0.0.1:9")
    assert both.returncode == 1 and "cannot be combined" in both.stderr
    faults = run_cli("--faults", "529:2")
    assert faults.returncode == 1 and "between 0 and 1" in faults.stderr
    upstream = run_cli("--upstream", "ftp://example.invalid")
    assert upstream.returncode == 1 and "http:// or https://" in upstream.stderr


def test_out_of_range_port_is_a_usage_error_not_a_traceback() -> None:
    result = run_cli("--port", "99999")
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "--port" in result.stderr and "0<=x<=65535" in result.stderr


def test_negative_stall_seconds_is_a_usage_error() -> None:
    result = run_cli("--faults", "stall:0.5", "--stall-seconds", "-1")
    assert result.returncode == 2 and result.stdout == ""  # refused, never served
    assert "--stall-seconds" in result.stderr and "x>=0" in result.stderr


def test_unwritable_log_is_refused_before_serving(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log's directory should be\n")
    log_path = blocker / "chaos.jsonl"
    result = run_cli("--log", str(log_path))
    assert result.returncode == 1 and result.stdout == ""  # no URL: it never served
    assert result.stderr.strip().splitlines() == [
        f"cc-guard: cannot write the log {log_path} (Not a directory)."
    ]


def test_sigterm_stops_the_server_cleanly(chaos: Any) -> None:
    server = chaos([{"fault": {"stall_seconds": 600}}])
    with (
        httpx.Client(timeout=httpx.Timeout(10, read=0.5)) as client,
        client.stream("POST", server.url + "/v1/messages", json=body(), headers=HEADERS) as resp,
    ):
        assert resp.status_code == 200
        os.kill(server.proc.pid, signal.SIGTERM)
        assert server.proc.wait(timeout=10) == 0


def test_random_faults_on_a_script_leave_entries_for_the_retry(chaos: Any) -> None:
    server = chaos(
        [{"text": "first"}, {"text": "second"}, {"text": "third"}],
        "--faults",
        "529:0.4,stall:0.1",
        "--seed",
        "0",  # rolls: ok, 529, stall, ok, ok, ok
        "--stall-seconds",
        "0.05",
    )
    answered: list[str] = []
    statuses: list[str] = []
    with httpx.Client(timeout=30) as client:
        while len(answered) < 4:
            try:
                resp = client.post(
                    server.url + "/v1/messages", json=body(stream=False), headers=HEADERS
                )
            except httpx.RemoteProtocolError:
                statuses.append("stall")  # a random stall never answers: the connection drops
                continue
            statuses.append(str(resp.status_code))
            if resp.status_code == 200:
                answered.append(resp.json()["content"][0]["text"])
    # Faults never use up an entry: the script's answers still come in order.
    assert answered == ["first", "second", "third", "third"]
    assert "529" in statuses and "stall" in statuses
    random_faults = [
        r["answer"] for r in server.requests() if r["answer"].get("fault_source") == "random"
    ]
    assert len(random_faults) == len(statuses) - 4


def test_serve_in_thread_serves_and_stops(tmp_path: Path) -> None:
    from cc_guard.chaos.server import serve_in_thread

    log_path = tmp_path / "in-process.jsonl"
    url, stop = serve_in_thread([{"text": "in process"}], log_path)
    try:
        resp = httpx.post(url + "/v1/messages", json=body(stream=False), headers=HEADERS)
        assert resp.json()["content"][0]["text"] == "in process"
        assert read_log(log_path)[0]["answer"]["entry"] == 0
    finally:
        stop()
    with pytest.raises(httpx.ConnectError):
        httpx.post(url + "/v1/messages", json=body(stream=False), headers=HEADERS)
