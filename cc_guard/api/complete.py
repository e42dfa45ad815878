"""Run one request down the model chain: circuit, attempt, policy, log, next.

``ApiClient(config).complete(request)`` returns an :class:`Outcome`: the complete
answer of the first model that gave one, or none (every model failed or was
skipped), plus every attempt made. It raises only :class:`ApiUnavailable`, when no
model of the chain can be asked at all (no credentials, no usable provider); the
caller then takes the offline path. Network trouble never raises.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from cc_guard.api.attempts import Attempt, record
from cc_guard.api.chain import ANTHROPIC, ModelRef, build_chain
from cc_guard.api.circuit import Circuit, Gate, Permit
from cc_guard.api.client import AttemptError, Connection, ModelClient, Reply, Request, Timeouts
from cc_guard.api.credentials import ApiUnavailable, Credentials, find_credentials
from cc_guard.api.policy import Action, Decision, Failure, Knobs, Tries, decide
from cc_guard.config.sections import ApiConfig
from cc_guard.incidents import IncidentKind

#: How often a process waiting for another's probe asks the circuit again.
WAIT_STEP = 0.1
#: Allowance for a prober to load the SDK and set up its client before it sends.
PREPARE_SECONDS = 30.0
#: Said to a model whose answer stopped at max_tokens, after its own text.
CONTINUE_PROMPT = (
    "Your answer was cut off by the output limit. Continue exactly where it stopped, "
    "without repeating anything and without any preamble."
)


@dataclass
class Outcome:
    """What one ``complete`` call came to."""

    reply: Reply | None = None
    attempts: list[Attempt] = field(default_factory=list)
    #: The request was too big for the model: the caller should shrink it and ask again.
    shrink: bool = False
    #: Why the chain stopped before trying every model (an invalid request), if it did.
    stopped: str | None = None
    #: Each model's last failure, in chain order.
    failures: list[tuple[ModelRef, Failure]] = field(default_factory=list)

    @property
    def auth_failed(self) -> bool:
        return any(f.kind == IncidentKind.AUTH for _, f in self.failures)

    def summary(self) -> str:
        """One line: who answered, or why nobody did."""
        failed = "; ".join(f"{ref.label()}: {_failure_words(f)}" for ref, f in self.failures)
        skipped = [a for a in self.attempts if a.outcome == "skipped"]
        skipped_text = "; ".join(f"{a.model}: {a.detail}" for a in skipped)
        if self.reply is not None:
            before = f" after {failed}" if failed else ""
            before += f" ({skipped_text})" if skipped_text else ""
            return f"answered by {self.reply.model.label()}{before}"
        if self.stopped:
            return f"the request was refused: {self.stopped}"
        if self.shrink:
            return f"the input was too long for {failed or 'the model'}"
        parts = [p for p in (failed, skipped_text) if p]
        return "no model answered: " + ("; ".join(parts) or "the chain is empty")


def _failure_words(failure: Failure) -> str:
    status = f" {failure.status}" if failure.status not in (None, 200) else ""
    return f"{failure.kind}{status}" + (f" ({failure.detail})" if failure.detail else "")


class ApiClient:
    """The resilient client: ``[api]`` config, credentials, the shared circuit, the log."""

    def __init__(
        self,
        config: ApiConfig | None = None,
        credentials: Credentials | None = None,
        state_dir: Path | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from cc_guard.base.paths import state_dir as default_state_dir

        self.config = config or ApiConfig()
        self.state_dir = state_dir or default_state_dir()
        self.credentials = credentials or find_credentials(self.config.base_url)
        self.chain = build_chain(self.config.models)
        self.timeouts = Timeouts(
            connect=self.config.connect_timeout_seconds,
            first_byte=self.config.first_byte_timeout_seconds,
            idle=self.config.idle_timeout_seconds,
            attempt=self.config.attempt_timeout_seconds,
        )
        self.knobs = Knobs(
            server_error_retries=self.config.server_error_retries,
            backoff_base=self.config.backoff_base_seconds,
            backoff_cap=self.config.backoff_cap_seconds,
            max_retry_after=self.config.max_retry_after_seconds,
        )
        # A probe resolves at its first stream event or its error: within the time to
        # load the SDK and connect + first byte. Past that its owner is presumed hung
        # (a dead owner is noticed at once by its pid).
        self.circuit = Circuit(
            self.state_dir,
            cooldown=self.config.circuit_cooldown_seconds,
            max_cooldown=self.config.circuit_max_cooldown_seconds,
            probe_lease=PREPARE_SECONDS + self.timeouts.connect + self.timeouts.first_byte,
        )
        self.sleep = sleep
        self.rand = rand
        self.clock = clock
        self._connection: Connection | None = None

    def close(self) -> None:
        """Close the HTTP connections (the client can still be used: they reopen)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what can be asked -------------------------------------------------

    def usable_models(self) -> list[ModelRef]:
        """The chain without Anthropic-API models when there is no key or token."""
        return [m for m in self.chain if m.provider != ANTHROPIC or self.credentials.usable]

    def unavailable_reason(self) -> str | None:
        """Why no model can be asked at all, or None."""
        if self.usable_models():
            return None
        if not self.chain:
            return "[api] models is empty"
        return self.credentials.problem or "no usable provider"

    def open_circuits(self) -> dict[str, float]:
        """Model key -> seconds its circuit stays open, for models that are open now."""
        states = self.circuit.states()
        now = self.circuit.clock()
        return {
            m.key: states[m.key].open_until - now
            for m in self.chain
            if m.key in states and states[m.key].open_until > now
        }

    # -- asking ------------------------------------------------------------

    def complete(self, request: Request, skip: set[str] | frozenset[str] = frozenset()) -> Outcome:
        """Ask each model of the chain in turn until one gives a complete answer.

        ``skip``: keys of models not to ask this time (their answer was already
        found wanting by the caller).
        """
        reason = self.unavailable_reason()
        if reason is not None:
            raise ApiUnavailable(reason)
        outcome = Outcome()
        skip_endpoints: dict[str, str] = {}
        for model in self.chain:
            if model.key in skip:
                continue
            if model.provider == ANTHROPIC and not self.credentials.usable:
                self._log(outcome, model, request, "skipped", detail="no API key or token")
                continue
            if model.endpoint in skip_endpoints:
                self._log(outcome, model, request, "skipped", detail=skip_endpoints[model.endpoint])
                continue
            permit = self._admit(model)
            if permit.gate in (Gate.OPEN, Gate.WAIT):
                detail = (
                    f"circuit open for {permit.retry_in:.0f} more s"
                    if permit.gate == Gate.OPEN
                    else "another process's probe did not finish in time"
                )
                self._log(outcome, model, request, "skipped", detail=detail)
                continue
            verdict = self._ask(model, request, permit, outcome)
            if verdict is None:
                return outcome  # answered, or the caller must shrink, or the request is refused
            if verdict.action == Action.NEXT_PROVIDER:
                skip_endpoints[model.endpoint] = f"{model.provider} failed: {verdict.reason}"
        return outcome

    def _admit(self, model: ModelRef) -> Permit:
        """The circuit's permit, waiting (a bounded time) while another process probes."""
        deadline = self.clock() + self.circuit.probe_lease
        while True:
            permit = self.circuit.acquire(model.key)
            if permit.gate != Gate.WAIT or self.clock() >= deadline:
                return permit
            self.sleep(min(WAIT_STEP, max(0.0, deadline - self.clock())))

    def _ask(
        self, model: ModelRef, request: Request, permit: Permit, outcome: Outcome
    ) -> Decision | None:
        """Every attempt on one model. None when the call is over (see ``complete``)."""
        token = permit.token
        if self._connection is None:
            self._connection = Connection(self.timeouts)
        try:
            client = ModelClient(model, self.credentials, self._connection, self.clock)
        except AttemptError as err:
            decision = decide(err.failure, Tries(), self.knobs, self.rand)
            self._log_failure(outcome, model, request, err, 1, decision)
            outcome.failures.append((model, err.failure))
            self.circuit.release(model.key, token)
            return decision
        tries = Tries()
        number = 0
        prefix = ""
        used_output = 0
        current = request
        try:
            while True:
                number += 1
                try:
                    reply = client.stream(
                        current, on_first_event=lambda: self.circuit.alive(model.key, token)
                    )
                except AttemptError as err:
                    failure = err.failure
                    room = request.max_tokens - used_output - failure.output_tokens
                    decision = decide(failure, tries, self.knobs, self.rand, can_continue=room > 0)
                    self._log_failure(outcome, model, current, err, number, decision)
                    if decision.open_circuit:
                        self.circuit.overloaded(model.key, token)
                    if decision.action == Action.RETRY:
                        tries = tries.after(failure)
                        if decision.delay > 0:
                            self.sleep(decision.delay)
                        continue
                    if decision.action == Action.CONTINUE:
                        tries = tries.after(failure)
                        prefix += err.partial_text
                        used_output += failure.output_tokens
                        current = continuation(request, prefix, room)
                        continue
                    outcome.failures.append((model, failure))
                    if decision.action == Action.SHRINK:
                        outcome.shrink = True
                        return None
                    if decision.action == Action.STOP:
                        outcome.stopped = f"{_failure_words(failure)} from {model.label()}"
                        return None
                    return decision
                self._log(
                    outcome,
                    model,
                    current,
                    "ok",
                    status=200,
                    request_id=reply.request_id,
                    latency=reply.latency,
                    input_tokens=reply.input_tokens,
                    output_tokens=reply.output_tokens,
                    attempt=number,
                )
                total_output = used_output + (reply.output_tokens or 0)
                outcome.reply = replace(
                    reply, text=prefix + reply.text, output_tokens=total_output or None
                )
                return None
        finally:
            self.circuit.release(model.key, token)

    # -- the log -----------------------------------------------------------

    def _log_failure(
        self,
        outcome: Outcome,
        model: ModelRef,
        request: Request,
        err: AttemptError,
        number: int,
        decision: Decision,
    ) -> None:
        failure = err.failure
        self._log(
            outcome,
            model,
            request,
            str(failure.kind),
            status=failure.status,
            request_id=failure.request_id,
            latency=err.latency,
            input_tokens=err.input_tokens,
            output_tokens=failure.output_tokens or None,
            attempt=number,
            action=str(decision.action),
            detail=failure.detail,
        )

    def _log(
        self,
        outcome: Outcome,
        model: ModelRef,
        request: Request,
        result: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        latency: float | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        attempt: int = 0,
        action: str = "",
        detail: str = "",
    ) -> None:
        entry = Attempt(
            provider=model.provider,
            model=model.model,
            outcome=result,
            status=status,
            request_id=request_id,
            latency_seconds=latency,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cl100k_tokens=request.cl100k_tokens,
            purpose=request.purpose,
            attempt=attempt,
            action=action,
            detail=detail,
        )
        entry = replace(entry, time=entry.as_record()["time"])
        outcome.attempts.append(entry)
        record(entry, self.state_dir)


def continuation(request: Request, prefix: str, max_tokens: int) -> Request:
    """The request that asks a model to go on from ``prefix``, its answer cut by max_tokens."""
    messages = (
        *request.messages,
        {"role": "assistant", "content": prefix},
        {"role": "user", "content": CONTINUE_PROMPT},
    )
    return Request(
        system=request.system,
        messages=messages,
        max_tokens=max(1, max_tokens),
        purpose=request.purpose,
        cl100k_tokens=request.cl100k_tokens,
    )
