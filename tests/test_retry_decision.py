"""The retry decision: a pure function of (method, idempotency, attempt, outcome)."""

from __future__ import annotations

import math

import httpx
import pytest

from qase_async import QaseClient, RetryPolicy
from qase_async._http import Decision, Outcome, decide
from qase_async.exceptions import ConfigurationError, NotFoundError

POLICY = RetryPolicy(attempts=3, max_wait=10.0, backoff=1.0, backoff_max=4.0)

# (method, idempotent, attempt, outcome, lost, remaining) -> decision; jitter is 1 (the cap).
TABLE: list[tuple[str, bool, int, Outcome, bool, float, Decision]] = [
    # Successes return whatever the method.
    ("GET", True, 1, Outcome(status=200), False, math.inf, Decision(action="return")),
    ("POST", False, 3, Outcome(status=201), False, math.inf, Decision(action="return")),
    # 429: the gate closes for Retry-After, the call retries while tries are left.
    (
        "POST",
        False,
        1,
        Outcome(status=429, retry_after=5.0),
        False,
        math.inf,
        Decision(action="retry", wait=5.0, cooldown=5.0),
    ),
    (
        "GET",
        True,
        3,
        Outcome(status=429, retry_after=5.0),
        False,
        math.inf,
        Decision(action="raise", cooldown=5.0),
    ),
    # No Retry-After: the service's 60 s lock-out, above max_wait: refuse for max_wait.
    (
        "GET",
        True,
        1,
        Outcome(status=429),
        False,
        math.inf,
        Decision(action="raise", cooldown=10.0, refuse=True),
    ),
    (
        "GET",
        True,
        1,
        Outcome(status=429, retry_after=math.inf),
        False,
        math.inf,
        Decision(action="raise", cooldown=10.0, refuse=True),
    ),
    (
        "GET",
        True,
        1,
        Outcome(status=429, retry_after=math.nan),
        False,
        math.inf,
        Decision(action="raise", cooldown=10.0, refuse=True),
    ),
    # A 429 whose cool-down outlasts the call's deadline: the gate still closes.
    (
        "GET",
        True,
        1,
        Outcome(status=429, retry_after=5.0),
        False,
        2.0,
        Decision(action="raise", cooldown=5.0),
    ),
    # Gateway errors: retried when safe, with a doubling backoff capped by backoff_max.
    ("GET", True, 1, Outcome(status=503), False, math.inf, Decision(action="retry", wait=1.0)),
    ("GET", True, 2, Outcome(status=502), False, math.inf, Decision(action="retry", wait=2.0)),
    ("GET", True, 3, Outcome(status=504), False, math.inf, Decision(action="raise")),
    ("POST", False, 1, Outcome(status=503), False, math.inf, Decision(action="raise")),
    ("POST", True, 1, Outcome(status=503), False, math.inf, Decision(action="retry", wait=1.0)),
    # A longer Retry-After on a 503 is honoured, up to max_wait.
    (
        "GET",
        True,
        1,
        Outcome(status=503, retry_after=7.0),
        False,
        math.inf,
        Decision(action="retry", wait=7.0),
    ),
    (
        "GET",
        True,
        1,
        Outcome(status=503, retry_after=70.0),
        False,
        math.inf,
        Decision(action="raise"),
    ),
    # Never past the deadline.
    ("GET", True, 1, Outcome(status=503), False, 0.5, Decision(action="raise")),
    # Other errors are final.
    ("GET", True, 1, Outcome(status=500), False, math.inf, Decision(action="raise")),
    ("GET", True, 1, Outcome(status=404), False, math.inf, Decision(action="raise")),
    # A DELETE whose earlier answer was lost: 404 means the service did it.
    ("DELETE", True, 2, Outcome(status=404), True, math.inf, Decision(action="return")),
    ("GET", True, 2, Outcome(status=404), True, math.inf, Decision(action="raise")),
    # No answer: retried when safe, or when nothing was sent.
    ("GET", True, 1, Outcome(sent=True), False, math.inf, Decision(action="retry", wait=1.0)),
    ("POST", False, 1, Outcome(sent=True), False, math.inf, Decision(action="raise")),
    ("POST", False, 1, Outcome(sent=False), False, math.inf, Decision(action="retry", wait=1.0)),
    ("POST", False, 3, Outcome(sent=False), False, math.inf, Decision(action="raise")),
]


@pytest.mark.parametrize(
    ("method", "idempotent", "attempt", "outcome", "lost", "remaining", "expected"), TABLE
)
def test_the_decision_table(
    method: str,
    idempotent: bool,
    attempt: int,
    outcome: Outcome,
    lost: bool,
    remaining: float,
    expected: Decision,
) -> None:
    """Each row: what a try gave and what the client does next."""
    decision = decide(
        method,
        idempotent=idempotent,
        attempt=attempt,
        outcome=outcome,
        policy=POLICY,
        lost=lost,
        jitter=1.0,
        remaining=remaining,
    )
    assert decision == expected


def test_jitter_picks_in_the_upper_half_of_the_backoff() -> None:
    """Backoffs spread between half the ceiling and the ceiling."""
    low = decide(
        "GET", idempotent=True, attempt=2, outcome=Outcome(status=503), policy=POLICY, jitter=0.0
    )
    assert low == Decision(action="retry", wait=1.0)


def test_the_backoff_cannot_overflow() -> None:
    """A thousandth try (or a billionth) still waits backoff_max, no OverflowError."""
    policy = RetryPolicy(attempts=100, backoff=0.5, backoff_max=30.0)
    assert policy.backoff_for(1_000, 1.0) == 30.0
    assert policy.backoff_for(10**9, 1.0) == 30.0
    assert policy.backoff_for(1, 1.0) == 0.5


@pytest.mark.parametrize("field", ["max_wait", "backoff", "backoff_max"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, "1", True])
def test_policy_values_are_finite_non_negative_seconds(field: str, value: object) -> None:
    """NaN, inf, negatives and non-numbers are refused with a typed error."""
    with pytest.raises(ConfigurationError, match=field):
        RetryPolicy(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("attempts", [0, -1, 2000, 1.5, True])
def test_attempts_are_a_bounded_int(attempts: object) -> None:
    """Tries are an int from 1 to 100: 2,000 tries is a mistake, not a policy."""
    with pytest.raises(ConfigurationError, match="attempts"):
        RetryPolicy(attempts=attempts)  # type: ignore[arg-type]


async def test_a_delete_whose_answer_was_lost_is_done_when_the_retry_finds_nothing() -> None:
    """The service deleted it but the answer was lost; the retry's 404 counts as success."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ReadError("connection reset after the request was sent")
        return httpx.Response(404, json={"status": False, "errorMessage": "Run not found"})

    retry = RetryPolicy(attempts=3, backoff=0.0, backoff_max=0.0)
    async with QaseClient("t", transport=httpx.MockTransport(handler), retry=retry) as qase:
        await qase.runs.delete("DEMO", 5)
        with pytest.raises(NotFoundError):  # without a lost answer, 404 is still an error
            await qase.runs.delete("DEMO", 6)
    assert calls == 3
