"""Failure kinds: what went wrong between Claude Code (or cc-guard) and the API.

The one mapping from what a failure looks like (an HTTP status, an API error
``type``, Claude Code's own error names, a connection code, the words of a
message) to an :class:`IncidentKind`. The transcript engine, the handoff, the
fake upstream (``cc-guard chaos``), the statusline and the API client all use it,
so a 529 is ``overloaded`` everywhere.

Standard library only; the hook path and the statusline may import it.
"""

from __future__ import annotations

from enum import StrEnum


class IncidentKind(StrEnum):
    OVERLOADED = "overloaded"  # 529 / overloaded_error
    SERVER_ERROR = "server_error"  # other 5xx
    RATE_LIMIT = "rate_limit"  # 429
    INVALID_REQUEST = "invalid_request"  # 400 / 413 (prompt too long, bad request)
    AUTH = "auth"  # 401 / 403, billing
    NOT_FOUND = "not_found"  # 404 (a model id the endpoint does not serve)
    STREAM_TRUNCATED = "stream_truncated"  # the response stream ended early
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    MAX_OUTPUT_TOKENS = "max_output_tokens"  # the answer hit max_tokens
    REFUSAL = "refusal"  # the model declined to answer (stop_reason refusal)
    UNKNOWN = "unknown"


#: Kinds a later retry of the same request can fix on its own: the upstream or the
#: network failed, not the request, the account or the credentials.
TRANSIENT_KINDS = frozenset(
    {
        IncidentKind.OVERLOADED,
        IncidentKind.SERVER_ERROR,
        IncidentKind.STREAM_TRUNCATED,
        IncidentKind.TIMEOUT,
        IncidentKind.CONNECTION,
    }
)

#: HTTP status -> the Anthropic API's error ``type`` for it (what the real API sends).
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    529: "overloaded_error",
}

# Claude Code's own error names (``error`` on its synthetic messages and in the
# StopFailure hook) and the API's error ``type`` values.
_NAMED_KINDS: dict[str, IncidentKind] = {
    "overloaded": IncidentKind.OVERLOADED,
    "overloaded_error": IncidentKind.OVERLOADED,
    "rate_limit": IncidentKind.RATE_LIMIT,
    "rate_limit_error": IncidentKind.RATE_LIMIT,
    "authentication_failed": IncidentKind.AUTH,
    "authentication_error": IncidentKind.AUTH,
    "permission_error": IncidentKind.AUTH,
    "billing_error": IncidentKind.AUTH,
    "invalid_request": IncidentKind.INVALID_REQUEST,
    "invalid_request_error": IncidentKind.INVALID_REQUEST,
    "request_too_large": IncidentKind.INVALID_REQUEST,
    "not_found_error": IncidentKind.NOT_FOUND,
    "max_output_tokens": IncidentKind.MAX_OUTPUT_TOKENS,
    "api_error": IncidentKind.SERVER_ERROR,
    "server_error": IncidentKind.SERVER_ERROR,
    "timeout": IncidentKind.TIMEOUT,
    "stream_truncated": IncidentKind.STREAM_TRUNCATED,
}
# Names too generic to decide a kind while a more specific signal may follow:
# Claude Code calls a 529 and a 500 alike "server_error".
_GENERIC_NAMES = frozenset({"api_error", "server_error"})

_CONNECTION_CODES = frozenset(
    {
        "ECONNREFUSED",
        "ECONNRESET",
        "ENOTFOUND",
        "EAI_AGAIN",
        "EPIPE",
        "EHOSTUNREACH",
        "ENETUNREACH",
        "ECONNABORTED",
        "UND_ERR_SOCKET",
        "UND_ERR_CLOSED",
        "CERT_HAS_EXPIRED",
    }
)
_TIMEOUT_CODES = frozenset(
    {
        "ETIMEDOUT",
        "ESOCKETTIMEDOUT",
        "UND_ERR_CONNECT_TIMEOUT",
        "UND_ERR_HEADERS_TIMEOUT",
        "UND_ERR_BODY_TIMEOUT",
    }
)


