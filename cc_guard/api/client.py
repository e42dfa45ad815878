"""One streamed call against one model, with strict completeness checks.

The anthropic SDK does the HTTP, with its own retries off (``max_retries=0``): every
retry is :mod:`cc_guard.api.policy`'s decision. Every call streams
(``messages.stream``). Timeouts:

- connect: opening the TCP (and TLS) connection;
- first byte: from the request being sent to the response's status line;
- idle gap: between two reads of the response body, so between stream events
  (the response hook below switches the read timeout once the headers are in);
- attempt: the whole attempt, checked at every event (a stream that keeps dripping).

An answer counts only when the stream reached ``message_stop``, its ``stop_reason``
is ``end_turn`` or ``stop_sequence``, its text is not empty and it used no more
output tokens than asked. Anything else raises :class:`AttemptError` with a
classified :class:`~cc_guard.api.policy.Failure`; the partial text of a cut answer
is only ever kept for a ``max_tokens`` continuation, never returned as an answer.
Failures are classified by :func:`cc_guard.incidents.classify_failure`, the one
mapping from statuses, error types and connection codes to failure kinds.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cc_guard.api.chain import BEDROCK, VERTEX, ModelRef
from cc_guard.api.credentials import Credentials
from cc_guard.api.policy import Failure
from cc_guard.incidents import IncidentKind, classify_failure, kind_for_stop_reason

if TYPE_CHECKING:
    import anthropic
    import httpx2

# The SDK (and its HTTP library) are imported where a request is about to be made:
# importing them takes longer than everything else a summary does locally, and a
# process whose models are all behind open circuits never needs them.

# What a provider's own credential lookup raises before anything is sent (no
# import of boto3 or google-auth just to name them).
_CREDENTIAL_ERRORS = (
    "DefaultCredentialsError",
    "RefreshError",
    "NoCredentialsError",
    "NoRegionError",
)
_CREDENTIAL_WORDS = ("credential", "project_id", "region", "api token", "access token")


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    first_byte: float = 15.0
    idle: float = 30.0
    attempt: float = 180.0


@dataclass(frozen=True)
class Request:
    """What to ask. ``messages`` are ``{"role": ..., "content": str}`` dicts."""

    system: str
    messages: tuple[Mapping[str, Any], ...]
    max_tokens: int
    #: Why (for the attempts log): "summary", "chunk", "probe", ...
    purpose: str = ""
    #: tiktoken's count of the input text (logged; calibrates token budgets).
    cl100k_tokens: int | None = None


@dataclass(frozen=True)
class Reply:
    """A complete answer."""

    text: str
    model: ModelRef
    stop_reason: str
    request_id: str | None
    input_tokens: int | None
    output_tokens: int | None
    latency: float


@dataclass
class AttemptError(Exception):
    """One attempt failed; ``failure`` says how (no content in it)."""

    failure: Failure
    #: Text of an answer cut by max_tokens (for the continuation only).
    partial_text: str = field(default="", repr=False)
    latency: float = 0.0
    input_tokens: int | None = None

    def __str__(self) -> str:
        return self.failure.detail or str(self.failure.kind)


class Connection:
    """The HTTP client the SDK clients of one caller share (one TLS set-up, one pool).

    Its response hook switches a request's read timeout from first byte to idle gap
    once the headers are in, and notes that a response came (so a failure before it
    is told apart from one after). The switch works because the HTTP core reads the
    request's timeout table when it starts reading the body, after this hook ran;
    tests/test_api_client.py ("the timeouts") pins that. One caller thread at a time.
    """

    def __init__(self, timeouts: Timeouts) -> None:
        import httpx2

        self.timeouts = timeouts
        self.responded = False
        self.http = httpx2.Client(event_hooks={"response": [self._on_response]})

    def _on_response(self, response: httpx2.Response) -> None:
        self.responded = True
        timeout = response.request.extensions.get("timeout")
        if isinstance(timeout, dict):
            timeout["read"] = self.timeouts.idle

    def close(self) -> None:
        self.http.close()


class ModelClient:
    """An SDK client for one model of the chain (Anthropic API, Bedrock or Vertex)."""

    def __init__(
        self,
        model: ModelRef,
        credentials: Credentials,
        connection: Connection,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import anthropic
        import httpx2

        self.model = model
        self.connection = connection
        self.timeouts = timeouts = connection.timeouts
        self.clock = clock
        timeout = httpx2.Timeout(
            connect=timeouts.connect,
            read=timeouts.first_byte,
            write=timeouts.first_byte,
            pool=timeouts.connect,
        )
        common: dict[str, Any] = {
            "max_retries": 0,
            "timeout": timeout,
            "http_client": connection.http,
        }
        try:
            if model.provider == BEDROCK:
                self.sdk: Any = anthropic.AnthropicBedrock(aws_region=model.region, **common)
            elif model.provider == VERTEX:
                if model.region:
                    common["region"] = model.region
                if model.project_id:
                    common["project_id"] = model.project_id
                self.sdk = anthropic.AnthropicVertex(**common)
            else:
                both = credentials.api_key is not None and credentials.auth_token is not None
                self.sdk = anthropic.Anthropic(
                    api_key=credentials.api_key,
                    # The SDK takes one of the two; the token then travels in the headers.
                    auth_token=None if both else credentials.auth_token,
                    base_url=credentials.base_url,
                    default_headers=claude_code_auth_headers(credentials),
                    **common,
                )
        except Exception as exc:  # no region, no project: this provider is not set up
            raise AttemptError(_credential_failure(exc)) from None

    @property
    def responded(self) -> bool:
        return self.connection.responded

    def stream(self, request: Request, on_first_event: Callable[[], None] = lambda: None) -> Reply:
        """Send ``request`` to this model and return its complete answer, or raise AttemptError."""
        self.connection.responded = False
        started = self.clock()
        seen_stop = False
        first = True
        snapshot: Any = None
        request_id: str | None = None
        try:
            with self.sdk.messages.stream(
                model=self.model.model,
                max_tokens=request.max_tokens,
                system=request.system,
                messages=[dict(m) for m in request.messages],
            ) as stream:
                request_id = stream.request_id
                for event in stream:
                    if first:
                        first = False
                        on_first_event()
                    if event.type == "message_stop":
                        seen_stop = True
                    if self.clock() - started > self.timeouts.attempt:
                        raise AttemptError(
                            Failure(
                                IncidentKind.TIMEOUT,
                                detail=f"the attempt took longer than {self.timeouts.attempt:g} s",
                                request_id=request_id,
                            ),
                            latency=self.clock() - started,
                        )
                    if event.type == "message_start":
                        snapshot = stream.current_message_snapshot
        except AttemptError:
            raise
        except Exception as exc:
            latency = self.clock() - started
            failure = self._classify(exc, request_id)
            partial_in = snapshot.usage.input_tokens if snapshot is not None else None
            raise AttemptError(failure, latency=latency, input_tokens=partial_in) from None
        return self._judge(snapshot, seen_stop, request, request_id, self.clock() - started)

    def _judge(
        self,
        snapshot: Any,
        seen_stop: bool,
        request: Request,
        request_id: str | None,
        latency: float,
    ) -> Reply:
        """The answer, if it is complete; AttemptError otherwise."""
        if snapshot is None:
            failure = Failure(
                IncidentKind.STREAM_TRUNCATED,
                status=200,
                detail="empty answer: no message_start",
                request_id=request_id,
            )
            raise AttemptError(failure, latency=latency)
        usage = snapshot.usage
        input_tokens = getattr(usage, "input_tokens", None)
        output_tokens = getattr(usage, "output_tokens", None)
        text = "".join(block.text for block in snapshot.content if block.type == "text")

        def fail(kind: IncidentKind, detail: str, stop_reason: str | None = None) -> AttemptError:
            failure = Failure(
                kind,
                status=200,
                stop_reason=stop_reason,
                output_tokens=output_tokens or 0,
                detail=detail,
                request_id=request_id,
            )
            keep = text if kind == IncidentKind.MAX_OUTPUT_TOKENS else ""
            return AttemptError(
                failure, partial_text=keep, latency=latency, input_tokens=input_tokens
            )

        if not seen_stop:
            raise fail(IncidentKind.STREAM_TRUNCATED, "stream ended without message_stop")
        stop_reason = snapshot.stop_reason
        kind = kind_for_stop_reason(stop_reason)
        if kind is not None:
            raise fail(kind, f"stop_reason {stop_reason}", stop_reason)
        if isinstance(output_tokens, int) and output_tokens > request.max_tokens:
            raise fail(
                IncidentKind.UNKNOWN,
                f"answer used {output_tokens} output tokens, more than the {request.max_tokens} asked",
                stop_reason,
            )
        if not text.strip():
            raise fail(IncidentKind.UNKNOWN, "complete answer without text", stop_reason)
        return Reply(
            text=text,
            model=self.model,
            stop_reason=str(stop_reason),
            request_id=request_id,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            latency=latency,
        )

    def _classify(self, exc: Exception, request_id: str | None) -> Failure:
        import anthropic
        import httpx2

        if isinstance(exc, anthropic.APIStatusError):
            return _status_failure(exc, request_id)
        cause = _transport_cause(exc)
        if isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException):
            connect = isinstance(cause, httpx2.ConnectTimeout)
            if connect:
                where = "connecting"
            elif not self.responded:
                where = "waiting for the first byte"
            else:
                where = "between stream events"
            return Failure(
                classify_failure(None, code="ETIMEDOUT"),
                connect_failed=connect,
                detail=f"timed out {where}",
                request_id=request_id,
            )
        if isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
            text = _one_line(str(cause) or str(exc))
            if isinstance(cause, httpx2.ConnectError):
                lowered = text.lower()
                unresolved = any(w in lowered for w in ("not known", "resolution", "nodename"))
                return Failure(
                    classify_failure(None, code="ENOTFOUND" if unresolved else "ECONNREFUSED"),
                    connect_failed=True,
                    detail=f"cannot connect: {text}",
                    request_id=request_id,
                )
            where = "mid-answer" if self.responded else "before the answer"
            return Failure(
                classify_failure(None, code="ECONNRESET"),
                detail=f"connection lost {where}: {text}",
                request_id=request_id,
            )
        if isinstance(exc, ValueError) and self.responded:  # an event whose JSON does not parse
            return Failure(
                classify_failure(None, code="StreamTruncated"),
                status=200,
                detail="malformed event stream",
                request_id=request_id,
            )
        if not self.responded and _looks_like_credentials(exc):
            return _credential_failure(exc)
        return Failure(
            classify_failure(None, text=str(exc)),
            detail=f"{type(exc).__name__}: {_one_line(str(exc))}",
            request_id=request_id,
        )


def _transport_cause(exc: BaseException) -> BaseException:
    """The HTTP library's exception behind an SDK connection error (or ``exc`` itself)."""
    import httpx2

    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            break
        if isinstance(seen, httpx2.TransportError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return exc


def claude_code_auth_headers(credentials: Credentials) -> dict[str, Any]:
    """Headers that send the credentials the way Claude Code does.

    ``ANTHROPIC_API_KEY`` goes as ``x-api-key`` and ``ANTHROPIC_AUTH_TOKEN`` as
    ``Authorization: Bearer`` (gateways in front of the API tell them apart); the SDK
    alone would send the key as a bearer token, overwriting a token given with it.
    """
    import anthropic

    if credentials.api_key is None:
        return {}
    bearer: Any = (
        f"Bearer {credentials.auth_token}" if credentials.auth_token is not None else anthropic.omit
    )
    return {"X-Api-Key": credentials.api_key, "Authorization": bearer}


def _status_failure(exc: anthropic.APIStatusError, request_id: str | None) -> Failure:
    status = exc.status_code
    error_type = exc.type if isinstance(exc.type, str) else None
    message = exc.api_message if isinstance(exc.api_message, str) else str(exc)
    # A 200 with an ``error`` event: the API failed after it started answering.
    http_status = None if status == 200 else status
    kind = classify_failure(http_status, text=message, names=(error_type,))
    lowered = message.lower()
    too_long = status == 413 or "prompt is too long" in lowered or "too many tokens" in lowered
    headers = exc.response.headers if exc.response is not None else {}
    where = "mid-stream " if status == 200 else ""
    return Failure(
        kind,
        status=status,
        retry_after=retry_after_seconds(headers),
        prompt_too_long=too_long,
        detail=f"{where}{error_type or 'error'}: {_one_line(message, 160)}",
        request_id=exc.request_id or request_id,
    )


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds a ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date) header asks for."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _looks_like_credentials(exc: Exception) -> bool:
    if type(exc).__name__ in _CREDENTIAL_ERRORS:
        return True
    lowered = str(exc).lower()
    return isinstance(exc, RuntimeError | ValueError) and any(
        w in lowered for w in _CREDENTIAL_WORDS
    )


def _credential_failure(exc: Exception) -> Failure:
    # classify_failure by Claude Code's name for it: one mapping for every failure.
    return Failure(
        classify_failure(None, names=("authentication_failed",)),
        detail=f"provider not set up: {_one_line(str(exc) or type(exc).__name__)}",
    )


def _one_line(text: str, limit: int = 200) -> str:
    from cc_guard.base.redact import redact

    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
