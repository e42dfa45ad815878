"""cc_guard.api.policy: the decision after every kind of failure, for every count of tries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_guard.api.policy import (
    INCOMPLETE_KINDS,
    Action,
    Failure,
    Knobs,
    Tries,
    decide,
    full_jitter,
)
from cc_guard.incidents import IncidentKind

KNOBS = Knobs()


def half() -> float:
    return 0.5


def test_overloaded_goes_to_the_next_model_at_once_and_opens_the_circuit() -> None:
    for tries in (Tries(), Tries(server_errors=2, incompletes=1, rate_limits=1)):
        decision = decide(Failure(IncidentKind.OVERLOADED, status=529), tries, KNOBS, half)
        assert decision.action == Action.NEXT_MODEL
        assert decision.delay == 0 and decision.open_circuit


def test_server_errors_are_retried_twice_with_full_jitter_backoff_then_the_next_model() -> None:
    failure = Failure(IncidentKind.SERVER_ERROR, status=500)
    first = decide(failure, Tries(), KNOBS, half)
    second = decide(failure, Tries(server_errors=1), KNOBS, half)
    third = decide(failure, Tries(server_errors=2), KNOBS, half)
    assert (first.action, first.delay) == (Action.RETRY, 0.5)  # 0.5 x min(8, 1 x 2**0)
    assert (second.action, second.delay) == (Action.RETRY, 1.0)  # 0.5 x min(8, 1 x 2**1)
    assert third.action == Action.NEXT_MODEL and not third.open_circuit


def test_the_backoff_is_capped() -> None:
    knobs = Knobs(server_error_retries=10, backoff_base=1.0, backoff_cap=8.0)
    failure = Failure(IncidentKind.SERVER_ERROR, status=503)
    delays = [decide(failure, Tries(server_errors=n), knobs, lambda: 1.0).delay for n in range(6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


@given(st.integers(0, 20), st.floats(0.01, 5), st.floats(0.01, 60), st.floats(0, 1))
def test_full_jitter_stays_between_zero_and_the_capped_exponential(
    retry: int, base: float, cap: float, draw: float
) -> None:
    delay = full_jitter(retry, base, cap, lambda: draw)
    assert 0 <= delay <= min(cap, base * 2**retry) + 1e-9


def test_rate_limit_honours_a_short_retry_after_once() -> None:
    failure = Failure(IncidentKind.RATE_LIMIT, status=429, retry_after=3.0)
    first = decide(failure, Tries(), KNOBS, half)
    assert (first.action, first.delay) == (Action.RETRY, 3.0)
    assert decide(failure, Tries(rate_limits=1), KNOBS, half).action == Action.NEXT_MODEL


@pytest.mark.parametrize("retry_after", [20.5, 60.0, None])
def test_rate_limit_with_a_long_or_missing_retry_after_goes_to_the_next_model(
    retry_after: float | None,
) -> None:
    failure = Failure(IncidentKind.RATE_LIMIT, status=429, retry_after=retry_after)
    decision = decide(failure, Tries(), KNOBS, half)
    assert decision.action == Action.NEXT_MODEL and decision.delay == 0


def test_a_retry_after_of_exactly_the_limit_is_still_honoured() -> None:
    failure = Failure(IncidentKind.RATE_LIMIT, status=429, retry_after=20.0)
    assert decide(failure, Tries(), KNOBS, half).action == Action.RETRY


def test_invalid_requests_are_never_retried_and_prompt_too_long_asks_to_shrink() -> None:
    bad = decide(Failure(IncidentKind.INVALID_REQUEST, status=400), Tries(), KNOBS, half)
    too_long = decide(
        Failure(IncidentKind.INVALID_REQUEST, status=400, prompt_too_long=True),
        Tries(),
        KNOBS,
        half,
    )
    assert bad.action == Action.STOP
    assert too_long.action == Action.SHRINK


def test_auth_failures_skip_to_the_next_provider() -> None:
    for status in (401, 403):
        decision = decide(Failure(IncidentKind.AUTH, status=status), Tries(), KNOBS, half)
        assert decision.action == Action.NEXT_PROVIDER


def test_not_found_goes_to_the_next_model() -> None:
    decision = decide(Failure(IncidentKind.NOT_FOUND, status=404), Tries(), KNOBS, half)
    assert decision.action == Action.NEXT_MODEL


@pytest.mark.parametrize("kind", sorted(INCOMPLETE_KINDS))
def test_incomplete_answers_get_one_immediate_retry_then_the_next_model(kind: IncidentKind) -> None:
    failure = Failure(kind)
    first = decide(failure, Tries(), KNOBS, half)
    assert (first.action, first.delay) == (Action.RETRY, 0.0)
    assert decide(failure, Tries(incompletes=1), KNOBS, half).action == Action.NEXT_MODEL


def test_an_endpoint_that_cannot_be_connected_to_is_left_for_the_next_provider() -> None:
    failure = Failure(IncidentKind.CONNECTION, connect_failed=True)
    assert decide(failure, Tries(), KNOBS, half).action == Action.RETRY
    assert decide(failure, Tries(incompletes=1), KNOBS, half).action == Action.NEXT_PROVIDER


def test_max_tokens_gets_one_continuation_when_the_cap_leaves_room() -> None:
    failure = Failure(IncidentKind.MAX_OUTPUT_TOKENS, stop_reason="max_tokens", output_tokens=100)
    assert decide(failure, Tries(), KNOBS, half).action == Action.CONTINUE
    assert decide(failure, Tries(continuations=1), KNOBS, half).action == Action.NEXT_MODEL
    assert decide(failure, Tries(), KNOBS, half, can_continue=False).action == Action.NEXT_MODEL


@pytest.mark.parametrize("kind", [IncidentKind.REFUSAL, IncidentKind.UNKNOWN])
def test_any_other_unusable_answer_goes_to_the_next_model(kind: IncidentKind) -> None:
    decision = decide(Failure(kind, stop_reason="refusal"), Tries(), KNOBS, half)
    assert decision.action == Action.NEXT_MODEL and not decision.open_circuit


def test_every_kind_has_a_decision_and_only_overload_opens_the_circuit() -> None:
    for kind in IncidentKind:
        for tries in (Tries(), Tries(1, 1, 1, 1), Tries(9, 9, 9, 9)):
            decision = decide(Failure(kind, retry_after=1.0), tries, KNOBS, half)
            assert decision.action in Action
            assert decision.open_circuit == (kind == IncidentKind.OVERLOADED)
            # Nothing is retried forever: past every budget, the model is always left.
            if tries == Tries(9, 9, 9, 9):
                assert decision.action not in (Action.RETRY, Action.CONTINUE)


def test_tries_count_only_the_kind_that_was_retried() -> None:
    tries = Tries()
    tries = tries.after(Failure(IncidentKind.SERVER_ERROR))
    tries = tries.after(Failure(IncidentKind.STREAM_TRUNCATED))
    tries = tries.after(Failure(IncidentKind.RATE_LIMIT))
    tries = tries.after(Failure(IncidentKind.MAX_OUTPUT_TOKENS))
    tries = tries.after(Failure(IncidentKind.OVERLOADED))
    assert tries == Tries(server_errors=1, rate_limits=1, incompletes=1, continuations=1)