# How Claude Code words a response body that broke off: its last, non-streaming retry
# of a cut stream gets half a JSON document (2.1.328: "JSON Parse error: Unterminated
# string"; 2.1.332: "API returned an empty or malformed response (HTTP 200)").
_BROKEN_BODY = ("json parse error", "malformed response", "unterminated string")


def kind_for_status(status: int) -> IncidentKind | None:
    """The kind an HTTP status alone decides, or None (a 2xx, an unusual 4xx)."""
    if status == 529:
        return IncidentKind.OVERLOADED
    if status == 429:
        return IncidentKind.RATE_LIMIT
    if status in (401, 403):
        return IncidentKind.AUTH
    if status in (400, 413):
        return IncidentKind.INVALID_REQUEST
    if status == 404:
        return IncidentKind.NOT_FOUND
    if status in (408, 504):
        return IncidentKind.TIMEOUT
    if 500 <= status <= 599:
        return IncidentKind.SERVER_ERROR
    return None


def kind_for_name(name: str | None) -> IncidentKind | None:
    """The kind an error name means (an API error ``type``, a StopFailure ``error``)."""
    return _NAMED_KINDS.get(name) if name else None


def classify_failure(
    status: int | None,
    code: str | None = None,
    text: str = "",
    names: tuple[str | None, ...] = (),
) -> IncidentKind:
    """Classify one API failure from its HTTP status, connection code, message and names.

    The status decides when there is one (it is the most precise signal); then the
    connection code; then specific error names; then words in the message; then
    generic names. ``names`` are checked in order, so pass the most specific first.
    """
    if status is not None:
        by_status = kind_for_status(status)
        if by_status is not None:
            return by_status
    lowered = text.lower()
    if (
        code == "StreamTruncated"
        or "streamtruncated" in lowered
        or "stream_truncated" in lowered
        or any(words in lowered for words in _BROKEN_BODY)
    ):
        return IncidentKind.STREAM_TRUNCATED
    if code in _TIMEOUT_CODES:
        return IncidentKind.TIMEOUT
    if code in _CONNECTION_CODES:
        return IncidentKind.CONNECTION
    for name in names:
        if name and name in _NAMED_KINDS and name not in _GENERIC_NAMES:
            return _NAMED_KINDS[name]
    if "timed out" in lowered or "timeout" in lowered:
        return IncidentKind.TIMEOUT
    if "overloaded" in lowered:
        return IncidentKind.OVERLOADED
    if "connection" in lowered or "network" in lowered or "socket" in lowered:
        return IncidentKind.CONNECTION
    if "max_tokens" in lowered or "output token maximum" in lowered:
        return IncidentKind.MAX_OUTPUT_TOKENS
    for name in names:
        if name and name in _NAMED_KINDS:
            return _NAMED_KINDS[name]
    return IncidentKind.UNKNOWN


#: ``stop_reason`` values of an answer that is complete (for a request without tools).
COMPLETE_STOP_REASONS = frozenset({"end_turn", "stop_sequence"})


def kind_for_stop_reason(stop_reason: str | None) -> IncidentKind | None:
    """What an answer's ``stop_reason`` says went wrong, or None for a complete answer.

    ``None`` (no ``message_delta`` ever said how it ended) is a truncated stream;
    ``pause_turn``, ``tool_use``, ``model_context_window_exceeded`` and reasons newer
    than this module are ``unknown``: the text is not a complete answer either way.
    """
    if stop_reason in COMPLETE_STOP_REASONS:
        return None
    if stop_reason is None:
        return IncidentKind.STREAM_TRUNCATED
    if stop_reason == "max_tokens":
        return IncidentKind.MAX_OUTPUT_TOKENS
    if stop_reason == "refusal":
        return IncidentKind.REFUSAL
    return IncidentKind.UNKNOWN
