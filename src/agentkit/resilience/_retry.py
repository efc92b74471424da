"""``RetryPolicy``: exponential backoff with jitter, honouring ``Retry-After``, bounded by attempts, time and deadline."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from agentkit.events import RetryGaveUp, RetryScheduled
from agentkit.exceptions import ProviderError, RateLimited, UsageError
from agentkit.resilience._base import PolicyProvider, bounded_complete, bounded_stream, closing
from agentkit.resilience._context import current_deadline, emit, resolve_clock, resolve_sleep
from agentkit.resilience._errors import DeadlineExceeded

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from agentkit._clock import Clock
    from agentkit.events import EventEmitter
    from agentkit.providers._base import ModelRequest, ModelResponse, Provider, StreamEvent
    from agentkit.resilience._context import Sleep

__all__ = ("RetryPolicy",)


def _inner_deadline(error: ProviderError) -> bool:
    """Whether ``error`` is a per-attempt deadline (one inside this policy) while the outer time is not up."""
    if not isinstance(error, DeadlineExceeded) or error.stage not in ("call", "stream"):
        return False
    scope = current_deadline()
    return scope is None or not scope.expired


class RetryPolicy(PolicyProvider):
    """Retry failed calls of a provider, with exponential backoff and jitter.

    Only errors marked ``retryable`` are retried (429, 529, 5xx, timeouts, connection failures), and ``retry_on``
    can narrow that further; a `DeadlineExceeded` from a `Deadline` *inside* the policy (a per-attempt timeout)
    is retried while the outer deadline, if any, still has time. A ``RateLimited`` error's ``retry_after`` is honoured (capped at ``max_wait``);
    otherwise attempt *n* waits ``min(max_delay, initial_delay * multiplier**(n-1))``, reduced by up to
    ``jitter`` of itself at random. It gives up at ``max_attempts``, when the next wait would pass
    ``max_elapsed`` since the first attempt, or when it would pass the current deadline, and then raises the
    last error. A stream is never re-sent once it delivered an event to the caller.

    Args:
        inner: The provider to call.
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
        clock: Where elapsed time is read (the `testing_mode` clock or the system clock by default).
        sleep: How waits happen (the `testing_mode` sleeper or ``anyio.sleep`` by default).
        events: Emitter for ``retry.scheduled`` / ``retry.gave_up`` (else the one from `bind_events`).

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
        inner: Provider,
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
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        events: EventEmitter | None = None,
    ) -> None:
        super().__init__(inner, events=events)
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
        self._rng = rng if rng is not None else random.Random(seed)
        self._clock = clock
        self._sleep = sleep

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
        """The wait before the next attempt, or ``None`` (after a ``retry.gave_up`` event) to give up."""
        if streamed:
            self._give_up(attempt, error, "stream_started")
            return None
        retryable = error.retryable or _inner_deadline(error)
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
            return None
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
