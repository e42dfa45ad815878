"""What to do after a failed attempt: pure decisions, one per kind of failure.

No I/O, no clock, no randomness of its own (the caller passes ``rand``), so every
rule can be tested exhaustively. The rules (docs/api.md has the reasons):

- 529 / ``overloaded_error`` (also mid-stream): never again on the same model; the
  next model at once, and the model's circuit opens.
- 500/502/503: up to ``server_error_retries`` retries with full-jitter exponential
  backoff (``backoff_base`` doubling, capped at ``backoff_cap``), then the next model.
- 429: wait ``retry-after`` and retry once when it is at most ``max_retry_after``;
  otherwise (longer, missing, or a second 429) the next model.
- 400/413: never retried. "prompt is too long" (or 413) asks the caller to shrink
  its input once; any other 400 stops the chain (every model would get the same
  request).
- 401/403: the next provider (Bedrock and Vertex have their own credentials).
- 404: the next model.
- An incomplete answer (timeout, reset, a stream without ``message_stop``, an empty
  200, malformed SSE): one retry on the same model, then the next model; when the
  connection could not even be opened, the next provider (every model behind the
  same endpoint would fail the same way).
- ``max_tokens``: one continuation request; any other ``stop_reason`` that is not
  ``end_turn``/``stop_sequence`` (``refusal``, ``pause_turn``, ...): the next model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from cc_guard.incidents import IncidentKind

#: Failures that leave an answer incomplete; retried once on the same model.
INCOMPLETE_KINDS = frozenset(
    {IncidentKind.TIMEOUT, IncidentKind.CONNECTION, IncidentKind.STREAM_TRUNCATED}
)


class Action(StrEnum):
    RETRY = "retry"  # the same request, same model, after ``delay``
    CONTINUE = "continue"  # ask the same model to go on from its cut-off text
    NEXT_MODEL = "next_model"
    NEXT_PROVIDER = "next_provider"  # skip the rest of this endpoint's models
    SHRINK = "shrink"  # the caller makes its input smaller and starts over
    STOP = "stop"  # no model will take this request


@dataclass(frozen=True)
class Failure:
    """One failed attempt, as the client classified it (no content, no keys)."""

    kind: IncidentKind
    status: int | None = None
    #: Seconds from a ``retry-after`` header, when there was one.
    retry_after: float | None = None
    #: The request was rejected for its size ("prompt is too long", 413).
    prompt_too_long: bool = False
    #: No connection could be opened (DNS, refused, connect timeout): nothing was sent.
    connect_failed: bool = False
    #: The answer's stop_reason when the stream completed but the answer is not usable.
    stop_reason: str | None = None
    #: Output tokens the cut-off answer used (a continuation gets what is left of the cap).
    output_tokens: int = 0
    #: One line for the log and messages, e.g. "stream ended without message_stop".
    detail: str = ""
    request_id: str | None = None


@dataclass(frozen=True)
class Tries:
    """What was already tried on the current model."""

    server_errors: int = 0
    rate_limits: int = 0
    incompletes: int = 0
    continuations: int = 0

    def after(self, failure: Failure) -> Tries:
        """The counts once ``failure`` is retried or continued."""
        kind = failure.kind
        if kind == IncidentKind.SERVER_ERROR:
            return Tries(
                self.server_errors + 1, self.rate_limits, self.incompletes, self.continuations
            )
        if kind == IncidentKind.RATE_LIMIT:
            return Tries(
                self.server_errors, self.rate_limits + 1, self.incompletes, self.continuations
            )
        if kind == IncidentKind.MAX_OUTPUT_TOKENS:
            return Tries(
                self.server_errors, self.rate_limits, self.incompletes, self.continuations + 1
            )
        if kind in INCOMPLETE_KINDS:
            return Tries(
                self.server_errors, self.rate_limits, self.incompletes + 1, self.continuations
            )
        return self


@dataclass(frozen=True)
class Knobs:
    server_error_retries: int = 2
    backoff_base: float = 1.0
    backoff_cap: float = 8.0
    max_retry_after: float = 20.0
    rate_limit_retries: int = 1
    incomplete_retries: int = 1
    continuations: int = 1


@dataclass(frozen=True)
class Decision:
    action: Action
    delay: float = 0.0
    #: The model answered 529: its circuit opens.
    open_circuit: bool = False
    reason: str = ""


def full_jitter(retry: int, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Seconds before retry number ``retry`` (0-based): uniform in [0, min(cap, base * 2**retry)]."""
    return float(rand()) * min(cap, base * float(2**retry))


def decide(
    failure: Failure,
    tries: Tries,
    knobs: Knobs,
    rand: Callable[[], float],
    can_continue: bool = True,
) -> Decision:
    """The next step after ``failure``, given what was ``tries``-ed on this model already.

    ``can_continue``: a continuation would still fit under the caller's output cap.
    """
    kind = failure.kind
    if kind == IncidentKind.OVERLOADED:
        return Decision(Action.NEXT_MODEL, open_circuit=True, reason="overloaded")
    if kind == IncidentKind.SERVER_ERROR:
        if tries.server_errors < knobs.server_error_retries:
            delay = full_jitter(tries.server_errors, knobs.backoff_base, knobs.backoff_cap, rand)
            return Decision(Action.RETRY, delay=delay, reason="server error, backing off")
        return Decision(Action.NEXT_MODEL, reason="server errors persisted")
    if kind == IncidentKind.RATE_LIMIT:
        wait = failure.retry_after
        if wait is None:
            return Decision(Action.NEXT_MODEL, reason="rate limited without retry-after")
        if wait > knobs.max_retry_after:
            return Decision(Action.NEXT_MODEL, reason=f"rate limited for {wait:g} s")
        if tries.rate_limits >= knobs.rate_limit_retries:
            return Decision(Action.NEXT_MODEL, reason="still rate limited")
        return Decision(
            Action.RETRY, delay=max(0.0, wait), reason="rate limited, honouring retry-after"
        )
    if kind == IncidentKind.INVALID_REQUEST:
        if failure.prompt_too_long:
            return Decision(Action.SHRINK, reason="prompt too long")
        return Decision(Action.STOP, reason="request rejected as invalid")
    if kind == IncidentKind.AUTH:
        return Decision(Action.NEXT_PROVIDER, reason="credentials refused")
    if kind == IncidentKind.NOT_FOUND:
        return Decision(Action.NEXT_MODEL, reason="model not found")
    if kind == IncidentKind.MAX_OUTPUT_TOKENS:
        if can_continue and tries.continuations < knobs.continuations:
            return Decision(Action.CONTINUE, reason="hit max_tokens, continuing")
        return Decision(Action.NEXT_MODEL, reason="hit max_tokens")
    if kind in INCOMPLETE_KINDS:
        if tries.incompletes < knobs.incomplete_retries:
            return Decision(Action.RETRY, reason="incomplete answer, retrying once")
        if failure.connect_failed:
            return Decision(Action.NEXT_PROVIDER, reason="endpoint unreachable")
        return Decision(Action.NEXT_MODEL, reason="incomplete answers persisted")
    # refusal, unknown stop reasons, anything unforeseen: this model will not do.
    return Decision(Action.NEXT_MODEL, reason=failure.detail or str(kind))
