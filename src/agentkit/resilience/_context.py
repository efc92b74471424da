"""Ambient state for the resilience layer: the sleeper, the clock, the deadline and the event emitter.

Policies take these explicitly; when they are not given, they come from the run scope (``agentkit._scope``) that
an ``Agent`` run sets: its clock, its deadline (``Limits.timeout``) and its event emitter. Outside a run (or to
narrow it), `deadline`, `bind_events` and `testing_mode` change one field of that same scope for a block.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import anyio
from anyio.lowlevel import checkpoint

from agentkit._scope import POLICY_EVENT_TYPES, DeadlineScope, Sleep, current_scope, scoped

if TYPE_CHECKING:
    from collections.abc import Iterator

    from agentkit._clock import Clock
    from agentkit.events import BaseEvent, EventEmitter

__all__ = (
    "POLICY_EVENT_TYPES",
    "DeadlineScope",
    "InstantSleep",
    "Sleep",
    "bind_events",
    "current_deadline",
    "deadline",
    "testing_mode",
)


class _Advanceable(Protocol):
    def advance(self, seconds: float) -> None: ...


def resolve_clock(clock: Clock | None) -> Clock:
    """The clock given, else the run scope's (the run's, or the one set by `testing_mode`), else the system's."""
    if clock is not None:
        return clock
    return current_scope().now_clock()


def resolve_sleep(sleep: Sleep | None) -> Sleep:
    """The sleeper given, else the run scope's (set by `testing_mode`), else ``anyio.sleep``."""
    if sleep is not None:
        return sleep
    return current_scope().sleep or anyio.sleep


def emit(events: EventEmitter | None, event_type: type[BaseEvent], /, **fields: Any) -> None:
    """Emit on ``events``, else on the run's emitter (or the one bound with `bind_events`); else nowhere."""
    emitter = events if events is not None else current_scope().emitter
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
    changes: dict[str, Any] = {"sleep": sleeper}
    if clock is not None:
        changes["clock"] = clock
    with scoped(**changes):
        yield sleeper


def current_deadline() -> DeadlineScope | None:
    """The deadline in force here, if any.

    Examples:
        >>> current_deadline() is None
        True
        >>> with deadline(5.0):
        ...     current_deadline().timeout
        5.0
    """
    return current_scope().deadline


@contextmanager
def deadline(seconds: float, *, clock: Clock | None = None) -> Iterator[DeadlineScope]:
    """Bound everything inside the block (provider calls, retry and limiter waits) by ``seconds``.

    Deadlines nest: an inner one never extends the outer one.

    Examples:
        >>> with deadline(30.0), deadline(60.0) as inner:
        ...     inner.remaining() <= 30.0
        True
    """
    scope = DeadlineScope(seconds, clock=resolve_clock(clock), parent=current_deadline())
    with scoped(deadline=scope):
        yield scope


@contextmanager
def bind_events(emitter: EventEmitter | None) -> Iterator[None]:
    """Send the events of every policy inside the block (that has no emitter of its own) to ``emitter``.

    Examples:
        >>> from agentkit.events import EventEmitter
        >>> with bind_events(EventEmitter(run_id="r")):
        ...     pass
    """
    with scoped(emitter=emitter):
        yield


def within_deadline(scope: DeadlineScope | None) -> Any:
    """A context manager that makes ``scope`` the current deadline (for one step of a stream)."""
    return scoped(deadline=scope)


# pytest collects module-level callables named test*: users import testing_mode into their test modules.
testing_mode.__test__ = False  # type: ignore[attr-defined]  # a plain attribute pytest reads
