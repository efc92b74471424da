"""``RateLimiter``: requests per minute, tokens per minute and concurrency, enforced before a call is sent."""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import anyio

from agentkit.events import RateLimitWaited
from agentkit.exceptions import UsageError
from agentkit.providers._base import StreamDone
from agentkit.resilience._base import (
    PolicyProvider,
    _expired,
    bounded_complete,
    bounded_stream,
    closing,
)
from agentkit.resilience._context import (
    DeadlineScope,
    current_deadline,
    emit,
    resolve_clock,
    resolve_sleep,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from agentkit._clock import Clock
    from agentkit.events import EventEmitter
    from agentkit.messages import Message
    from agentkit.providers._base import ModelRequest, ModelResponse, Provider, StreamEvent
    from agentkit.resilience._context import Sleep

__all__ = ("RateLimiter", "estimate_tokens")

_MAX_WAIT_ROUNDS = (
    10_000  # a wait loop always makes progress; this is a guard against a clock that never moves
)


def _message_chars(message: Message) -> int:
    total = 0
    for part in message.parts:
        for name in ("text", "arguments", "content"):
            value = getattr(part, name, None)
            if isinstance(value, str):
                total += len(value)
    return total


def estimate_tokens(request: ModelRequest) -> int:
    """A cheap upper-ish estimate of a request's tokens: characters / 4, plus ``max_tokens`` when set.

    Examples:
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest, ModelSettings
        >>> estimate_tokens(ModelRequest(messages=[Message.user("x" * 400)], settings=ModelSettings(max_tokens=50)))
        150
    """
    chars = sum(_message_chars(m) for m in request.messages)
    chars += sum(len(t.description) + len(str(t.input_schema)) for t in request.tools)
    return max(1, math.ceil(chars / 4) + (request.settings.max_tokens or 0))


class _Ticket:
    __slots__ = ("at", "tokens")

    def __init__(self, at: float, tokens: int) -> None:
        self.at = at
        self.tokens = tokens


class _LimiterState:
    def __init__(self, max_concurrency: int | None) -> None:
        self.tickets: deque[_Ticket] = deque()
        self.semaphore = anyio.Semaphore(max_concurrency) if max_concurrency else None


class RateLimiter(PolicyProvider):
    """Hold calls back so they stay within requests per minute, tokens per minute and a concurrency cap.

    Tokens are estimated before the call (``estimate``) and corrected with the real usage once the answer
    arrives. One limiter is meant to be shared by every run in the process that uses the provider;
    `share` wraps another provider with the same budget. Waits are cancellable and bounded by the current
    deadline: a wait that cannot end in time raises `DeadlineExceeded` at once.

    Args:
        inner: The provider to call.
        requests_per_minute: Request budget per ``period`` (``None``: unlimited).
        tokens_per_minute: Token budget per ``period`` (``None``: unlimited).
        max_concurrency: Calls in flight at once (``None``: unlimited).
        estimate: Token estimate of a request (`estimate_tokens` by default).
        period: The window in seconds (60).
        clock: Where time is read (the `testing_mode` clock or the system clock by default).
        sleep: How waits happen (the `testing_mode` sleeper or ``anyio.sleep`` by default).
        events: Emitter for ``rate_limit.waited``.

    Examples:
        >>> import anyio
        >>> from agentkit.messages import Message
        >>> from agentkit.providers import ModelRequest
        >>> from agentkit.resilience import InstantSleep, RateLimiter
        >>> from agentkit.testing import FakeProvider, MockClock
        >>> clock = MockClock()
        >>> limiter = RateLimiter(FakeProvider(["a", "b", "c"]), requests_per_minute=2, clock=clock,
        ...                       sleep=InstantSleep(clock))
        >>> async def three():
        ...     return [(await limiter.complete(ModelRequest(messages=[Message.user("hi")]))).text
        ...             for _ in range(3)]
        >>> anyio.run(three), clock.monotonic()
        (['a', 'b', 'c'], 60.0)
    """

    def __init__(
        self,
        inner: Provider,
        *,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        max_concurrency: int | None = None,
        estimate: Callable[[ModelRequest], int] = estimate_tokens,
        period: float = 60.0,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        events: EventEmitter | None = None,
        _state: _LimiterState | None = None,
    ) -> None:
        super().__init__(inner, events=events)
        for name, value in (
            ("requests_per_minute", requests_per_minute),
            ("tokens_per_minute", tokens_per_minute),
            ("max_concurrency", max_concurrency),
        ):
            if value is not None and value < 1:
                raise UsageError(f"RateLimiter {name} must be >= 1 or None, got {value!r}")
        if not (math.isfinite(period) and period > 0):
            raise UsageError(f"RateLimiter period must be a finite number > 0, got {period!r}")
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self.max_concurrency = max_concurrency
        self.estimate = estimate
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._state = _state if _state is not None else _LimiterState(max_concurrency)

    def share(self, provider: Provider) -> RateLimiter:
        """Wrap ``provider`` with this limiter's limits and budget (one account, several models).

        Examples:
            >>> from agentkit.testing import FakeProvider
            >>> limiter = RateLimiter(FakeProvider([], model="a"), requests_per_minute=10)
            >>> limiter.share(FakeProvider([], model="b")).requests_per_minute
            10
        """
        return RateLimiter(
            provider,
            requests_per_minute=self.requests_per_minute,
            tokens_per_minute=self.tokens_per_minute,
            max_concurrency=self.max_concurrency,
            estimate=self.estimate,
            period=self.period,
            clock=self._clock,
            sleep=self._sleep,
            events=self.events,
            _state=self._state,
        )

    @property
    def in_window(self) -> tuple[int, int]:
        """``(requests, tokens)`` counted in the current window."""
        self._prune(resolve_clock(self._clock).monotonic())
        tickets = self._state.tickets
        return len(tickets), sum(t.tokens for t in tickets)

    def _prune(self, now: float) -> None:
        tickets = self._state.tickets
        while tickets and tickets[0].at + self.period <= now:
            tickets.popleft()

    def _wait_for(self, now: float, tokens: int) -> tuple[float, str]:
        tickets = self._state.tickets
        wait_requests = 0.0
        if self.requests_per_minute is not None and len(tickets) >= self.requests_per_minute:
            wait_requests = tickets[len(tickets) - self.requests_per_minute].at + self.period - now
        wait_tokens = 0.0
        if self.tokens_per_minute is not None and tickets:
            used = sum(t.tokens for t in tickets)
            excess = used + min(tokens, self.tokens_per_minute) - self.tokens_per_minute
            for ticket in tickets:
                if excess <= 0:
                    break
                excess -= ticket.tokens
                wait_tokens = ticket.at + self.period - now
        if wait_requests >= wait_tokens:
            return max(0.0, wait_requests), "requests"
        return max(0.0, wait_tokens), "tokens"

    async def _acquire_slot(self, scope: DeadlineScope | None) -> None:
        semaphore = self._state.semaphore
        if semaphore is None:
            return
        if semaphore.value > 0:
            await semaphore.acquire()
            return
        clock = resolve_clock(self._clock)
        started = clock.monotonic()
        limit = scope.remaining() if scope is not None else None
        got = False
        with anyio.move_on_after(limit):
            await semaphore.acquire()
            got = True
        if not got:
            assert scope is not None
            raise _expired(self.inner, scope, "limiter_wait", self.events)
        emit(
            self.events,
            RateLimitWaited,
            provider=self.inner.system,
            model=self.inner.model,
            limit="concurrency",
            waited_s=max(0.0, clock.monotonic() - started),
        )

    async def _reserve(self, request: ModelRequest, scope: DeadlineScope | None) -> _Ticket:
        tokens = max(1, int(self.estimate(request)))
        clock = resolve_clock(self._clock)
        waited = 0.0
        reason = "requests"
        for _ in range(_MAX_WAIT_ROUNDS):
            now = clock.monotonic()
            self._prune(now)
            wait, why = self._wait_for(now, tokens)
            if wait <= 0:
                ticket = _Ticket(now, tokens)
                self._state.tickets.append(ticket)
                if waited > 0:
                    emit(
                        self.events,
                        RateLimitWaited,
                        provider=self.inner.system,
                        model=self.inner.model,
                        limit=reason,
                        waited_s=waited,
                    )
                return ticket
            if scope is not None and wait > scope.remaining():
                raise _expired(self.inner, scope, "limiter_wait", self.events)
            reason = why
            await resolve_sleep(self._sleep)(wait)
            waited += wait
        raise UsageError("RateLimiter's clock does not move: pass a clock that its sleep advances")

    def _correct(self, ticket: _Ticket, response: ModelResponse) -> None:
        actual = response.usage.total_tokens
        if actual > 0:
            ticket.tokens = actual

    def _release(self) -> None:
        if self._state.semaphore is not None:
            self._state.semaphore.release()

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Wait for room within the limits, then call the provider."""
        scope = current_deadline()
        await self._acquire_slot(scope)
        try:
            ticket = await self._reserve(request, scope)
            response = await bounded_complete(self.inner, request, events=self.events)
            self._correct(ticket, response)
            return response
        finally:
            self._release()

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Wait for room within the limits, then stream; the concurrency slot is held until the stream ends."""
        scope = current_deadline()
        await self._acquire_slot(scope)
        try:
            ticket = await self._reserve(request, scope)
            async with closing(bounded_stream(self.inner, request, events=self.events)) as stream:
                async for event in stream:
                    if isinstance(event, StreamDone):
                        self._correct(ticket, event.response)
                    yield event
        finally:
            self._release()
