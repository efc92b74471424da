"""Ambient state for the resilience layer: the sleeper, the clock, the deadline and the event emitter.

Policies take these explicitly; when they are not given, they come from context variables, so a run (or a test)
sets them once with `deadline`, `bind_events` or `testing_mode` and every policy beneath sees them.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

import anyio
from anyio.lowlevel import checkpoint

from agentkit._clock import Clock, system_clock
from agentkit.exceptions import UsageError

if TYPE_CHECKING:
    from agentkit.events import BaseEvent, EventEmitter

__all__ = (
    "DeadlineScope",
    "InstantSleep",
    "Sleep",
    "bind_events",
    "current_deadline",
    "deadline",
    "testing_mode",
)

Sleep = Callable[[float], Awaitable[None]]
"""An async function that waits ``seconds``; ``anyio.sleep`` by default, `InstantSleep` in tests."""

_sleep_var: ContextVar[Sleep | None] = ContextVar("agentkit_resilience_sleep", default=None)
_clock_var: ContextVar[Clock | None] = ContextVar("agentkit_resilience_clock", default=None)
_deadline_var: ContextVar[DeadlineScope | None] = ContextVar(
    "agentkit_resilience_deadline", default=None
)
_events_var: ContextVar[EventEmitter | None] = ContextVar(
    "agentkit_resilience_events", default=None
)


class _Advanceable(Protocol):
    def advance(self, seconds: float) -> None: ...


def resolve_clock(clock: Clock | None) -> Clock:
    """The clock given, else the one set by `testing_mode`, else the system clock."""
    if clock is not None:
        return clock
    return _clock_var.get() or system_clock


def resolve_sleep(sleep: Sleep | None) -> Sleep:
    """The sleeper given, else the one set by `testing_mode`, else ``anyio.sleep``."""
    if sleep is not None:
        return sleep
    return _sleep_var.get() or anyio.sleep


def emit(events: EventEmitter | None, event_type: type[BaseEvent], /, **fields: Any) -> None:
    """Emit on ``events``, else on the emitter bound with `bind_events`; nothing when there is neither."""
    emitter = events if events is not None else _events_var.get()
    if emitter is not None:
        emitter.emit(event_type, **fields)


class InstantSleep:
    """A sleeper that returns at once (after a checkpoint), records every wait, and advances a mock clock.

    Args:
        clock: Anything with ``advance(seconds)`` (``agentkit.testing.MockClock``): moved forward by each wait,
            so code that reads the clock sees the time pass.

    Examples:
        >>> import anyio
        >>> from agentkit.testing import MockClock
        >>> clock = MockClock()
        >>> sleep = InstantSleep(clock)
        >>> anyio.run(sleep, 2.5)
        >>> sleep.calls, clock.monotonic()
        ([2.5], 2.5)
    """

    __slots__ = ("calls", "clock")

    def __init__(self, clock: _Advanceable | None = None) -> None:
        self.clock = clock
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        """Record ``seconds``, advance the clock, yield to the event loop once."""
        self.calls.append(seconds)
        if self.clock is not None and seconds > 0:
            self.clock.advance(seconds)
        await checkpoint()

    def __repr__(self) -> str:
        return f"InstantSleep(calls={len(self.calls)})"


@contextmanager
def testing_mode(clock: Clock | None = None) -> Iterator[InstantSleep]:  # noqa: PT028 - not a test: a context manager named after what it is for
    """Make every policy's waits instant (and, with ``clock``, read that clock) inside the block.

    Policies built without an explicit ``sleep`` or ``clock`` pick these up; the yielded `InstantSleep` records
    the waits. Pass a ``MockClock`` so backoffs and limiter windows still see time pass.

    Examples:
        >>> from agentkit.testing import MockClock
        >>> with testing_mode(MockClock()) as sleep:
        ...     sleep.calls
        []
    """
    advanceable: Any = clock if clock is not None and hasattr(clock, "advance") else None
    sleeper = InstantSleep(advanceable)
    sleep_token = _sleep_var.set(sleeper)
    clock_token = _clock_var.set(clock)
    try:
        yield sleeper
    finally:
        _clock_var.reset(clock_token)
        _sleep_var.reset(sleep_token)


class DeadlineScope:
    """A deadline: ``timeout`` seconds from when it was made, never later than the deadline around it.

    Examples:
        >>> from agentkit.testing import MockClock
        >>> clock = MockClock()
        >>> scope = DeadlineScope(10.0, clock=clock)
        >>> clock.advance(4)
        >>> scope.remaining(), scope.expired
        (6.0, False)
    """

    __slots__ = ("clock", "expires_at", "parent", "timeout")

    def __init__(
        self, timeout: float, *, clock: Clock | None = None, parent: DeadlineScope | None = None
    ) -> None:
        if not (math.isfinite(timeout) and timeout >= 0):
            raise UsageError(f"a deadline needs a finite number of seconds >= 0, got {timeout!r}")
        self.clock = resolve_clock(clock)
        self.timeout = float(timeout)
        self.expires_at = self.clock.monotonic() + self.timeout
        self.parent = parent

    def remaining(self) -> float:
        """Seconds left (``0.0`` once expired), the sooner of this deadline and the one around it."""
        left = max(0.0, self.expires_at - self.clock.monotonic())
        if self.parent is not None:
            left = min(left, self.parent.remaining())
        return left

    @property
    def expired(self) -> bool:
        """Whether no time is left."""
        return self.remaining() <= 0.0

    @property
    def budget(self) -> float:
        """The timeout of whichever deadline in the chain is the binding one (for messages and events)."""
        if self.parent is not None and self.parent.remaining() < max(
            0.0, self.expires_at - self.clock.monotonic()
        ):
            return self.parent.budget
        return self.timeout

    def __repr__(self) -> str:
        return f"DeadlineScope(timeout={self.timeout!r}, remaining={self.remaining():.3f})"


def current_deadline() -> DeadlineScope | None:
    """The deadline in force here, if any.

    Examples:
        >>> current_deadline() is None
        True
        >>> with deadline(5.0):
        ...     current_deadline().timeout
        5.0
    """
    return _deadline_var.get()


@contextmanager
def deadline(seconds: float, *, clock: Clock | None = None) -> Iterator[DeadlineScope]:
    """Bound everything inside the block (provider calls, retry and limiter waits) by ``seconds``.

    Deadlines nest: an inner one never extends the outer one.

    Examples:
        >>> with deadline(30.0), deadline(60.0) as inner:
        ...     inner.remaining() <= 30.0
        True
    """
    scope = DeadlineScope(seconds, clock=clock, parent=_deadline_var.get())
    token = _deadline_var.set(scope)
    try:
        yield scope
    finally:
        _deadline_var.reset(token)


@contextmanager
def bind_events(emitter: EventEmitter | None) -> Iterator[None]:
    """Send the events of every policy inside the block (that has no emitter of its own) to ``emitter``.

    Examples:
        >>> from agentkit.events import EventEmitter
        >>> with bind_events(EventEmitter(run_id="r")):
        ...     pass
    """
    token = _events_var.set(emitter)
    try:
        yield
    finally:
        _events_var.reset(token)


@contextmanager
def _scoped(var: ContextVar[Any], value: Any) -> Iterator[None]:
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def within_deadline(scope: DeadlineScope | None) -> Any:
    """A context manager that makes ``scope`` the current deadline (for one step of a stream)."""
    return _scoped(_deadline_var, scope)


# pytest collects module-level callables named test*: users import testing_mode into their test modules.
testing_mode.__test__ = False  # type: ignore[attr-defined]  # a plain attribute pytest reads
