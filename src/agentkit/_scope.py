"""The run scope: one piece of ambient state every layer reads for the run it is working in.

An ``Agent`` run sets it (its id, clock, deadline, event emitter and redactor); ``agentkit.resilience.deadline``,
``bind_events`` and ``testing_mode`` change one field of it for a block. Whatever runs beneath (a retry policy, a
rate limiter, a deadline wrapper, a tool) reads the same object, so a retry's event lands in the run's event
stream and a retry's wait is bounded by the run's remaining time.

This is layer 0 (it imports only ``_clock``, ``events`` and ``exceptions``), so providers, resilience and the
runtime can all read it without breaking the one-way rule.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from agentkit._clock import Clock, system_clock
from agentkit.exceptions import UsageError

if TYPE_CHECKING:
    from agentkit.events import BaseEvent, EventEmitter

__all__ = (
    "POLICY_EVENT_TYPES",
    "DeadlineScope",
    "RunScope",
    "Sleep",
    "current_scope",
    "scoped",
)

Sleep = Callable[[float], Awaitable[None]]
"""An async function that waits ``seconds``; ``anyio.sleep`` by default, ``InstantSleep`` in tests."""

POLICY_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "retry.scheduled",
        "retry.gave_up",
        "circuit.state_changed",
        "circuit.rejected",
        "fallback.triggered",
        "rate_limit.waited",
        "deadline.exceeded",
    }
)
"""The ``type`` of every event the policies emit: how a model call got through, not what the run did.

Inside an agent run they are part of the run's events (store, sinks, metrics); replay leaves them out of its
comparison, since a replay makes no network calls.
"""


@dataclasses.dataclass(frozen=True)
class RunScope:
    """What the code running now knows about the run around it; every field may be unset (``None``).

    Attributes:
        run_id: The run's id (``None`` outside a run).
        clock: The run's clock; durations, backoffs and deadlines read it.
        sleep: How waits happen (``anyio.sleep`` when unset; instant under ``testing_mode``).
        deadline: The deadline in force: the run's, or a narrower one set inside it.
        emitter: Where events go: the run's emitter, so they get its id, sequence, redaction and sinks.

    Examples:
        >>> from agentkit._scope import current_scope, scoped
        >>> from agentkit.events import EventEmitter
        >>> with scoped(emitter=EventEmitter(run_id="r1")):
        ...     current_scope().emitter.run_id
        'r1'
        >>> current_scope().emitter is None
        True
    """

    run_id: str | None = None
    clock: Clock | None = None
    sleep: Sleep | None = None
    deadline: DeadlineScope | None = None
    emitter: EventEmitter | None = None

    @property
    def redactor(self) -> Callable[[BaseEvent], BaseEvent] | None:
        """The run's redactor (the emitter's): what every event passes through before anyone sees it."""
        return self.emitter.redactor if self.emitter is not None else None

    def now_clock(self) -> Clock:
        """The scope's clock, or the system clock."""
        return self.clock if self.clock is not None else system_clock


_EMPTY = RunScope()
_scope_var: ContextVar[RunScope] = ContextVar("agentkit_run_scope", default=_EMPTY)


def current_scope() -> RunScope:
    """The run scope in force here (an empty one outside any run or block)."""
    return _scope_var.get()


@contextmanager
def scoped(**changes: Any) -> Iterator[RunScope]:
    """Replace some fields of the current scope inside the block (the others are inherited)."""
    scope = dataclasses.replace(_scope_var.get(), **changes)
    token = _scope_var.set(scope)
    try:
        yield scope
    finally:
        _scope_var.reset(token)


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
        self.clock = clock if clock is not None else current_scope().now_clock()
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
