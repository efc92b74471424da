"""``RetryPolicy``: exponential backoff with jitter, honouring ``Retry-After``, bounded by attempts, time and deadline."""

from __future__ import annotations

import copy
import math
import random
from typing import TYPE_CHECKING, NoReturn

from agentkit._log import library_logger
from agentkit.events import DeadlineExceededEvent, RetryGaveUp, RetryScheduled
from agentkit.exceptions import ProviderError, RateLimited, UsageError
from agentkit.providers._base import ModelProfile, Provider
from agentkit.resilience._base import PolicyProvider, bounded_complete, bounded_stream, closing
from agentkit.resilience._context import current_deadline, emit, resolve_clock, resolve_sleep
from agentkit.resilience._errors import DeadlineExceeded

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Collection

    from agentkit._clock import Clock
    from agentkit.events import EventEmitter
    from agentkit.providers._base import ModelRequest, ModelResponse, StreamEvent
    from agentkit.resilience._context import Sleep

__all__ = ("DEFAULT_RETRY_STATUSES", "RetryPolicy")

_log = library_logger("agentkit.retry")

DEFAULT_RETRY_STATUSES: frozenset[int] = frozenset({408, 409})
"""HTTP statuses retried even when their error is not marked retryable (timeout, conflict), as the vendor SDKs do."""


