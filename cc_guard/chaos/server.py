"""The HTTP server: answers Messages API requests from a script or a proxied upstream.

Standard library only (ThreadingHTTPServer): it must start in a blink for tests.
Streams use chunked transfer encoding, so a cut stream is a connection closed
before the final chunk, which every HTTP client reports as a truncated body.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cc_guard.chaos import messages as msg
from cc_guard.chaos.faults import FaultDice, parse_fault_spec
from cc_guard.chaos.log import RequestLog, redact_headers, redact_text
from cc_guard.chaos.proxy import Upstream, UpstreamError, response_headers
from cc_guard.chaos.script import (
    ERROR_TYPES,
    Entry,
    Fault,
    RequestView,
    Script,
    load_script,
    parse_script,
)

#: The largest request body kept (the real API refuses bodies over 32 MB with a 413).
MAX_BODY_BYTES = 32 * 1024 * 1024
#: How much of a body the request log keeps (redacted first, then cut).
LOG_BODY_BYTES = 4 * 1024 * 1024
#: A connection silent this long (between requests, or mid-request) is closed.
IDLE_TIMEOUT = 60.0


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


@dataclass
class ChaosState:
    """Everything the request handlers share."""

    script: Script | None = None
    dice: FaultDice | None = None
    upstream: Upstream | None = None
    log: RequestLog = field(default_factory=lambda: RequestLog(None))
    default_text: str = msg.DEFAULT_TEXT
    verbose: bool = False
    stopping: threading.Event = field(default_factory=threading.Event)
    seen_models: list[str] = field(default_factory=list)
    max_body_bytes: int = MAX_BODY_BYTES
    log_body_bytes: int = LOG_BODY_BYTES
    idle_timeout: float = IDLE_TIMEOUT


class ChaosHTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a stalled answer must not keep the process alive
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: ChaosState) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        super().__init__(address, ChaosHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[0], self.server_address[1]
        host = host.decode() if isinstance(host, bytes) else host
        host_text = f"[{host}]" if ":" in host else host
        return f"http://{host_text}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hang up on cut and stalled answers all the time: that is the point.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def stop(self) -> None:
        self.state.stopping.set()
        self.shutdown()
        self.server_close()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ChaosHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cc-guard-chaos"
    sys_version = ""
    server: ChaosHTTPServer

    def setup(self) -> None:
        super().setup()
        # An idle keep-alive connection (or a client that stops mid-request) is
        # closed instead of holding a thread forever.
        self.connection.settimeout(self.server.state.idle_timeout)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.state.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # -- request plumbing -------------------------------------------------

    def _handle(self) -> None:
        state = self.server.state
        self.request_id = msg.new_id("req_chaos_")
        parts = urlsplit(self.path)
        try:
            body = self._read_body(state.max_body_bytes)
        except ValueError:  # a Content-Length or chunk size that is not a number
            self.close_connection = True
            problem = "cc-guard chaos: the request body's length is unreadable."
            self._send_json(400, msg.error_body(400, problem, self.request_id))
            return
        except _TooLarge as big:
            self._too_large(parts.path, parts.query, big.size)
            return
        body_text = body.decode("utf-8", "replace")
        request: dict[str, Any] = {}
        if body:
            try:
                loaded = json.loads(body_text)
            except (json.JSONDecodeError, RecursionError):  # nested past the recursion limit
                loaded = None
            if isinstance(loaded, dict):
                request = loaded
        self.record: dict[str, Any] = {
            "seq": state.log.next_seq(),
            "request_id": self.request_id,
            "method": self.command,
            "path": parts.path,
            "query": parts.query,
            "model": request.get("model"),
            "stream": bool(request.get("stream")),
            "headers": redact_headers(self.headers.items()),
            **_logged_body(body_text, len(body), state.log_body_bytes),
        }
        try:
            self._route(parts.path, self.path, request, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _too_large(self, path: str, query: str, size: int) -> None:
        """Refuse a body over the cap, as the API does, without reading the rest of it."""
        state = self.server.state
        self.close_connection = True  # the unread rest of the body must not be parsed
        self.record = {
            "seq": state.log.next_seq(),
            "request_id": self.request_id,
            "method": self.command,
            "path": path,
            "query": query,
            "model": None,
            "stream": False,
            "headers": redact_headers(self.headers.items()),
            "body": None,
            "body_bytes": size,
        }
        self._log({"kind": "too_large", "status": 413})
        problem = f"cc-guard chaos: the request body is over {state.max_body_bytes} bytes."
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send_json(413, msg.error_body(413, problem, self.request_id))

    def _route(self, path: str, full_path: str, request: dict[str, Any], body: bytes) -> None:
        state = self.server.state
        model = str(request.get("model") or "")
        if model and model not in state.seen_models:
            state.seen_models.append(model)
        if self.command == "POST" and path == "/v1/messages":
            if not request and state.upstream is None:
                self._log({"kind": "bad_request", "status": 400})
                problem = "cc-guard chaos: the request body is not a JSON object."
                self._send_json(400, msg.error_body(400, problem, self.request_id))
                return
            self._messages(request, body, full_path)
        elif state.upstream is not None:
            self._proxy(full_path, body, None)
        elif self.command == "POST" and path == "/v1/messages/count_tokens":
            self._log({"kind": "count_tokens", "status": 200})
            self._send_json(200, msg.count_tokens_body(request))
        elif path == "/api/hello":
            # Claude Code's connectivity check (HEAD) when nonessential traffic is allowed.
            self._log({"kind": "hello", "status": 200})
            self._send_raw(200, "text/plain", b"ok")
        elif self.command in ("GET", "HEAD") and path.startswith("/v1/models"):
            if self._random_fault_on_json("models"):
                return
            self._log({"kind": "models", "status": 200})
            if path.rstrip("/") == "/v1/models":
                self._send_json(200, msg.models_body(state.seen_models))
            else:
                self._send_json(200, msg.model_body(path.rsplit("/", 1)[1]))
        else:
            self._log({"kind": "not_found", "status": 404})
            self._send_json(
                404, msg.error_body(404, f"Not found: {self.command} {path}", self.request_id)
            )

    def _random_fault_on_json(self, kind: str) -> bool:
        """A random status or stall fault on a plain JSON endpoint (``/v1/models``).

        True when the fault answered (or silenced) the request. Faults that shape a
        stream (cuts, drips, malformed SSE) do not apply to a JSON answer: it is sent.
        """
        dice = self.server.state.dice
        fault = dice.roll() if dice is not None else None
        if fault is None or (fault.status is None and fault.stall_seconds is None):
            return False
        self._log(
            {
                "kind": "fault",
                "endpoint": kind,
                "entry": None,
                "status": fault.status or 200,
                "fault": fault.describe(),
                "fault_source": "random",
            }
        )
        if fault.status is not None:
            self._send_error(fault)
            return True
        # A stall: headers, then silence, then a dropped connection (as on /v1/messages).
        self._start_chunked(200, [("Content-Type", "application/json")])
        self.server.state.stopping.wait(fault.stall_seconds or 0)
        self._abort()
        return True

    def _read_body(self, limit: int) -> bytes:
        """The request body; :class:`_TooLarge` as soon as it is known to exceed ``limit``."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline(64).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                if len(data) + size > limit:
                    raise _TooLarge(len(data) + size)
                data += self.rfile.read(size)
                self.rfile.readline(64)
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            raise _TooLarge(length)
        return self.rfile.read(length) if length > 0 else b""

    def _log(self, answer: dict[str, Any]) -> None:
        self.server.state.log.write({**self.record, "answer": answer})

    # -- /v1/messages -----------------------------------------------------

    def _messages(self, request: dict[str, Any], body: bytes, full_path: str) -> None:
        state = self.server.state
        stream = bool(request.get("stream"))
        fault = state.dice.roll() if state.dice is not None else None
        source = "random" if fault is not None else "script"
        if state.upstream is not None and (fault is None or _needs_content(fault)):
            # Cuts and drips shape the upstream's own answer; other faults replace it.
            self._proxy(full_path, body, fault)
            return
        entry: Entry | None = None
        # A random fault that ends the answer early leaves the script entry for the retry.
        consume = fault is None or (
            fault.drip_ms is not None and fault.cut_after_events is None and not fault.cut_mid_text
        )
        if state.script is not None:
            entry = state.script.pick(RequestView.of(request), consume=consume)
        if fault is None and entry is not None:
            fault = entry.fault
        answer = msg.build_answer(entry, request, state.default_text)
        logged: dict[str, Any] = {
            "kind": "fault" if fault is not None else "answer",
            # A random fault that replaced the answer used no entry (it was only looked at).
            "entry": entry.index if entry is not None and consume else None,
            "status": _status_of(fault, stream),
            "fault": fault.describe() if fault is not None else None,
            "fault_source": source if fault is not None else None,
            "stop_reason": answer.stop_reason,
            "content": [b["type"] for b in answer.content],
        }
        if fault is not None and (fault.status is not None or fault.empty_200):
            del logged["stop_reason"], logged["content"]  # no message was sent
        self._log(logged)
        if fault is not None and fault.status is not None:
            self._send_error(fault)
        elif fault is not None and fault.sse_error is not None and not stream:
            # Without a stream there is no event to carry it: the error becomes the status.
            self._send_error(Fault(status=_status_of(fault, stream), message=fault.message))
        elif fault is not None and fault.empty_200:
            self._send_raw(200, "text/event-stream" if stream else "application/json", b"")
        elif stream:
            self._send_stream(answer, fault, entry)
        else:
            self._send_message(answer, fault, entry)

    def _send_error(self, fault: Fault) -> None:
        status = fault.status or 500
        headers: list[tuple[str, str]] = []
        if status in (429, 529):
            retry_after = fault.retry_after if fault.retry_after is not None else 1
            headers.append(("retry-after", _number_text(retry_after)))
        self._send_json(status, msg.error_body(status, fault.message, self.request_id), headers)

    def _send_stream(self, answer: msg.Answer, fault: Fault | None, entry: Entry | None) -> None:
        stopping = self.server.state.stopping
        self._start_chunked(
            200,
            [("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-cache")],
        )
        if fault is not None and fault.stall_seconds is not None:
            stopping.wait(fault.stall_seconds)
            if not _answers_after_stall(entry, fault) or stopping.is_set():
                self._abort()
                return
        delay = (fault.drip_ms or 0) / 1000 if fault is not None else 0.0
        for piece in stream_pieces(answer, fault):
            if delay and stopping.wait(delay):
                break
            self._chunk(piece)
        if stopping.is_set():
            self._abort()
        else:
            self._end_body(fault)

    def _send_message(self, answer: msg.Answer, fault: Fault | None, entry: Entry | None) -> None:
        stopping = self.server.state.stopping
        data = json.dumps(msg.message_json(answer), ensure_ascii=False).encode()
        cut = fault is not None and (fault.cut_after_events is not None or fault.cut_mid_text)
        if fault is not None and (fault.malformed or (cut and not fault.reset)):
            data = data[: len(data) // 2]  # a complete HTTP body holding broken JSON
        self.send_response(200)
        self._common_headers()
        self.send_header("Content-Type", "application/json")
        # With reset the length promises the whole message and the connection drops halfway.
        length = len(data) * 2 if cut and fault is not None and fault.reset else len(data)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.flush()
        if fault is not None and fault.stall_seconds is not None:
            stopping.wait(fault.stall_seconds)
            if not _answers_after_stall(entry, fault) or stopping.is_set():
                self._abort()
                return
        if fault is not None and fault.drip_ms:
            stopping.wait(fault.drip_ms / 1000)
        self.wfile.write(data)
        if cut and fault is not None and fault.reset:
            self._abort()

    # -- proxy mode -------------------------------------------------------

    def _proxy(self, full_path: str, body: bytes, fault: Fault | None) -> None:
        state = self.server.state
        assert state.upstream is not None
        try:
            conn, response = state.upstream.open(
                self.command, full_path, self.headers.items(), body
            )
        except UpstreamError as exc:
            self._log({"kind": "proxy", "status": 502, "upstream_error": str(exc)})
            self._send_json(
                502,
                msg.error_body(
                    502, f"cc-guard chaos: upstream unreachable ({exc})", self.request_id
                ),
            )
            return
        logged: dict[str, Any] = {
            "kind": "proxy",
            "status": response.status,
            "upstream": state.upstream.base_url,
        }
        if fault is not None:
            logged.update(kind="fault", fault=fault.describe(), fault_source="random")
        self._log(logged)
        try:
            self._relay(response, fault)
        except (OSError, UpstreamError):
            self._abort()
        finally:
            conn.close()

    def _relay(self, response: Any, fault: Fault | None) -> None:
        stopping = self.server.state.stopping
        is_sse = "text/event-stream" in (response.getheader("Content-Type") or "")
        self.send_response_only(response.status, response.reason)
        for name, value in response_headers(response):
            if name.lower() not in ("date", "server"):
                self.send_header(name, value)
        self._common_headers(request_id=False)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        cut = fault is not None and (fault.cut_after_events is not None or fault.cut_mid_text)
        delay = (fault.drip_ms or 0) / 1000 if fault is not None else 0.0
        if not is_sse:
            data = response.read()
            self._chunk(data[: len(data) // 2] if cut else data)
            self._end_body(fault)
            return
        buffer = b""
        sent = 0
        while True:
            chunk = response.read1(65536)
            if not chunk:
                break
            buffer += chunk.replace(b"\r\n", b"\n")
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                event += b"\n\n"
                if fault is not None and fault.cut_mid_text and b'"text_delta"' in event:
                    self._chunk(event[: _mid_text_offset(event)])
                    self._end_body(fault)
                    return
                if delay and stopping.wait(delay):
                    self._abort()
                    return
                self._chunk(event)
                sent += 1
                if (
                    fault is not None
                    and fault.cut_after_events is not None
                    and sent >= fault.cut_after_events
                ):
                    self._end_body(fault)
                    return
        if buffer:
            self._chunk(buffer)
        self._end_body(fault)

    # -- response writing -------------------------------------------------

    def _common_headers(self, request_id: bool = True) -> None:
        if request_id:
            self.send_header("request-id", self.request_id)
        self.send_header("x-cc-guard-chaos", self.request_id)

    def _send_json(
        self, status: int, body: dict[str, Any], headers: list[tuple[str, str]] | None = None
    ) -> None:
        self._send_raw(status, "application/json", json.dumps(body).encode(), headers)

    def _send_raw(
        self,
        status: int,
        content_type: str,
        data: bytes,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.send_response(status)
        self._common_headers()
        for name, value in headers or []:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _start_chunked(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        self._common_headers()
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def _end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _end_body(self, fault: Fault | None) -> None:
        """End a response body: cleanly, or by dropping the connection for a ``reset`` fault.

        A clean end after a cut is a complete HTTP response whose SSE stream stops
        short (Claude Code: StreamTruncated); a reset is a connection lost mid-body
        (Claude Code: ECONNRESET; HTTP clients: incomplete chunked read).
        """
        if fault is not None and fault.reset:
            self._abort()
        else:
            self._end_chunked()

    def _abort(self) -> None:
        """Close the connection mid-body: the client sees a truncated response."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def stream_pieces(answer: msg.Answer, fault: Fault | None) -> list[bytes]:
    """The SSE bytes to send for an answer under a fault."""
    events = msg.stream_events(answer)
    encoded = [msg.encode_event(e) for e in events]
    if fault is None:
        return encoded
    if fault.cut_after_events is not None:
        # Never as far as message_stop: a cut stream must look cut.
        return encoded[: min(fault.cut_after_events, len(encoded) - 1)]
    if fault.cut_mid_text:
        deltas = [i for i, (name, _) in enumerate(events) if name == "content_block_delta"]
        texts = [i for i in deltas if events[i][1]["delta"]["type"] == "text_delta"]
        at = (texts or deltas or [0])[0]
        piece = encoded[at]
        return [*encoded[:at], piece[: _mid_text_offset(piece)]]
    if fault.sse_error is not None:
        # How the API reports trouble after it has started answering: an error event.
        error = {
            "type": "error",
            "error": {"type": fault.sse_error, "message": fault.message or "Overloaded"},
        }
        return [*encoded[: min(3, len(encoded) - 1)], msg.encode_event(("error", error))]
    if fault.malformed:
        broken = b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {"ty\n\n'
        return [*encoded[:2], broken, b"data: this is not json\n\n"]
    return encoded


def _mid_text_offset(event: bytes) -> int:
    """An offset inside the event's text value (or its middle when it has none)."""
    for marker in (b'"text": "', b'"text":"', b'"partial_json": "', b'"partial_json":"'):
        start = event.find(marker)
        if start >= 0:
            start += len(marker)
            end = event.find(b'"', start)
            end = end if end > start else len(event)
            return start + max(1, (end - start) // 2)
    return max(1, len(event) // 2)


def _status_of(fault: Fault | None, stream: bool) -> int:
    """The HTTP status a request gets under a fault."""
    if fault is None:
        return 200
    if fault.status is not None:
        return fault.status
    if fault.sse_error is not None and not stream:
        return next(code for code, kind in ERROR_TYPES.items() if kind == fault.sse_error)
    return 200


def _answers_after_stall(entry: Entry | None, fault: Fault) -> bool:
    """A scripted stall with text is a slow first byte; a random stall never answers."""
    return (
        entry is not None
        and entry.fault is fault
        and bool(entry.text is not None or entry.tool_use)
    )


def _needs_content(fault: Fault) -> bool:
    """Whether the fault shapes a real answer (cut, drip) rather than replacing it."""
    return fault.cut_after_events is not None or fault.cut_mid_text or fault.drip_ms is not None


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _logged_body(body_text: str, size: int, limit: int) -> dict[str, Any]:
    """The log record's ``body`` (JSON when it parses, else text), redacted before it is
    cut to ``limit`` characters; a cut body also gets ``body_truncated`` and ``body_bytes``."""
    if not body_text:
        return {"body": None}
    redacted = redact_text(body_text)
    if len(redacted) > limit:
        return {"body": redacted[:limit], "body_truncated": True, "body_bytes": size}
    try:
        return {"body": json.loads(redacted)}
    except (json.JSONDecodeError, RecursionError):
        return {"body": redacted}


def build_state(
    script: Script | list[dict[str, Any]] | Path | None = None,
    log_path: Path | None = None,
    *,
    faults: str | None = None,
    seed: int | None = None,
    upstream: str | None = None,
    stall_seconds: float = 30.0,
    default_text: str = msg.DEFAULT_TEXT,
    verbose: bool = False,
    max_body_bytes: int = MAX_BODY_BYTES,
    log_body_bytes: int = LOG_BODY_BYTES,
    idle_timeout: float = IDLE_TIMEOUT,
) -> ChaosState:
    if isinstance(script, Path):
        script = load_script(script)
    elif isinstance(script, list):
        script = parse_script(script)
    dice = FaultDice(parse_fault_spec(faults), seed, stall_seconds) if faults else None
    return ChaosState(
        script=script,
        dice=dice,
        upstream=Upstream(upstream) if upstream else None,
        log=RequestLog(log_path),
        default_text=default_text,
        verbose=verbose,
        max_body_bytes=max_body_bytes,
        log_body_bytes=log_body_bytes,
        idle_timeout=idle_timeout,
    )


def serve_in_thread(
    script: Script | list[dict[str, Any]] | Path | None = None,
    log_path: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    **options: Any,
) -> tuple[str, Callable[[], None]]:
    """Start a chaos server on a background thread; returns its URL and a stop function."""
    server = ChaosHTTPServer((host, port), build_state(script, log_path, **options))
    thread = threading.Thread(target=server.serve_forever, name="cc-guard-chaos", daemon=True)
    thread.start()

    def stop() -> None:
        server.stop()
        thread.join(timeout=5)

    return server.url, stop