class _Unbound(Provider):
    """The ``inner`` of a `RetryPolicy` built without a provider: a template for ``infer_provider(retry=...)``."""

    system = "unbound"
    model = ""
    profile = ModelProfile()

    def secrets(self) -> frozenset[str]:
        return frozenset()

    def _fail(self) -> NoReturn:
        raise UsageError(
            "this RetryPolicy wraps no provider; pass it as infer_provider(..., retry=policy) "
            "or bind it with policy.wrap(provider)"
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self._fail()

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        self._fail()

    def __repr__(self) -> str:
        return "<no provider>"


def _inner_deadline(error: ProviderError) -> bool:
    """Whether ``error`` is a per-attempt deadline (one inside this policy) while the outer time is not up."""
    if not isinstance(error, DeadlineExceeded) or error.stage not in ("call", "stream"):
        return False
    scope = current_deadline()
    return scope is None or not scope.expired


class RetryPolicy(PolicyProvider):
    """Retry failed calls of a provider, with exponential backoff and jitter.

    Errors marked ``retryable`` are retried (429 unless the quota is exhausted, 529, 5xx, timeouts, connection
    failures), and so are errors whose HTTP status is in ``retry_statuses`` (408 and 409 by default); ``retry_on``
    can narrow that further. A `DeadlineExceeded` from a `Deadline` *inside* the policy (a per-attempt timeout)
    is retried while the outer deadline, if any, still has time. A ``RateLimited`` error's ``retry_after`` is
    honoured (capped at ``max_wait``); otherwise attempt *n* waits ``min(max_delay, initial_delay *
    multiplier**(n-1))``, reduced by up to ``jitter`` of itself at random. It gives up, raising the last error,
    at ``max_attempts`` or when the next wait would pass ``max_elapsed`` since the first attempt. When the next
    wait would pass the deadline in force (a `Deadline` around it, or the ``Limits.timeout`` of the agent run it
    is in), it fails at once with `DeadlineExceeded` (stage ``"retry_wait"``) instead of sleeping. A stream is
    never re-sent once it delivered an event to the caller.

    Each retry is logged at INFO on the ``agentkit.retry`` logger (provider, model, error type, HTTP status, wait
    and attempt: never a message or a request body) and emitted as a ``retry.scheduled`` event, on the run's
    event stream when the policy runs inside an agent run.

    Built without ``inner`` (``RetryPolicy(max_attempts=5)``), the policy is a template: pass it as
    ``infer_provider(..., retry=policy)`` or bind a copy with `wrap`.

    Args:
        inner: The provider to call (``None``: a template, see `wrap`).
        max_attempts: Attempts in all, the first one included.
        initial_delay: The first backoff, in seconds.
        max_delay: The largest backoff.
        multiplier: Growth of the backoff per attempt.
        jitter: Fraction (0 to 1) of each backoff that is randomised away.
        max_elapsed: Time cap in seconds from the first attempt (``None``: no cap).
        max_wait: The most a ``Retry-After`` is honoured for.
        seed: Seed for the jitter's random generator (deterministic runs).
        rng: A random generator to use instead (``seed`` is then ignored).
        retry_on: Further filter: a retryable error is retried only if this returns ``True``.
        retry_statuses: HTTP statuses to retry even when the error is not marked retryable.
        clock: Where elapsed time is read (the `testing_mode` clock or the system clock by default).
        sleep: How waits happen (the `testing_mode` sleeper or ``anyio.sleep`` by default).
        events: Emitter for ``retry.scheduled`` / ``retry.gave_up`` (else the run's, or the one from
            `bind_events`).

    Examples:
        >>> import anyio
        >>> from agentkit.exceptions import Overloaded
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest
        >>> from agentkit.resilience import InstantSleep, RetryPolicy
        >>> from agentkit.testing import FakeProvider
        >>> flaky = FakeProvider([Overloaded("busy", provider="fake"), "Paris."])
        >>> sleep = InstantSleep()
        >>> policy = RetryPolicy(flaky, initial_delay=1.0, jitter=0.0, sleep=sleep)
        >>> anyio.run(policy.complete, ModelRequest(messages=[Message.user("Capital?")])).text, sleep.calls
        ('Paris.', [1.0])
    """

    def __init__(
        self,
        inner: Provider | None = None,
        *,
        max_attempts: int = 3,
        initial_delay: float = 0.5,
        max_delay: float = 30.0,
        multiplier: float = 2.0,
        jitter: float = 0.5,
        max_elapsed: float | None = 120.0,
        max_wait: float = 60.0,
        seed: int | None = None,
        rng: random.Random | None = None,
        retry_on: Callable[[ProviderError], bool] | None = None,
        retry_statuses: Collection[int] = DEFAULT_RETRY_STATUSES,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        events: EventEmitter | None = None,
    ) -> None:
        super().__init__(inner if inner is not None else _Unbound(), events=events)
        if max_attempts < 1:
            raise UsageError(f"RetryPolicy needs max_attempts >= 1, got {max_attempts!r}")
        if not 0.0 <= jitter <= 1.0:
            raise UsageError(f"RetryPolicy jitter must be between 0 and 1, got {jitter!r}")
        for name, value in (
            ("initial_delay", initial_delay),
            ("max_delay", max_delay),
            ("max_wait", max_wait),
            ("multiplier", multiplier),
        ):
            if not (math.isfinite(value) and value >= 0):
                raise UsageError(f"RetryPolicy {name} must be a finite number >= 0, got {value!r}")
        self.max_attempts = max_attempts
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.multiplier = multiplier
        self.jitter = jitter
        self.max_elapsed = max_elapsed
        self.max_wait = max_wait
        self.retry_on = retry_on
        self.retry_statuses = frozenset(retry_statuses)
        self._rng = rng if rng is not None else random.Random(seed)
        self._clock = clock
        self._sleep = sleep

    @property
    def bound(self) -> bool:
        """Whether the policy wraps a provider (``False`` for a template built without one)."""
        return not isinstance(self.inner, _Unbound)

    def wrap(self, provider: Provider) -> RetryPolicy:
        """A copy of this policy around ``provider`` (its jitter generator copied too, so each copy replays alike).

        Examples:
            >>> from agentkit.testing import FakeProvider
            >>> template = RetryPolicy(max_attempts=5)
            >>> policy = template.wrap(FakeProvider(["hi"]))
            >>> template.bound, policy.bound, policy.max_attempts
            (False, True, 5)
        """
        bound = copy.copy(self)
        bound.inner = provider
        bound._rng = random.Random()
        bound._rng.setstate(self._rng.getstate())
        return bound

    def backoff(self, attempt: int, error: ProviderError) -> float:
        """The wait after failed attempt ``attempt`` (1-based) with ``error``.

        Examples:
            >>> from agentkit.exceptions import RateLimited, ProviderUnavailable
            >>> from agentkit.testing import FakeProvider
            >>> policy = RetryPolicy(FakeProvider([]), initial_delay=1, jitter=0, max_wait=5)
            >>> policy.backoff(3, ProviderUnavailable("down", provider="x"))
            4.0
            >>> policy.backoff(1, RateLimited("slow", provider="x", retry_after=30))
            5.0
        """
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return float(min(max(0.0, error.retry_after), self.max_wait))
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        return base * (1.0 - self.jitter * self._rng.random())

    def _give_up(self, attempt: int, error: ProviderError, reason: str) -> None:
        emit(
            self.events,
            RetryGaveUp,
            provider=self.inner.system,
            model=self.inner.model,
            attempts=attempt,
            reason=reason,
            error_type=type(error).__name__,
            error_message=error.message,
        )

    def _next_delay(
        self, attempt: int, error: ProviderError, started: float, *, streamed: bool
    ) -> float | None:
        """The wait before the next attempt, or ``None`` (after a ``retry.gave_up`` event) to give up.

        Raises:
            DeadlineExceeded: The wait would pass the deadline in force.
        """
        if streamed:
            self._give_up(attempt, error, "stream_started")
            return None
        retryable = (
            error.retryable
            or _inner_deadline(error)
            or (error.status_code is not None and error.status_code in self.retry_statuses)
        )
        if not retryable or (self.retry_on is not None and not self.retry_on(error)):
            self._give_up(attempt, error, "not_retryable")
            return None
        if attempt >= self.max_attempts:
            self._give_up(attempt, error, "max_attempts")
            return None
        delay = self.backoff(attempt, error)
        clock = resolve_clock(self._clock)
        if self.max_elapsed is not None and clock.monotonic() - started + delay > self.max_elapsed:
            self._give_up(attempt, error, "max_elapsed")
            return None
        scope = current_deadline()
        if scope is not None and delay >= scope.remaining():
            self._give_up(attempt, error, "deadline")
            emit(
                self.events,
                DeadlineExceededEvent,
                provider=self.inner.system,
                model=self.inner.model,
                stage="retry_wait",
                timeout_s=scope.budget,
            )
            raise DeadlineExceeded(
                provider=self.inner.system,
                model=self.inner.model,
                timeout=scope.budget,
                stage="retry_wait",
            ) from error
        _log.info(
            "%s (%s): %s%s, retrying in %.3gs (attempt %d of %d)",
            self.inner.system,
            self.inner.model,
            type(error).__name__,
            f" (HTTP {error.status_code})" if error.status_code is not None else "",
            delay,
            attempt + 1,
            self.max_attempts,
        )
        emit(
            self.events,
            RetryScheduled,
            provider=self.inner.system,
            model=self.inner.model,
            attempt=attempt,
            delay_s=delay,
            retry_after_s=error.retry_after if isinstance(error, RateLimited) else None,
            error_type=type(error).__name__,
            error_message=error.message,
        )
        return delay

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Call the provider, retrying retryable failures; raise the last error when giving up."""
        started = resolve_clock(self._clock).monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                return await bounded_complete(self.inner, request, events=self.events)
            except ProviderError as exc:
                delay = self._next_delay(attempt, exc, started, streamed=False)
                if delay is None:
                    raise
            await resolve_sleep(self._sleep)(delay)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Stream from the provider, retrying failures that happen before the first event reached the caller."""
        started = resolve_clock(self._clock).monotonic()
        attempt = 0
        while True:
            attempt += 1
            yielded = False
            try:
                async with closing(
                    bounded_stream(self.inner, request, events=self.events)
                ) as stream:
                    async for event in stream:
                        yielded = True
                        yield event
                return
            except ProviderError as exc:
                delay = self._next_delay(attempt, exc, started, streamed=yielded)
                if delay is None:
                    raise
            await resolve_sleep(self._sleep)(delay)
